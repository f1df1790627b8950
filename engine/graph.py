"""The graph walk: the one place that visits a computation graph.

`topological_order(root)` lists every Value that `root` was computed from,
each one *after* all of its children, so reading the list backwards visits
each node before any of the nodes it was made from. `backward()` runs the
chain rule in that reversed order; the stepper, the drawing and the text tree
all use the same walk, so they all show the same nodes in the same order.
(backward() runs the same walk in a faster form of its own: `_computed_nodes`.)

The walk uses an explicit stack instead of recursion, so a graph a million
nodes deep is fine at Python's default recursion limit. Pickling and
`copy.deepcopy` of a graph go through the same walk (`flat_graph`, at the end
of this file, lists a graph; `engine/value.py` builds it again), so they are
fine too.

>>> from engine import Value
>>> a = Value(2.0, label="a")
>>> b = a * a
>>> c = b + 1
>>> [v.op or v.label for v in topological_order(c)]
['a', '*', '', '+']
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type hints only: value.py imports this module, not the other way
    from engine.value import Value

# backward() and zero_grad() hold this lock, so that calls from several
# threads run one after the other (see Value.backward).
_gradient_lock = threading.Lock()


def topological_order(root: Value) -> list[Value]:
    """Every Value reachable from `root`, children before parents, `root` last.

    The order is deterministic: children are visited in the order they were
    given to their operation, so the same program always gives the same list.
    Each node appears once, however many times it is used.

    Depth first, with a stack instead of recursion. A node coming off the
    stack for the first time goes back on, under a marker (None), with its
    children above the marker; when the marker comes off again, everything
    above it is listed, so the node under it is listed next. A leaf has no
    children to wait for, so it is listed the first time it comes off.
    (The nodes are read through their slots `_a` and `_b`, see `Value`,
    rather than `children`, which would build a tuple per node.)
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Any] = [root]  # Values, and None as the marker
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node is None:  # the marker: the node under it is complete
            order.append(pop())
            continue
        if node in visited:
            continue
        visited.add(node)
        a, b = node._a, node._b
        if a is None:  # a leaf: nothing to wait for
            order.append(node)
            continue
        push(node)
        push(None)
        # The last child pushed comes off (and is listed) first: so push the
        # children in reverse, and the first child is listed first.
        if b is not None:
            if b not in visited:
                push(b)
            if a not in visited:
                push(a)
        elif type(a) is tuple:
            for child in reversed(a):
                if child not in visited:
                    push(child)
        elif a not in visited:
            push(a)
    return order


def backward(root: Value) -> None:
    """Run the chain rule from `root` over its graph (see `Value.backward`).

    For each node, from `root` down to the inputs, and each child of it:

        child.grad += node.grad * d(node)/d(child)

    The leaves (values with no children: your inputs and parameters) keep
    what they had and add to it, so gradients accumulate across calls.
    Intermediate nodes start this call at 0.0, so they hold this call's
    gradient and never pass an old one on twice.

    A node whose grad is 0.0 adds 0.0 to each child, so it is skipped (in a
    ReLU network, every neuron that is off) -- unless one of its local
    derivatives is infinite (or nan): 0 * inf is nan, in IEEE floats as in
    PyTorch, and the nan is passed on. (`-inf < x < inf` is true for every
    finite x and false for inf and nan: the cheapest test of both.)

    >>> from engine import Value
    >>> x, w = Value(0.0), Value(-1.0)
    >>> out = x**0.5 * w.relu()   # d(x**0.5)/dx = inf at 0, and relu(-1) = 0
    >>> out.backward()
    >>> x.grad                    # 0 * inf, as PyTorch gives
    nan
    """
    with _gradient_lock:
        order = _computed_nodes(root)  # a leaf has nothing to pass on
        root.grad += 1.0  # every node in `order` holds 0.0 now: the walk's mark
        low, high = -math.inf, math.inf  # low < x < high: x is finite (not inf, not nan)
        for node in reversed(order):
            upstream = node.grad
            if upstream == 0.0:  # passes 0 * local on: nothing, if the locals are finite
                local, other = node._da, node._db
                if other is None:  # one child
                    if low < local < high:
                        continue  # nothing to pass on (a ReLU that is off)
                elif type(local) is tuple:  # three or more: a sum of finite numbers
                    if low < sum(local) < high:  # is finite (or overflows: no skip)
                        continue
                elif low < local < high and low < other < high:  # two children
                    continue
            a, b = node._a, node._b
            if b is not None:  # two children, the most common case
                a.grad += upstream * node._da
                b.grad += upstream * node._db
            elif type(a) is tuple:  # three or more
                for child, local in zip(a, node._da):
                    child.grad += upstream * local
            else:  # one child
                a.grad += upstream * node._da


