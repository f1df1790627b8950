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

The file reads top to bottom: how a result node is made (`_node`, and
`from_op` for operations of your own), how a plain number becomes a Value
(`as_value`), the `Value` class with every operation, the `scope` that `nn`
creates Values in, and last the checks that explain the mistakes a student
meets.
"""

from __future__ import annotations

import math
import numbers
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence, Union

from engine import graph
from engine.checks import described

if TYPE_CHECKING:
    from engine.views.stepper import BackwardStep

# The views that `Value.tree()` and `Value.backward_steps()` hand over to, by
# name. They live in engine/views/, which builds on this module; so that this
# core module never imports a view, each view puts its function here when it
# is imported (`import engine` imports them). See `register_view`.
_views: dict[str, Callable[[Value], Any]] = {}


def register_view(name: str, view: Callable[[Value], Any]) -> None:
    """Let `Value.<name>()` call `view(value)`: how a view module offers a method."""
    _views[name] = view


Number = Union[int, float]

# The module scope that new Values are created in, as a tuple of names such as
# ("layers.0", "neurons.3"). `nn` sets it while a module runs forward, so a
# drawing can group the graph by neuron and layer. A ContextVar, so that each
# thread (and each asyncio task) has its own. See `scope()` below.
_scope: ContextVar[tuple[str, ...]] = ContextVar("stepgrad_scope", default=())

# ---------------------------------------------------------------------------
# Making a result node
# ---------------------------------------------------------------------------

_new_object = object.__new__


def _node(
    data: float, op: str, a: Any, da: Any, b: Value | None = None, db: Any = None
) -> Value:
    """Make a node from its result `data`, its `op`, child `a` with its local
    derivative `da`, and child `b` with `db` if the operation has two inputs.

    The operators of `Value` end with this call (the hot path). A leaf has
    `a` = None; an operation with three or more inputs has the tuple of them
    in `a`, of their derivatives in `da`, and of those of them that are not
    leaves in `db` (see the layout in `Value`). `from_op`, next, is the same
    with a check, for operations of your own.

    It sets the slots directly instead of calling `Value.__init__`, whose
    checks are for numbers typed in by people.
    """
    out = _new_object(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = op
    out.scope = _scope.get()
    out._a = a
    out._b = b
    out._da = da
    out._db = db
    return out


def from_op(
    data: float,
    op: str,
    children: Sequence[Value],
    local_grads: Sequence[float],
    *,
    computed_children: Sequence[Value] | None = None,
) -> Value:
    """Make the result of an operation: its `data`, the `op`, its inputs and
    the local derivative d(result)/d(input) of each input, in the same order.

    The operators of `Value` make their results the same way (with `_node`,
    which skips the check), and you can use `from_op` to add an operation of
    your own:

    >>> x = Value(3.0)
    >>> square = from_op(x.data ** 2, "square", (x,), (2 * x.data,))
    >>> square.backward()
    >>> x.grad
    6.0
    >>> from_op(9.0, "square", (x,), ())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: from_op('square'): len(children) is 1 but len(local_grads) is 0; ...

    `computed_children` is a shortcut for operations with three or more
    inputs: those of `children` that are results of operations themselves,
    not leaves, if you know them without looking. backward() walks the graph
    through these alone, so the inputs of a child missing from them would
    get no gradient. Leave it out, and from_op finds them itself. (A fused
    neuron passes its layer's inputs, found once for all the neurons of the
    layer; its weights and bias are leaves, which the walk need not visit.)
    """
    count = len(children)
    if count != len(local_grads):
        raise ValueError(
            f"from_op({op!r}): len(children) is {count} but len(local_grads) "
            f"is {len(local_grads)}; give one d(result)/d(child) per child, in order"
        )
    if count > 2:  # the only nodes that keep tuples
        if computed_children is None:
            computed_children = [child for child in children if child._a is not None]
        inner = tuple(computed_children)
        return _node(data, op, tuple(children), tuple(local_grads), None, inner)
    if count == 2:
        return _node(data, op, children[0], local_grads[0], children[1], local_grads[1])
    if count == 1:
        return _node(data, op, children[0], local_grads[0])
    return _node(data, op, None, None)  # a leaf


# A plain number wrapped by `as_value` (the 3 of `x * 3`) is a leaf like a
# Value you make, but it says so in a slot a leaf does not use: its `_da` is
# WRAPPED (None for a Value you make). `engine.unroll` writes such a number
# as itself, `x * 3.0`, as your Python would build the graph again.
WRAPPED = "a plain number, wrapped by as_value"


def as_value(x: object) -> Value:
    """Return `x` as a Value: a Value as it is, a plain number wrapped.

    The one coercion helper of the engine. For a type it does not know it
    returns `NotImplemented`, so that Python can try the other operand.

    >>> as_value(2)
    Value(data=2.0, grad=0.0)
    >>> is_wrapped(as_value(2)), is_wrapped(Value(2))
    (True, False)
    """
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int:  # the fast, common case
        number = float(x)
        if math.isfinite(number):
            return _node(number, "", None, WRAPPED)
        return Value(number)  # raises the error that explains nan and inf
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return as_value(float(x))  # such as a numpy float or a Fraction: as a float
    return NotImplemented


def is_wrapped(node: Value) -> bool:
    """Is `node` a plain number that an operation wrapped (the 3 of `x * 3`)?

    >>> x = Value(2.0)
    >>> [is_wrapped(child) for child in (x * 3).children]
    [False, True]

    A copy (pickle, `copy.deepcopy`) of the graph forgets it: there the 3
    is a leaf like `x`.
    """
    return node._a is None and node._da is WRAPPED


def _operator_pair(
    forward: Callable[[Value, Value], Value],
) -> tuple[Callable[[Value, object], Value], Callable[[Value, object], Value]]:
    """Build `a op b` and its reflected twin `b op a` from one function of two
    Values (as CPython's fractions.py does), so that plain numbers mix in on
    either side: `x + 1` and `1 + x`. A type that is not a number gives
    `NotImplemented`, and Python tries the other operand."""

    def operator(self: Value, other: object) -> Value:
        if type(other) is Value:  # the common case, first
            return forward(self, other)
        b = as_value(other)
        if b is NotImplemented:
            return NotImplemented
        return forward(self, b)

    def reflected(self: Value, other: object) -> Value:
        a = as_value(other)
        if a is NotImplemented:
            return NotImplemented
        return forward(a, self)

    operator.__doc__ = forward.__doc__
    reflected.__doc__ = f"{forward.__doc__}, where a is a plain number"
    return operator, reflected


class _MicrogradName:
    """An attribute of micrograd's Value (`_prev`, `_op`, `_backward`) that
    stepgrad spells differently: reading or setting it raises an
    AttributeError that names stepgrad's spelling.

    >>> Value(1.0)._prev
    Traceback (most recent call last):
    ...
    AttributeError: Value has no '_prev' (micrograd's name): a Value's inputs are `children` (an ordered tuple)
    """

    def __init__(self, hint: str) -> None:
        self.hint = hint
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, value: object, owner: type | None = None) -> _MicrogradName:
        if value is None:
            return self  # Value._prev itself, for help() and inspect
        raise self.error()

    def __set__(self, value: object, new: object) -> None:
        raise self.error()

    def error(self) -> AttributeError:
        return AttributeError(f"Value has no {self.name!r} (micrograd's name): {self.hint}")


# ---------------------------------------------------------------------------
# The Value
# ---------------------------------------------------------------------------


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
    arithmetic follows Python floats (`Value(1e308) * 10` holds `inf`, and
    `inf - inf` a nan that stays nan), except that `exp` and `**` raise
    OverflowError with a clear message instead of failing later, and `tanh`
    and `sigmoid` never overflow: at +-1000 they give a finite value and a
    finite (zero) gradient.

    >>> Value(float("nan"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Value(nan): stepgrad does not accept nan or infinity as inputs; ...
    >>> Value(-1000.0).sigmoid()
    Value(data=0.0, grad=0.0)

    **Truth.** A Value is true when its number is not zero, as for floats,
    numpy and PyTorch: `bool(Value(0.0))` is False. Values compare by
    identity (see the comparisons, after `__bool__`).
    """

    # How a node keeps its inputs. The cyclic garbage collector rescans every
    # object that can point to others, so a node is ONE such object: its
    # children and their local derivatives sit in its own slots, not in tuples.
    #   a leaf:        _a is None (and _da is WRAPPED for a number that
    #                  an operation wrapped, the 3 of x * 3; else None)
    #   one input:     _a, with local derivative _da (_b is None)
    #   two inputs:    _a and _b, with _da and _db
    #   three or more: _a is a tuple of children and _da a tuple of derivatives,
    #                  _b is None, and _db the tuple of those children that are
    #                  not leaves: backward()'s walk visits only these, so a
    #                  fused neuron's 17 weights are not looked at 100 times
    # `children` and `local_grads` give them as tuples, whatever the layout.
    __slots__ = ("data", "grad", "label", "op", "scope", "_a", "_b", "_da", "_db")

    data: float
    grad: float
    label: str
    op: str
    scope: tuple[str, ...]
    _a: Any
    _b: Any
    _da: Any
    _db: Any

    def __init__(self, data: Number, label: str = "", *micrograd_arguments: object) -> None:
        if micrograd_arguments or type(label) in (tuple, list, set):
            raise _micrograd_constructor_error(data)  # Value(data, (a, b), "+")
        if type(data) is not float and type(data) is not int:  # the slower, rarer checks
            _check_real_number(data)
        data = float(data)
        if not math.isfinite(data):
            raise ValueError(
                f"Value({data}): stepgrad does not accept nan or infinity as inputs; "
                "they would hide a bug in every gradient downstream"
            )
        if type(label) is not str:
            raise TypeError(f"label must be a str, not {described(label)}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.scope = _scope.get()
        self._a = self._b = self._da = self._db = None

    @property
    def is_leaf(self) -> bool:
        """True for a Value you made (an input or a parameter), False for the
        result of an operation; as PyTorch's `tensor.is_leaf`.

        >>> x = Value(2.0)
        >>> x.is_leaf, (x * 3).is_leaf
        (True, False)
        """
        return self._a is None

    @property
    def children(self) -> tuple[Value, ...]:
        """The inputs of the operation that made this Value, in order (() for a leaf)."""
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is not None:
            return (a, b)
        if type(a) is tuple:
            return a
        return (a,)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(this)/d(child) for each child, in the order of `children`."""
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is not None:
            return (self._da, self._db)
        if type(a) is tuple:
            return self._da
        return (self._da,)

    # ------------------------------------------------------------ arithmetic
    # Each operation ends with _node(result, op, a, d(result)/da, b, d(result)/db):
    # the result, then each input with its local derivative. The binary ones
    # are written once as a function of two Values; `_operator_pair` makes
    # `a + 1` and `1 + a` from it.

    def _add(a: Value, b: Value) -> Value:
        """a + b"""
        # d(a+b)/da = 1, d(a+b)/db = 1
        return _node(a.data + b.data, "+", a, 1.0, b, 1.0)

    def _sub(a: Value, b: Value) -> Value:
        """a - b"""
        # d(a-b)/da = 1, d(a-b)/db = -1
        return _node(a.data - b.data, "-", a, 1.0, b, -1.0)

    def _mul(a: Value, b: Value) -> Value:
        """a * b"""
        # d(a*b)/da = b, d(a*b)/db = a
        return _node(a.data * b.data, "*", a, b.data, b, a.data)

    def _truediv(a: Value, b: Value) -> Value:
        """a / b"""
        _check_divisor(a.data, b.data)
        out = a.data / b.data
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2, written -(a/b)/b: b**2 would
        # overflow (or underflow to 0) long before the derivative does
        return _node(out, "/", a, 1.0 / b.data, b, -out / b.data)

    def _pow(a: Value, b: Value) -> Value:
        """a ** b, where the exponent b is a Value too"""
        out = _checked_power(a.data, b.data, b)
        # d(a**b)/da = b * a**(b-1), d(a**b)/db = a**b * log(a)
        slope_a = _power_slope(a.data, b.data)
        return _node(out, "**", a, slope_a, b, out * math.log(a.data))

    __add__, __radd__ = _operator_pair(_add)
    __sub__, __rsub__ = _operator_pair(_sub)
    __mul__, __rmul__ = _operator_pair(_mul)
    __truediv__, __rtruediv__ = _operator_pair(_truediv)
    __rpow__ = _operator_pair(_pow)[1]  # __pow__ also takes a plain exponent: below

    def __pow__(self, exponent: Value | Number) -> Value:
        """a ** n, for a plain number n (or a Value n, see `_pow`)"""
        if isinstance(exponent, Value):
            return self._pow(exponent)
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            return NotImplemented  # Python then tries exponent.__rpow__
        a, n = self.data, float(exponent)
        out = _checked_power(a, n, exponent)  # a ** n, or an error naming it
        # d(a**n)/da = n * a**(n-1)
        return _node(out, f"**{_exponent_text(n)}", self, _power_slope(a, n))

    def __neg__(self) -> Value:
        """-a"""
        # d(-a)/da = -1
        return _node(-self.data, "neg", self, -1.0)

    def __pos__(self) -> Value:
        """+a (the same Value)"""
        return self

    # ------------------------------------------------------------ functions

    def exp(self) -> Value:
        """e ** a"""
        _check_exp_range(self.data)
        out = math.exp(self.data)
        # d(exp(a))/da = exp(a)
        return _node(out, "exp", self, out)

    def log(self) -> Value:
        """the natural logarithm ln(a), for a > 0"""
        a = self.data
        _check_log_domain(a)
        # d(log(a))/da = 1/a
        return _node(math.log(a), "log", self, 1.0 / a)

    def tanh(self) -> Value:
        """tanh(a) = (e**2a - 1) / (e**2a + 1), between -1 and 1"""
        t = math.tanh(self.data)
        # d(tanh(a))/da = 1 - tanh(a)**2
        return _node(t, "tanh", self, 1.0 - t * t)

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
        return _node(s, "sigmoid", self, s * (1.0 - s))

    def relu(self) -> Value:
        """relu(a) = max(0, a); a nan stays nan"""
        a = self.data
        # d(relu(a))/da = 0 if a <= 0 else 1
        if a <= 0.0:
            return _node(0.0, "relu", self, 0.0)
        return _node(a, "relu", self, 1.0)  # also a nan, since nan <= 0 is False

    # ------------------------------------------------------------ gradients

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

        **Threads.** Calls to `backward()` and `zero_grad()` run one at a
        time (a lock): calls from several threads, even on the same graph or
        on graphs that share parameters, leave the same grads as running them
        one after the other. Read grads once the call has returned (while it
        runs, intermediate grads are being rewritten). Changing `data` or
        `grad` yourself, or stepping with `backward_steps()`, is not covered:
        do that in one thread.
        """
        graph.backward(self)

    def zero_grad(self) -> None:
        """Set `grad` to 0.0 on this Value and everything it was computed from."""
        graph.zero_grad(self)

    def backward_steps(self) -> Iterator[BackwardStep]:
        """Run `backward()` one node at a time, yielding each chain-rule step.

        A view: see `engine/views/stepper.py` (and `register_view`); exhausting
        it leaves the same grads as `backward()`.
        """
        steps: Iterator[BackwardStep] = _views["backward_steps"](self)
        return steps

    # ------------------------------------------------------------ display

    def tree(self) -> str:
        """This Value's graph as indented text, for terminals (see `engine/views/tree.py`)."""
        text: str = _views["tree"](self)
        return text

    def __repr__(self) -> str:
        label = f"{self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data!r}, grad={self.grad!r})"

    def __format__(self, spec: str) -> str:
        """f"{v:.3f}" formats the number, `v.data`; f"{v}" is `repr(v)`."""
        return format(self.data, spec) if spec else repr(self)

    def __bool__(self) -> bool:
        """True unless the number is 0.0 (like a float)."""
        return self.data != 0.0

    # ------------------------------------------------------------ leaving the graph
    # `math.sin(v)` asks the Value for a float (through `__float__`), and the
    # float it got would carry no gradient: the graph, and backward(), would
    # never know that sin was there. So a Value refuses to become a plain
    # number by itself; `v.data` is the number, said out loud.

    def __float__(self) -> float:
        raise _plain_number_error(self, "float")

    def __int__(self) -> int:
        raise _plain_number_error(self, "int")

    def __round__(self, digits: int | None = None) -> float:
        raise _plain_number_error(self, "round")

    # micrograd's names for what stepgrad calls `children`, `op` and the
    # chain rule: code written for micrograd gets an error that names ours.
    _prev = _MicrogradName("a Value's inputs are `children` (an ordered tuple)")
    _op = _MicrogradName("the operation that made a Value is `op`")
    _backward = _MicrogradName(
        "a Value keeps d(itself)/d(child) in `local_grads`, no closure; "
        "run the chain rule with `backward()`, step through it with "
        "`backward_steps()` or `Stepper(v)`, and make an operation of your "
        "own with `engine.value.from_op(data, op, children, local_grads)`"
    )

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

    # ------------------------------------------------------------ copying

    def __reduce__(self) -> tuple[Any, ...]:
        """How `pickle` saves a Value: its graph as one flat list (see `graph.flat_graph`)."""
        if self._a is None:
            return (_rebuild_leaf, (self.data, self.grad, self.label, self.op, self.scope))
        return (_rebuild_graph, (graph.flat_graph(self),))

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """`copy.deepcopy`: every node of the graph copied once (see `_deep_copy`)."""
        return _deep_copy(self, memo)


class scope:
    """Create Values inside a named scope (nested scopes form a path).

    `nn` modules use this so that a drawing can group nodes by layer and neuron.
    Each thread (and asyncio task) has its own scope: a model running in one
    thread does not change where another thread's Values belong.

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

    __slots__ = ("name", "token")

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> tuple[str, ...]:
        path = _scope.get() + (self.name,)
        self.token = _scope.set(path)
        return path

    def __exit__(self, *exception: object) -> None:
        _scope.reset(self.token)

    @staticmethod
    def current() -> tuple[str, ...]:
        """The path that new Values are created in right now.

        >>> with scope("layers.0"):
        ...     scope.current()
        ('layers.0',)
        """
        return _scope.get()


# ---------------------------------------------------------------------------
# Copying and pickling a graph, without recursion
# ---------------------------------------------------------------------------
# pickle and copy.deepcopy would recurse once per level of the graph; instead a
# Value hands them its whole graph, listed by the walk (`graph.flat_graph`),
# and these functions build it again, children first.


def _rebuild_leaf(
    data: float, grad: float, label: str, op: str, scope: tuple[str, ...]
) -> Value:
    """A leaf, as `Value.__reduce__` saved it."""
    leaf = from_op(data, op, (), ())
    leaf.grad, leaf.label, leaf.scope = grad, label, scope
    return leaf


def _rebuild_graph(records: list[Any]) -> Value:
    """The graph that `graph.flat_graph` listed; returns its last node, the root."""
    nodes: list[Value] = []
    for record in records:
        if isinstance(record, Value):  # a leaf, already rebuilt by pickle
            nodes.append(record)
            continue
        data, grad, label, op, scope, children, local_grads = record
        node = from_op(data, op, [nodes[index] for index in children], local_grads)
        node.grad, node.label, node.scope = grad, label, scope
        nodes.append(node)
    return nodes[-1]


def _deep_copy(root: Value, memo: dict[int, Any]) -> Value:
    """`copy.deepcopy(root)`: every node copied once, children first.

    `memo` is deepcopy's record of what it copied already, so that nodes
    shared between several Values copied together stay shared.
    """
    for node in graph.topological_order(root):
        if id(node) in memo:
            continue
        children = tuple(memo[id(child)] for child in node.children)
        copy = from_op(node.data, node.op, children, node.local_grads)
        copy.grad, copy.label, copy.scope = node.grad, node.label, node.scope
        memo[id(node)] = copy
    result: Value = memo[id(root)]
    return result


# ---------------------------------------------------------------------------
# The checks: each explains one mistake and names the numbers you wrote
# ---------------------------------------------------------------------------


def _check_real_number(data: object) -> None:
    """Raise TypeError unless `data` is a real number that is not a bool."""
    if isinstance(data, Value):
        raise TypeError(
            f"Value({data!r}): this is already a Value; use it directly, "
            "or Value(v.data) for a new input with the same number"
        )
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(f"Value() needs an int or a float, not {described(data)}")


def _micrograd_constructor_error(data: object) -> TypeError:
    """The error for micrograd's `Value(data, (a, b), "+")`."""
    return TypeError(
        f"Value({data!r}, ...): a Value you make is an input, Value(data, label=''); "
        "a result gets its children from the operation itself (a + b), or, for an "
        "operation of your own, from engine.value.from_op(data, op, children, local_grads)"
    )


def _plain_number_error(value: Value, function: str) -> TypeError:
    """The error for float(v), int(v), round(v), and so for math.sin(v) and friends."""
    return TypeError(
        f"{function}() of {value!r} would take its number out of the graph, "
        "with no gradient (math.sin(v) and math.exp(v) do this too): use a "
        "Value operation such as v.tanh() or v.exp() to keep the gradient, "
        f"or v.data for the plain number ({function}(v.data))"
    )


def _check_divisor(a: float, b: float) -> None:
    """a / b needs b != 0."""
    if b == 0.0:
        raise ZeroDivisionError(f"division by zero in {a!r} / {b!r}: the divisor is 0")


def _check_log_domain(a: float) -> None:
    """log(a) needs a > 0."""
    if a <= 0.0:
        raise ValueError(f"log({a!r}) is undefined: log needs a positive input")


# The largest x for which math.exp(x) is still a finite float.
_EXP_LIMIT = math.log(1.7976931348623157e308)


def _check_exp_range(a: float) -> None:
    """exp(a) must fit in a float."""
    if a > _EXP_LIMIT:
        raise OverflowError(
            f"exp({a!r}) is too large for a float (the limit is about "
            f"exp({_EXP_LIMIT:.2f})); scale your inputs down"
        )


def _checked_power(a: float, n: float, exponent: object) -> float:
    """a ** n, after checking that it is a real, finite float; `exponent` is n
    as you wrote it (-1, or a Value), so that the errors can name the power.

    With a Value exponent the base must be positive: d(a**b)/db needs log(a).
    """
    if a <= 0.0 and isinstance(exponent, Value):
        raise ValueError(
            f"{_written_power(a, exponent)} is undefined for gradients: with a Value "
            "exponent the base must be positive (d(a**b)/db = a**b * log(a))"
        )
    if not math.isfinite(n):
        raise ValueError(f"{_written_power(a, exponent)}: the exponent must be a finite number")
    if a < 0.0 and not n.is_integer():
        raise ValueError(
            f"{_written_power(a, exponent)} is not a real number: a negative base needs "
            "a whole-number exponent"
        )
    if a == 0.0 and n < 0.0:
        raise ZeroDivisionError(
            f"{_written_power(a, exponent)} divides by zero: 0 cannot be raised to a "
            "negative power"
        )
    if math.isnan(a):
        return a  # IEEE says nan ** 0 is 1; stepgrad keeps the nan in sight
    try:
        return a**n
    except OverflowError:
        raise OverflowError(
            f"{_written_power(a, exponent)} is too large for a float; use smaller numbers"
        ) from None


def _written_power(a: float, exponent: object) -> str:
    """The power as you wrote it, for an error: `(-8.0) ** 0.5`, `0.0 ** Value(2.0)`.

    Made only when there is an error to report: `x ** 2` is common (a squared
    error), and making this text every time took a fifth of its time.
    """
    written = f"Value({exponent.data!r})" if isinstance(exponent, Value) else repr(exponent)
    return f"({a!r}) ** {written}" if a < 0.0 else f"{a!r} ** {written}"


def _exponent_text(n: float) -> str:
    """n as the op "**n" shows it: short (`2`, `0.5`), yet exact, so that
    `engine.unroll` can read the exponent back from the op.

    >>> _exponent_text(2.0), _exponent_text(0.1), _exponent_text(1 / 3)
    ('2', '0.1', '0.3333333333333333')
    """
    short = f"{n:g}"
    return short if float(short) == n else repr(n)


def _power_slope(a: float, n: float) -> float:
    """n * a**(n-1), the local derivative of a**n.

    Where it is too large for a float it is an infinity (as in IEEE floats and
    PyTorch), not an error: a**n itself was fine. At a = 0 with 0 < n < 1
    (such as a square root) the slope is vertical: +inf.
    """
    if n == 0.0:
        return 0.0  # a**0 = 1 is flat, even at a = 0
    try:
        return n * a ** (n - 1.0)
    except (OverflowError, ZeroDivisionError):
        negative = a < 0.0 and (n - 1.0) % 2.0 == 1.0  # an odd power of a negative a
        return n * (-math.inf if negative else math.inf)


def _ordering_error(value: Value, operator: str, other: object) -> TypeError:
    """The error for `value < other` and friends, with the fix in it."""
    right = "x.data" if isinstance(other, Value) else repr(other)
    return TypeError(
        f"cannot order Values ({value!r} {operator} {other!r}): compare their numbers "
        f"instead, e.g. value.data {operator} {right}"
    )
