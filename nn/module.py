"""`Module`: the base class of every model part (a neuron, a layer, a network).

A module holds **parameters** (the Values that training changes) and other
modules. It finds both the way PyTorch does, by looking at its attributes:

- an attribute that is a `Value` is a parameter (`b`);
- a list of Values is a list of parameters (`w.0`, `w.1`, ...);
- an attribute that is a `Module`, or a list of Modules, is a child module
  (`layers.0`, `layers.1`, ...), whose parameters belong to this module too.

Attributes are read in the order they were assigned, so the order of
`parameters()` is the same on every run. Names that start with `_` are private
and skipped.

>>> from engine import Value
>>> class Line(Module):
...     '''y = slope * x + intercept'''
...     def __init__(self) -> None:
...         self.slope = Value(2.0)
...         self.intercept = Value(1.0)
...     def forward(self, x: float) -> Value:
...         return self.slope * x + self.intercept
>>> line = Line()
>>> line(3.0)
Value(data=7.0, grad=0.0)
>>> [name for name, _ in line.named_parameters()]
['slope', 'intercept']
>>> line.state_dict()
{'slope': 2.0, 'intercept': 1.0}
>>> line
Line()
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Mapping

from engine import Value
from engine.checks import check_number, shown


def _name(attribute: str, index: int | None) -> str:
    """The name of a member: "b" for an attribute, "w.0" for an item of a list."""
    return attribute if index is None else f"{attribute}.{index}"


class Module:
    """A part of a model: call it to run `forward`; it knows its parameters.

    Subclasses write `__init__` (create parameters and child modules as
    attributes) and `forward` (compute the output from the input).
    """

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute this module's output. Every subclass writes its own."""
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(): define "
            "`def forward(self, x): ...` in the class"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """`module(x)` is `module.forward(x)`, as in PyTorch."""
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ structure

    def _members(self) -> Iterator[tuple[str, int | None, Value | Module]]:
        """This module's own parameters and child modules, in attribute order
        (the rules at the top of this file): (attribute, index in its list or
        None, the Value or Module). Their names are made by the callers that
        need them (see `_name`)."""
        for attribute, value in vars(self).items():
            if attribute.startswith("_"):
                continue
            if isinstance(value, (Value, Module)):
                yield attribute, None, value
            elif isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    if isinstance(item, (Value, Module)):
                        yield attribute, index, item

    def named_children(self) -> list[tuple[str, Module]]:
        """The direct child modules with their names, in attribute order.

        A list of modules called `layers` gives the names `layers.0`, `layers.1`, ...
        """
        return [
            (_name(attribute, index), item)
            for attribute, index, item in self._members()
            if isinstance(item, Module)
        ]

    def named_parameters(self, remove_duplicate: bool = True) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, e.g. `layers.0.neurons.3.w.1`.

        The order is the attribute order, depth first: this module's own
        parameters and children in the order they were assigned. A parameter
        shared by two parts (tied weights) is listed once, under its first
        name, so an optimizer never updates it twice; `remove_duplicate=False`
        lists it under every name (as `state_dict()` does), as in PyTorch.
        """
        named: list[tuple[str, Value]] = []
        for attribute, index, item in self._members():
            name = _name(attribute, index)
            if isinstance(item, Value):
                named.append((name, item))
            else:
                for inner, parameter in item.named_parameters(remove_duplicate=False):
                    named.append((f"{name}.{inner}", parameter))
        if not remove_duplicate:
            return named
        seen: set[Value] = set()  # Values hash by identity: one entry per parameter
        unique = []
        for name, parameter in named:
            if parameter not in seen:
                seen.add(parameter)
                unique.append((name, parameter))
        return unique

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of `named_parameters()`, each once.

        (Found without making their names, as a training step asks for them.)
        A parameter must be a leaf, a Value you made, that training can
        change; one that is the result of an operation is refused:

        >>> class Scaled(Module):
        ...     def __init__(self) -> None:
        ...         self.scale = Value(2.0) * 3
        >>> Scaled().parameters()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        TypeError: parameter 'scale' is the result of an operation ('*'), ...
        """
        found: list[Value] = []
        self._gather_parameters(found)
        unique = list(dict.fromkeys(found))  # each once, where it first appears
        for parameter in unique:
            if not parameter.is_leaf:
                self._refuse_computed(parameter)
        return unique

    def _refuse_computed(self, parameter: Value) -> None:
        """Raise the error for a parameter that is not a leaf, with its name."""
        name = next(name for name, item in self.named_parameters() if item is parameter)
        raise TypeError(
            f"parameter {name!r} is the result of an operation ({parameter.op!r}), "
            f"not a Value you made, so training cannot change it; make it a leaf, "
            f"such as Value({parameter.data!r})"
        )

    def _gather_parameters(self, found: list[Value]) -> None:
        """Append every parameter to `found`, depth first, duplicates and all."""
        for _, _, item in self._members():
            if isinstance(item, Value):
                found.append(item)
            else:
                item._gather_parameters(found)

    def zero_grad(self) -> None:
        """Set the `grad` of every parameter to 0.0 (before the next `backward()`)."""
        for parameter in self.parameters():
            parameter.grad = 0.0

    def label_parameters(self) -> None:
        """Set each parameter's `label` to its dotted name (for drawings and the stepper).

        The constructors in `nn.layers` call this at their end; an outer
        module's call overwrites the labels with the longer, full names.
        """
        for name, parameter in self.named_parameters():
            parameter.label = name

    def first_non_finite(self) -> tuple[str, float] | None:
        """The name and number of the first parameter that is nan or infinite
        (what a diverged training run leaves behind), or None if all are finite."""
        for name, parameter in self.named_parameters():
            if not math.isfinite(parameter.data):
                return name, parameter.data
        return None

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, float]:
        """The parameters' numbers by name: `{"w.0": 0.5, ..., "b": 0.0}`.

        A tied parameter appears under each of its names, so the state fits
        a model of the same shape whether or not its weights are tied.
        """
        return {
            name: parameter.data
            for name, parameter in self.named_parameters(remove_duplicate=False)
        }

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        """Copy numbers from `state` (as made by `state_dict()`) into the parameters.

        Every parameter needs exactly one number: a missing name, an unknown
        name, or a value that is not a single finite number raises ValueError
        naming it, and then no parameter is changed.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict() needs a dict of name -> number, "
                f"not {type(state).__name__}"
            )
        named = dict(self.named_parameters(remove_duplicate=False))
        missing = [name for name in named if name not in state]
        unexpected = [name for name in state if name not in named]
        problems = []
        if missing:
            problems.append(f"{_count(missing, 'missing key')} ({_first_few(missing)})")
        if unexpected:
            problems.append(f"{_count(unexpected, 'unexpected key')} ({_first_few(unexpected)})")
        checked: dict[str, float] = {}
        for name, number in state.items():
            if name in named:
                try:
                    checked[name] = check_number(f"key {shown(name)}", number)
                except (TypeError, ValueError) as error:
                    problems.append(str(error))
        if len(problems) > 5:
            problems = problems[:5] + [f"and {len(problems) - 5} more problems"]
        if problems:
            raise ValueError(
                f"state does not fit {type(self).__name__}: " + "; ".join(problems)
            )
        for name, parameter in named.items():
            parameter.data = checked[name]

    # ------------------------------------------------------------------ display

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in its repr (its shape)."""
        return ""

    def repr_children(self) -> list[tuple[str, Module]]:
        """The children that the repr lists. A module whose `extra_repr()`
        already says everything (like a Layer of alike neurons) returns []."""
        return self.named_children()

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()})"
        children = self.repr_children()
        if not children:
            return head
        lines = [head]
        for name, child in children:
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        return "\n".join(lines)


def _first_few(names: list[str], count: int = 3) -> str:
    """'a', 'b', 'c' and 7 more: enough names to recognise, short enough to read."""
    text = ", ".join(shown(name) for name in names[:count])
    if len(names) > count:
        text += f" and {len(names) - count} more"
    return text


def _count(names: list[str], noun: str) -> str:
    """'1 missing key', '3 missing keys'."""
    return f"{len(names)} {noun}" + ("" if len(names) == 1 else "s")