def _computed_nodes(root: Value) -> list[Value]:
    """`topological_order(root)` without the leaves, found faster, for backward().

    The same walk as `topological_order`, with two changes. Leaves are never
    pushed, so their grads, which accumulate across calls, are never touched.
    And instead of a set of the nodes seen, each node seen gets a mark in its
    own `grad`, as looking at a node is quicker than looking it up in a set
    of 100,000. The mark is a 0.0 made for this walk alone, a float object
    that no grad can hold by chance (`is` tells it from every other 0.0, in
    CPython, where each float made at run time is an object of its own), so
    each listed node's grad is left at 0.0: just what backward() needs
    before it starts, with no second pass to reset them.

    A node with three or more children lists in `_db` those of them that are
    not leaves (see `Value`), and the walk follows only these.
    """
    order: list[Value] = []
    if root._a is None:
        return order
    seen = float("0")  # a new float object, 0.0: the mark of this walk
    stack: list[Any] = [root]  # Values, and None as the marker
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node is None:  # the marker: the node under it is complete
            order.append(pop())
            continue
        if node.grad is seen:
            continue
        node.grad = seen
        push(node)
        push(None)
        a, b = node._a, node._b
        if b is not None:
            if b._a is not None and b.grad is not seen:
                push(b)
            if a._a is not None and a.grad is not seen:
                push(a)
        elif type(a) is tuple:  # its children that are not leaves, kept in _db
            for child in reversed(node._db):
                if child.grad is not seen:
                    push(child)
        elif a._a is not None and a.grad is not seen:
            push(a)
    return order


# ---------------------------------------------------------------------------
# Names: what every view calls a node
# ---------------------------------------------------------------------------
# The walk numbers the nodes, so the walk names them: the Stepper, the command
# line, the classroom, the unrolled code and the drawing all call a node by
# these names, and the drawing writes each name in the box it names.

# A label that reads as a name before ".grad": x, w1, loss, and the dotted
# parameter names of nn (w.0, layers.0.neurons.3.b).
PLAIN_NAME = re.compile(r"[A-Za-z_]\w*(\.\w+)*")


def node_name(node: Value, index: int) -> str:
    """The name a student sees for `node`, which is number `index` in the walk.

    A node whose label is a plain name (`x`, `w1`, `loss`, or a dotted
    parameter name such as `w.0` or `layers.0.neurons.3.b`) is called by its
    label. Any other node is called `#` and its position in
    `topological_order(root)`: `#7` is node 7 of the walk. The drawing writes
    `#7` in that node's box (beside its label, if it has one such as `x*w`,
    which would make `x*w.grad` ambiguous in a sentence).

    >>> from engine import Value
    >>> node_name(Value(1.0, label="w1"), 0)
    'w1'
    >>> node_name(Value(1.0).tanh(), 7)
    '#7'
    >>> node_name(Value(1.0, label="x*w"), 3), node_name(Value(1.0, label="w.0"), 1)
    ('#3', 'w.0')
    """
    if PLAIN_NAME.fullmatch(node.label):
        return node.label
    return f"#{index}"


# ---- the numbers fed to a model: named after the weight they meet, or by their place


# A parameter's name: its last part is w, b, weight or bias, maybe numbered: "w",
# "w1", "b", "w.0", "layers.0.neurons.3.w.1", "layers.1.b".
PARAMETER_LABEL = re.compile(r"(?:.*\.)?(?:w|b|weight|bias)\d*(?:\.\d+)?")


def is_parameter_label(label: str) -> bool:
    """Whether a label looks like a parameter's name (w, w1, b, bias, layers.0.w.3, ...).

    >>> [is_parameter_label(name) for name in ("w1", "b", "layers.1.neurons.0.w.2", "x1")]
    [True, True, True, False]
    """
    return PARAMETER_LABEL.fullmatch(label) is not None


# A weight's name: "w.0", "w3", "layers.0.neurons.2.w.1" (the number is kept for its input).
WEIGHT_LABEL = re.compile(r"(?:.*\.)?w(\.?\d+)")


def _unnamed_leaf(node: Value) -> bool:
    return not node.children and not node.label and not node.scope


def module_passes(order: list[Value]) -> dict[Value, int]:
    """Which call of a module made each computed Value: 0, 1, ... in graph order.

    A loss over 5 points calls the model 5 times: 5 passes through the same
    scopes (layers.0 > neurons.3, ...). Values computed inside scopes belong
    to one pass when they feed one another or read the same input (the
    neurons of a layer read the same x); passes share only parameters.
    Values computed outside any scope are in no pass.

    >>> from engine import Value, scope
    >>> w = Value(0.5, label="w")
    >>> with scope("neuron"):
    ...     first, second = w * Value(2.0), w * Value(3.0)
    >>> sorted(module_passes(topological_order(first + second)).values())
    [0, 1]
    """
    # Union-find: join each scoped computed Value to its scoped computed
    # children and to the inputs it reads (`leader` follows links in a loop).
    link: dict[Value, Value] = {}

    def leader(node: Value) -> Value:
        while link[node] is not node:
            link[node] = link[link[node]]
            node = link[node]
        return node

    scoped = [node for node in order if node.scope and node.children]
    for node in scoped:
        link[node] = node
    for node in scoped:
        for child in node.children:
            is_input = not child.children and not is_parameter_label(child.label)
            if child in link or is_input:
                link.setdefault(child, child)
                link[leader(child)] = leader(node)
    numbers: dict[Value, int] = {}
    passes: dict[Value, int] = {}
    for node in scoped:  # in graph order, so pass 0 is the first one computed
        passes[node] = numbers.setdefault(leader(node), len(numbers))
    return passes


