"""Backpropagation one node at a time: the chain rule, narrated.

`backward()` (in `engine/graph.py`) visits the graph from the output down to
the inputs and, for every node and each of its children, does

    child.grad += node.grad * d(node)/d(child)

`backward_steps()` does exactly the same arithmetic, in the same order, but
stops after each node and hands you a `BackwardStep` that records what it did,
so you can check every multiplication by hand:

>>> from engine import Value
>>> x = Value(2.0, label="x")
>>> w = Value(-3.0, label="w")
>>> out = x * w
>>> out.label = "out"
>>> for step in backward_steps(out):
...     print(step)
step 1 of 1: out = x * w, out.grad = 1
  x.grad += out.grad * d(out)/d(x) = 1 * -3 = -3   (x.grad: 0 -> -3)
  w.grad += out.grad * d(out)/d(w) = 1 * 2 = 2   (w.grad: 0 -> 2)

Only nodes made by an operation get a step. A leaf (an input or parameter you
created) has no children, so there is nothing to pass on: its `grad` is final
once every node that uses it has had its step.

Nodes without a label are named by their position in the graph's topological
order and their operation, as in `#3(+)`: node 3 of the walk, made by `+`.
The drawing (`engine/drawing.py`) numbers unlabelled nodes the same way (`#3`).

The interactive `Stepper` wraps the same generator for a REPL or a notebook:
`next()`, `back()`, `run()` and `show()`. `backward_frames()` and
`save_backward_gif()` turn the steps into pictures for slides.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from engine.files import write_gif
from engine.graph import prepare_backward, topological_order

if TYPE_CHECKING:
    from engine.drawing import GraphDrawing
    from engine.value import Value


# ---------------------------------------------------------------------- names


# A label that reads as a name before ".grad": x, w1, loss, and the dotted
# parameter names of nn (w.0, layers.0.neurons.3.b).
PLAIN_NAME = re.compile(r"[A-Za-z_]\w*(\.\w+)*")


def node_name(node: Value, index: int) -> str:
    """The name a student sees for `node`, which is number `index` in the walk.

    A node whose label is a plain name (`x`, `w1`, `loss`, or a dotted
    parameter name such as `w.0` or `layers.0.neurons.3.b`) is called by its
    label. Any other node is called by its position in
    `topological_order(root)` and, if an operation made it, that operation:
    `#7(tanh)` is node 7 of the walk, made by tanh. (A label such as `x*w` is
    shown in drawings and trees, but would make `x*w.grad` ambiguous here.)

    >>> from engine import Value
    >>> node_name(Value(1.0, label="w1"), 0)
    'w1'
    >>> node_name(Value(1.0).tanh(), 7)
    '#7(tanh)'
    >>> node_name(Value(1.0, label="2"), 3), node_name(Value(1.0, label="w.0"), 1)
    ('#3', 'w.0')
    """
    if PLAIN_NAME.fullmatch(node.label):
        return node.label
    if node.op:
        return f"#{index}({node.op})"
    return f"#{index}"


def node_names(root: Value) -> dict[Value, str]:
    """A name for every node of `root`'s graph (see `node_name`)."""
    return {node: node_name(node, index) for index, node in enumerate(topological_order(root))}


def format_number(x: float) -> str:
    """A float as students write it: 4 significant digits, no trailing zeros.

    >>> format_number(0.5), format_number(-3.0), format_number(0.70710678)
    ('0.5', '-3', '0.7071')
    """
    text = f"{x:.4g}"
    return "0" if text == "-0" else text


_INFIX_OPS = ("+", "-", "*", "/", "**")


def formula(node: Value, names: dict[Value, str]) -> str:
    """How `node` was computed from its children, written with their names.

    >>> from engine import Value
    >>> a, b = Value(1.0, label="a"), Value(2.0, label="b")
    >>> n = a * b
    >>> formula(n, node_names(n)), formula(a.tanh(), {a: "a"}), formula(a ** 2, {a: "a"})
    ('a * b', 'tanh(a)', 'a ** 2')
    """
    children = [names[child] for child in node.children]
    if node.op in _INFIX_OPS and len(children) == 2:
        return f"{children[0]} {node.op} {children[1]}"
    if node.op == "neg" and len(children) == 1:
        return f"-{children[0]}"
    if node.op.startswith("**") and len(children) == 1:
        return f"{children[0]} ** {node.op[2:]}"
    return f"{node.op}({', '.join(children)})"


# ---------------------------------------------------------------------- steps


@dataclass(frozen=True)
class ChildUpdate:
    """What one step did to one child: `child.grad += upstream * local_grad`."""

    child: Value
    name: str
    local_grad: float  # d(node)/d(child), stored when the node was computed
    contribution: float  # upstream * local_grad
    grad_before: float
    grad_after: float


