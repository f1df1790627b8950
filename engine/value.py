"""The `Value`: one scalar that remembers the operation that made it.

Every operator below does two things at once:

1. **forward**: it computes the result as a plain float, and
2. it writes down the **local derivative** of the result with respect to each
   input, right there, while the inputs are at hand.

`backward()` (in `engine/graph.py`) later multiplies those local derivatives
along the graph: that is the chain rule, and nothing else.

>>> a = Value(2.0, label="a")
>>> b = Value(-3.0, label="b")
>>> c = a * b + a
>>> c
Value(data=-4.0, grad=0.0)
>>> c.backward()
>>> a.grad, b.grad
(-2.0, 2.0)
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Iterator, Union

from engine import graph

if TYPE_CHECKING:
    from engine.stepper import BackwardStep

Number = Union[int, float]

# The module scope that new Values are created in, as a tuple of names such as
# ("layers.0", "neurons.3"). `nn` sets it while a module runs forward, so a
# drawing can group the graph by neuron and layer. See `scope()` below.
_current_scope: tuple[str, ...] = ()


class Value:
    """A scalar in a computation graph: its `data`, its `grad`, and how it was made.

    Fields a student reads:

    - `data`: the number itself (a float).
    - `grad`: d(output)/d(this value), filled in by `backward()`; 0.0 until then.
    - `label`: an optional name used in reprs and drawings.
    - `op`: the operation that produced this value ("" for an input you made).
    - `children`: the inputs of that operation, an ordered tuple; a value used
      twice (as in `a * a`) appears twice.
    - `local_grads`: d(this)/d(child) for each child, stored at forward time.
    - `scope`: the module path this value was created in (see `scope()`).

    Plain numbers mix freely with Values on either side of an operator:

    >>> x = Value(3.0, label="x")
    >>> (2 * x + 1).data
    7.0
    >>> sum([x, x, 1.0]).data
    7.0

    **nan and infinity.** `Value()` refuses them (ValueError), because a nan
    input silently turns every gradient downstream into nan. After that,
    arithmetic follows Python floats (`Value(1e308) * 10` holds `inf`), except
    that `exp` and `**` raise OverflowError with a clear message instead of
    failing later, and `tanh` and `sigmoid` never overflow: at +-1000 they
    give a finite value and a finite (zero) gradient.

    >>> Value(float("nan"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Value(nan): stepgrad does not accept nan or infinity as inputs; ...
    >>> Value(-1000.0).sigmoid()
    Value(data=0.0, grad=0.0)
    """

    __slots__ = ("data", "grad", "label", "op", "children", "local_grads", "scope")

    def __init__(self, data: Number, label: str = "") -> None:
        if type(data) is not float and type(data) is not int:  # the slower, rarer checks
            _check_real_number(data)
        data = float(data)
        if not math.isfinite(data):
            raise ValueError(
                f"Value({data}): stepgrad does not accept nan or infinity as inputs; "
                "they would hide a bug in every gradient downstream"
            )
        if type(label) is not str:
            raise TypeError(f"label must be a str, not {type(label).__name__} {label!r}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.children: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()
        self.scope = _current_scope

    # ------------------------------------------------------------------ arithmetic

    def __add__(self, other: Value | Number) -> Value:
        """a + b"""
        if not isinstance(other, Value):
            other = as_value(other)
            if other is NotImplemented:
                return NotImplemented
        # d(a+b)/da = 1, d(a+b)/db = 1
        return from_op(self.data + other.data, "+", (self, other), (1.0, 1.0))

    def __radd__(self, other: Number) -> Value:
        """b + a, where b is a plain number"""
        other_value = as_value(other)
        if other_value is NotImplemented:
            return NotImplemented
        return other_value + self

    def __sub__(self, other: Value | Number) -> Value:
        """a - b"""
        if not isinstance(other, Value):
            other = as_value(other)
            if other is NotImplemented:
                return NotImplemented
        # d(a-b)/da = 1, d(a-b)/db = -1
        return from_op(self.data - other.data, "-", (self, other), (1.0, -1.0))

    def __rsub__(self, other: Number) -> Value:
        """b - a, where b is a plain number"""
        other_value = as_value(other)
        if other_value is NotImplemented:
            return NotImplemented
        return other_value - self

    def __mul__(self, other: Value | Number) -> Value:
        """a * b"""
        if not isinstance(other, Value):
            other = as_value(other)
            if other is NotImplemented:
                return NotImplemented
        # d(a*b)/da = b, d(a*b)/db = a
        return from_op(
            self.data * other.data, "*", (self, other), (other.data, self.data)
        )

    def __rmul__(self, other: Number) -> Value:
        """b * a, where b is a plain number"""
        other_value = as_value(other)
        if other_value is NotImplemented:
            return NotImplemented
        return other_value * self

    def __truediv__(self, other: Value | Number) -> Value:
        """a / b"""
        if not isinstance(other, Value):
            other = as_value(other)
            if other is NotImplemented:
                return NotImplemented
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero in {a!r} / {b!r}: the divisor is 0")
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2
        return from_op(a / b, "/", (self, other), (1.0 / b, -a / (b * b)))

    def __rtruediv__(self, other: Number) -> Value:
        """b / a, where b is a plain number"""
        other_value = as_value(other)
        if other_value is NotImplemented:
            return NotImplemented
        return other_value / self

    def __neg__(self) -> Value:
        """-a"""
        # d(-a)/da = -1
        return from_op(-self.data, "neg", (self,), (-1.0,))

    def __pos__(self) -> Value:
        """+a (the same Value)"""
        return self

    def __pow__(self, exponent: Value | Number) -> Value:
        """a ** n, for a plain number n or a Value n"""
        if isinstance(exponent, Value):
            return self._pow_value(exponent)
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            # Python then tries exponent.__rpow__, and if that does not exist
            # raises "TypeError: unsupported operand type(s) for ** or pow()".
            return NotImplemented
        a, n = self.data, float(exponent)
        if a == 0.0 and n < 0.0:
            raise ZeroDivisionError(
                f"{a!r} ** {exponent!r} divides by zero: 0 cannot be raised to a negative power"
            )
        if a == 0.0 and 0.0 < n < 1.0:
            raise ValueError(
                f"{a!r} ** {exponent!r}: the derivative {exponent}*x**({n - 1:g}) "
                "is infinite at x = 0; shift the input away from 0"
            )
        if a < 0.0 and not n.is_integer():
            raise ValueError(
                f"({a!r}) ** {exponent!r} is not a real number: a negative base needs "
                "a whole-number exponent"
            )
        result = _checked_pow(a, n)
        # d(a**n)/da = n * a**(n-1)
        local = 0.0 if n == 0.0 else n * _checked_pow(a, n - 1.0)
        return from_op(result, f"**{n:g}", (self,), (local,))

    def _pow_value(self, exponent: Value) -> Value:
        """a ** b where the exponent b is a Value too (needs a > 0)."""
        a, b = self.data, exponent.data
        if a <= 0.0:
            raise ValueError(
                f"{a!r} ** Value({b!r}) is undefined for gradients: with a Value "
                "exponent the base must be positive (d(a**b)/db = a**b * log(a))"
            )
        result = _checked_pow(a, b)
        # d(a**b)/da = b * a**(b-1), d(a**b)/db = a**b * log(a)
        local_a = b * _checked_pow(a, b - 1.0)
        local_b = result * math.log(a)
        return from_op(result, "**", (self, exponent), (local_a, local_b))

    def __rpow__(self, base: Number) -> Value:
        """b ** a, where the base b is a plain number"""
        base_value = as_value(base)
        if base_value is NotImplemented:
            return NotImplemented
        return base_value._pow_value(self)

    # ------------------------------------------------------------------ functions

    def exp(self) -> Value:
        """e ** a"""
        if self.data > _EXP_LIMIT:
            raise OverflowError(
                f"exp({self.data!r}) is too large for a float (the limit is about "
                f"exp({_EXP_LIMIT:.2f})); scale your inputs down"
            )
        out = math.exp(self.data)
        # d(exp(a))/da = exp(a)
        return from_op(out, "exp", (self,), (out,))

    def log(self) -> Value:
        """the natural logarithm ln(a), for a > 0"""
        a = self.data
        if a <= 0.0:
            raise ValueError(f"log({a!r}) is undefined: log needs a positive input")
        # d(log(a))/da = 1/a
        return from_op(math.log(a), "log", (self,), (1.0 / a,))

    def tanh(self) -> Value:
        """tanh(a) = (e**2a - 1) / (e**2a + 1), between -1 and 1"""
        t = math.tanh(self.data)
        # d(tanh(a))/da = 1 - tanh(a)**2
        return from_op(t, "tanh", (self,), (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """sigmoid(a) = 1 / (1 + e**-a), between 0 and 1"""
        a = self.data
        # Two forms of the same function, so that exp never overflows.
        if a >= 0.0:
            s = 1.0 / (1.0 + math.exp(-a))
        else:
            e = math.exp(a)
            s = e / (1.0 + e)
        # d(sigmoid(a))/da = sigmoid(a) * (1 - sigmoid(a))
        return from_op(s, "sigmoid", (self,), (s * (1.0 - s),))

    def relu(self) -> Value:
        """relu(a) = max(0, a)"""
        a = self.data
        # d(relu(a))/da = 1 if a > 0 else 0
        if a > 0.0:
            return from_op(a, "relu", (self,), (1.0,))
        return from_op(0.0, "relu", (self,), (0.0,))

    # ------------------------------------------------------------------ gradients

    def backward(self) -> None:
        """Fill in `grad` on every Value this one was computed from (the chain rule).

        Gradients **accumulate**: each call *adds* d(self)/d(leaf) to the
        `grad` of every leaf (the inputs and parameters you created), just as in
        PyTorch. Intermediate values get this call's gradient. To start again
        from zero, call `zero_grad()` first (or `model.zero_grad()` in `nn`).

        >>> a = Value(3.0)
        >>> b = a + a          # a is used twice
        >>> c = b + b
        >>> c.backward()
        >>> a.grad             # dc/da = 4
        4.0
        >>> c.backward()       # again, without zero_grad: it adds up
        >>> a.grad
        8.0
        >>> c.zero_grad()
        >>> a.grad
        0.0
        """
        graph.backward(self)

    def zero_grad(self) -> None:
        """Set `grad` to 0.0 on this Value and everything it was computed from."""
        graph.zero_grad(self)

    def backward_steps(self) -> Iterator[BackwardStep]:
        """Run `backward()` one node at a time, yielding each chain-rule step.

        See `engine/stepper.py`; exhausting it leaves the same grads as `backward()`.
        """
        from engine.stepper import backward_steps

        return backward_steps(self)

    # ------------------------------------------------------------------ display

    def tree(self) -> str:
        """This Value's graph as indented text, for terminals (see `engine/drawing.py`)."""
        from engine.tree import text_tree

        return text_tree(self)


    def __repr__(self) -> str:
        label = f"{self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data!r}, grad={self.grad!r})"

    def __float__(self) -> float:
        return self.data

    # Values hash and compare by identity (the default `==`), so that nodes can
    # live in sets and dicts: `Value(2.0) == 2.0` is False. To compare numbers,
    # compare their data: `loss.data < 0.1`. Ordering Values is refused with
    # that hint, because `if loss < 0.1:` is an easy slip in a training loop.

    def __lt__(self, other: object) -> bool:
        raise _ordering_error(self, "<", other)

    def __le__(self, other: object) -> bool:
        raise _ordering_error(self, "<=", other)

    def __gt__(self, other: object) -> bool:
        raise _ordering_error(self, ">", other)

    def __ge__(self, other: object) -> bool:
        raise _ordering_error(self, ">=", other)


def _check_real_number(data: object) -> None:
    """Raise TypeError unless `data` is a real number that is not a bool."""
    if isinstance(data, Value):
        raise TypeError(
            f"Value({data!r}): this is already a Value; use it directly, "
            "or Value(v.data) for a new input with the same number"
        )
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(f"Value() needs an int or a float, not {type(data).__name__} {data!r}")


def from_op(
    data: float,
    op: str,
    children: tuple[Value, ...],
    local_grads: tuple[float, ...],
) -> Value:
    """Make the result of an operation: its `data`, the `op`, its inputs and
    the local derivative d(result)/d(input) of each input.

    Every operator of `Value` ends with this call, and you can use it to add
    an operation of your own:

    >>> x = Value(3.0)
    >>> square = from_op(x.data ** 2, "square", (x,), (2 * x.data,))
    >>> square.backward()
    >>> x.grad
    6.0
    """
    # Skips Value.__init__: the inputs were checked when they were made, and
    # this is the hot path of every operation.
    out = object.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = op
    out.children = children
    out.local_grads = local_grads
    out.scope = _current_scope
    return out


def as_value(x: object) -> Value:
    """Return `x` as a Value: a Value as it is, a plain number wrapped.

    The one coercion helper of the engine. For a type it does not know it
    returns `NotImplemented`, so that Python can try the other operand.

    >>> as_value(2)
    Value(data=2.0, grad=0.0)
    """
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int:  # the fast, common case
        number = float(x)
        if math.isfinite(number):
            return from_op(number, "", (), ())
        return Value(number)  # raises the error that explains nan and inf
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(float(x))  # such as a numpy float or a Fraction
    return NotImplemented


class scope:
    """Create Values inside a named scope (nested scopes form a path).

    `nn` modules use this so that a drawing can group nodes by layer and neuron.

    >>> with scope("layers.0"):
    ...     with scope("neurons.1"):
    ...         v = Value(1.0) * 2
    >>> v.scope
    ('layers.0', 'neurons.1')
    >>> Value(1.0).scope
    ()

    (A small class rather than a @contextmanager generator: every neuron of
    every forward pass enters one, and this is about four times cheaper.)
    """

    __slots__ = ("name", "outer")

    def __init__(self, name: str) -> None:
        self.name = name
        self.outer: tuple[str, ...] = ()

    def __enter__(self) -> tuple[str, ...]:
        global _current_scope
        self.outer = _current_scope
        _current_scope = self.outer + (self.name,)
        return _current_scope

    def __exit__(self, *exception: object) -> None:
        global _current_scope
        _current_scope = self.outer


# The largest x for which math.exp(x) is still a finite float.
_EXP_LIMIT = math.log(1.7976931348623157e308)


def _ordering_error(value: Value, operator: str, other: object) -> TypeError:
    """The error for `value < other` and friends, with the fix in it."""
    right = "x.data" if isinstance(other, Value) else repr(other)
    return TypeError(
        f"cannot order Values ({value!r} {operator} {other!r}): compare their numbers "
        f"instead, e.g. value.data {operator} {right}"
    )


def _checked_pow(a: float, n: float) -> float:
    """a ** n as a float, with a clear message when it does not fit in one."""
    try:
        result = a**n
    except OverflowError:
        raise OverflowError(
            f"{a!r} ** {n:g} is too large for a float; use smaller numbers"
        ) from None
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"{a!r} ** {n:g} divides by zero: 0 cannot be raised to a negative power"
        ) from None
    if math.isinf(result):
        raise OverflowError(f"{a!r} ** {n:g} is too large for a float; use smaller numbers")
    return result