def input_names(order: list[Value]) -> dict[Value, str]:
    """Names for the plain numbers fed to a neuron or a model: `x.0`, `x.1`, ...

    `neuron([2.0, -1.0])` turns the numbers into unlabelled Values. Such a
    leaf is named after the weight it is multiplied by (`w.1 * #6` makes
    #6 `x.1`; `w2` makes it `x2`). Failing that, a leaf whose every user is
    inside one pass of a module (see `module_passes`) is named by the order
    in which that pass first uses it. Other unlabelled numbers (the 3.0 of
    `a * 3.0`) keep no name.

    >>> from engine import Value, scope
    >>> w = [Value(0.5, label="w.0"), Value(-1.0, label="w.1")]
    >>> x = [Value(2.0), Value(3.0)]          # what a neuron makes of [2.0, 3.0]
    >>> out = w[0] * x[0] + w[1] * x[1] + 3.0
    >>> sorted(input_names(topological_order(out)).values())
    ['x.0', 'x.1']
    """
    passes = module_passes(order)
    names: dict[Value, str] = {}
    pass_of_users: dict[Value, set[int]] = {}
    outside_users: set[Value] = set()
    for node in order:
        if node.op == "*" and len(node.children) == 2:
            for value, partner in (node.children, node.children[::-1]):
                weight = WEIGHT_LABEL.fullmatch(partner.label)
                if _unnamed_leaf(value) and weight and not partner.children:
                    names.setdefault(value, "x" + weight.group(1))
        for child in node.children:
            if node in passes:
                pass_of_users.setdefault(child, set()).add(passes[node])
            else:
                outside_users.add(child)
    counts: dict[int, int] = {}
    for node in order:
        if not _unnamed_leaf(node) or node in names or node in outside_users:
            continue
        users = pass_of_users.get(node, set())
        if len(users) == 1:
            number = next(iter(users))
            names[node] = f"x.{counts.get(number, 0)}"
            counts[number] = counts.get(number, 0) + 1
    return names


def node_names(order: list[Value]) -> dict[Value, str]:
    """A name for every node of a graph, given in topological order.

    Each node is called as `node_name` says, except the numbers fed to a
    neuron or a model, which are called `x.0`, `x.1`, ... (see
    `input_names`). A name names one node: two nodes that would share a
    name (two labels `a`, or the `x.0` of each of several points) are both
    called by their numbers.

    >>> from engine import Value
    >>> a, b = Value(1.0, label="a"), Value(2.0, label="a")
    >>> list(node_names(topological_order(a * b)).values())
    ['#0', '#1', '#2']
    >>> w = Value(0.5, label="w.0")
    >>> list(node_names(topological_order(w * 2.0)).values())
    ['w.0', 'x.0', '#2']
    """
    names = {node: node_name(node, index) for index, node in enumerate(order)}
    for node, name in input_names(order).items():  # x.0, x.1 for a model's numbers
        names[node] = name
    counts = Counter(names.values())
    for index, node in enumerate(order):
        if counts[names[node]] > 1:
            names[node] = f"#{index}"
    return names


def prepare_backward(root: Value) -> list[Value]:
    """Reset the intermediate grads and seed d(root)/d(root) = 1.

    Returns the topological order. The stepper uses it, so that stepping
    through backprop starts as backward() does and ends with exactly the
    same grads.
    """
    order = topological_order(root)
    for node in order:
        if node._a is not None:
            node.grad = 0.0
    root.grad += 1.0
    return order


def zero_grad(root: Value) -> None:
    """Set `grad` to 0.0 on `root` and on every Value it was computed from."""
    with _gradient_lock:
        for node in topological_order(root):
            node.grad = 0.0


# ---------------------------------------------------------------------------
# Copying and pickling a graph, without recursion
# ---------------------------------------------------------------------------
# Python's pickle and copy.deepcopy save an object by saving what it points to
# first, recursing once per level: a graph deeper than about 1000 nodes would
# raise RecursionError. So a Value hands them its whole graph, listed by the
# walk above, instead.


def flat_graph(root: Value) -> list[Any]:
    """The graph under `root` as one flat list, for `pickle` (see `Value.__reduce__`).

    The graph in topological order, each computed node as its fields and the
    positions of its children in the list. The leaves are listed as the
    Values themselves, so a model's parameters stay one object with the
    graphs made from them; an intermediate node is rebuilt once for every
    root you pickle that reaches it.
    """
    order = topological_order(root)
    position = {node: index for index, node in enumerate(order)}
    records: list[Any] = []
    for node in order:
        if node._a is None:
            records.append(node)
            continue
        children = tuple(position[child] for child in node.children)
        fields = (node.data, node.grad, node.label, node.op, node.scope)
        records.append((*fields, children, node.local_grads))
    return records