@dataclass(frozen=True)
class BackwardStep:
    """One node's turn in backprop: its upstream grad, passed on to each child.

    `number` counts from 1 to `total`; `str(step)` is the arithmetic, one line
    per child, with numbers rounded to 4 significant digits (the fields hold
    the exact floats).
    """

    number: int
    total: int
    node: Value
    name: str
    op: str
    formula: str  # how the node was computed, e.g. "x * w"
    upstream: float  # node.grad: d(root)/d(node), complete when its step comes
    updates: tuple[ChildUpdate, ...]

    def __str__(self) -> str:
        lines = [
            f"step {self.number} of {self.total}: {self.name} = {self.formula}, "
            f"{self.name}.grad = {format_number(self.upstream)}"
        ]
        for update in self.updates:
            lines.append(
                f"  {update.name}.grad += {self.name}.grad * d({self.name})/d({update.name})"
                f" = {format_number(self.upstream)} * {format_number(update.local_grad)}"
                f" = {format_number(update.contribution)}"
                f"   ({update.name}.grad: {format_number(update.grad_before)}"
                f" -> {format_number(update.grad_after)})"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<BackwardStep {self.number} of {self.total}: {self.name} = {self.formula}>"


def backward_steps(root: Value) -> Iterator[BackwardStep]:
    """Run `backward()` from `root` one node at a time, yielding a `BackwardStep` each.

    It is `engine.graph.backward` with a `yield` in it: the same reset of the
    intermediate grads, the same seed `root.grad += 1`, the same order and the
    same `+=`, so once the generator is exhausted every grad is exactly what
    `backward()` leaves. (`backward()` skips a node whose grad is 0.0, since
    it would add 0.0 to each child; the stepper shows that step too, because
    seeing a ReLU that is off pass on nothing is part of the lesson.)
    Nothing happens until the first step is asked for.

    If you stop early, the grads are partial: the nodes stepped so far have
    passed their grad on, the others have not. To start again, call
    `root.zero_grad()` first, or the leaves will count the early steps twice.

    >>> from engine import Value
    >>> a = Value(3.0, label="a")
    >>> b = a * a
    >>> steps = backward_steps(b)
    >>> step = next(steps)
    >>> [round(update.contribution, 1) for update in step.updates]  # a is used twice
    [3.0, 3.0]
    >>> a.grad
    6.0
    """
    order = prepare_backward(root)
    names = {node: node_name(node, index) for index, node in enumerate(order)}
    total = sum(1 for node in order if node.children)
    number = 0
    for node in reversed(order):
        if not node.children:
            continue  # a leaf: nothing to pass on
        number += 1
        upstream = node.grad
        updates = []
        for child, local in zip(node.children, node.local_grads):
            before = child.grad
            child.grad += upstream * local  # the chain rule, as in backward()
            updates.append(
                ChildUpdate(
                    child=child,
                    name=names[child],
                    local_grad=local,
                    contribution=upstream * local,
                    grad_before=before,
                    grad_after=child.grad,
                )
            )
        yield BackwardStep(
            number=number,
            total=total,
            node=node,
            name=names[node],
            op=node.op,
            formula=formula(node, names),
            upstream=upstream,
            updates=tuple(updates),
        )


# ---------------------------------------------------------------------- the interactive stepper


class Stepper:
    """Step through backprop by hand: `next()`, `back()`, `run()`, `show()`.

    `next()`, `back()` and `run()` return the Stepper itself, so in a REPL
    each call shows where you are: the step just taken and the graph as a
    text tree with the grads so far. In Jupyter it shows the drawing instead,
    with the node of the last step highlighted. `show()` returns that drawing.

    Creating a Stepper changes no grad; the first `next()` does what
    `backward()` does first (reset the intermediate grads, set root.grad = 1),
    and `back()` undoes steps but not that. A root that is a leaf has no steps.

    >>> from engine import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * x
    >>> y.label = "y"
    >>> stepper = Stepper(y)
    >>> stepper
    Stepper(y): 0 of 1 steps taken; next() starts backprop at y
    >>> print(stepper.next().last_step)
    step 1 of 1: y = x * x, y.grad = 1
      x.grad += y.grad * d(y)/d(x) = 1 * 2 = 2   (x.grad: 0 -> 2)
      x.grad += y.grad * d(y)/d(x) = 1 * 2 = 2   (x.grad: 2 -> 4)
    >>> x.grad
    4.0
    >>> stepper.back().position, x.grad
    (0, 0.0)
    """

    def __init__(self, root: Value) -> None:
        from engine.value import Value  # engine.value imports this module lazily

        if not isinstance(root, Value):
            raise TypeError(
                f"Stepper() needs the Value to run backprop from, not "
                f"{type(root).__name__} {root!r}"
            )
        self.root = root
        self.total = sum(1 for node in topological_order(root) if node.children)
        self._steps = backward_steps(root)
        self._taken: list[BackwardStep] = []  # every step made so far, in order
        self.position = 0  # how many of them are applied now (back() lowers it)

    @property
    def finished(self) -> bool:
        """True when every step has been taken: the grads equal backward()'s."""
        return self.position == self.total

    @property
    def last_step(self) -> BackwardStep | None:
        """The step taken most recently (None before the first)."""
        return self._taken[self.position - 1] if self.position else None

    def next(self) -> Stepper:
        """Take one step of backprop (the next node passes its grad to its children)."""
        if self.total == 0:
            raise ValueError(f"{self._root_name()} is an input: backprop has no step to take")
        if self.finished:
            raise ValueError(
                f"backprop is finished: all {self.total} steps are taken; "
                "use back() to undo one, or read the grads"
            )
        if self.position < len(self._taken):
            # Redo a step that back() undid: put back the grads it made.
            for update in self._taken[self.position].updates:
                update.child.grad = update.grad_after
        else:
            self._taken.append(next(self._steps))
        self.position += 1
        return self

    def back(self) -> Stepper:
        """Undo the last step: each child's grad goes back to what it was before."""
        if self.position == 0:
            raise ValueError("there is no step to undo: no step has been taken yet")
        self.position -= 1
        for update in reversed(self._taken[self.position].updates):
            update.child.grad = update.grad_before
        return self

    def run(self) -> Stepper:
        """Take all the remaining steps."""
        while not self.finished:
            self.next()
        return self

    def text(self) -> str:
        """Where you are, as text: the last step and the graph with its grads."""
        from engine.tree import text_tree

        if self.total == 0:
            return f"{self._header()}: {self._root_name()} is an input, with nothing to step"
        if self.last_step is None:
            return f"{self._header()}; next() starts backprop at {self._root_name()}"
        try:
            tree = text_tree(self.root)
        except ValueError:  # too big to print every step: the step line says it all
            tree = "(the graph is too big to print at every step: see show())"
        return f"{self._header()}\n{self.last_step}\n{tree}"

    def show(self) -> GraphDrawing:
        """The drawing of the graph with the grads so far.

        The node of the last step is red (`current`), the nodes stepped
        before it orange (`highlight`): their grads are passed on.
        """
        from engine.drawing import draw

        taken = self._taken[: self.position]
        return draw(
            self.root,
            highlight=[step.node for step in taken[:-1]],
            current=taken[-1].node if taken else None,
            grads_computed=bool(taken),
        )

    def _root_name(self) -> str:
        return node_name(self.root, len(topological_order(self.root)) - 1)

    def _header(self) -> str:
        header = f"Stepper({self._root_name()}): {self.position} of {self.total} steps taken"
        if self.finished and self.total:
            header += " (done: every grad is now what backward() gives)"
        return header

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        """Jupyter's display: the highlighted drawing as SVG, and the text for terminals.

        A graph too big to draw (see `engine.drawing.draw`, `max_nodes`) shows as text.
        """
        try:
            svg = self.show().pipe(format="svg", encoding="utf-8")
        except (ValueError, RuntimeError):  # too big to draw, or no renderer
            return {"text/plain": self.text()}
        return {"image/svg+xml": svg, "text/plain": self.text()}


# ---------------------------------------------------------------------- pictures for slides


def backward_frames(root: Value) -> list[bytes]:
    """PNG pictures of backprop: the seeded graph, then one after each step.

    Each picture is the drawing (`engine.drawing.draw`) as the `Stepper` shows
    it: the node of that step in red, the nodes stepped before it in orange.
    The grads are put back as they were when it is done.
    """
    from engine.drawing import draw

    order = topological_order(root)
    saved = [node.grad for node in order]
    try:
        prepare_backward(root)  # what the first step starts with: root.grad = 1
        frames = [draw(root, current=root, grads_computed=True).pipe(format="png")]
        for node, grad in zip(order, saved):
            node.grad = grad
        done: list[Value] = []
        for step in backward_steps(root):
            picture = draw(root, highlight=done, current=step.node, grads_computed=True)
            frames.append(picture.pipe(format="png"))
            done.append(step.node)
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad
    return frames


def save_backward_gif(
    root: Value, path: str | os.PathLike[str], seconds_per_frame: float = 1.5
) -> Path:
    """Write an animated GIF of backprop from `root` (one frame per step) to `path`.

    The file appears whole or not at all (it is written next to `path` and
    then renamed). The grads are left as they were. Returns the path.
    """
    if not (seconds_per_frame > 0 and math.isfinite(seconds_per_frame)):
        raise ValueError(
            f"seconds_per_frame must be a positive number, not {seconds_per_frame!r}"
        )
    if Path(path).suffix.lower() != ".gif":
        raise ValueError(f"save_backward_gif writes a .gif file; got {str(path)!r}")
    return write_gif(path, backward_frames(root), seconds_per_frame)
