"""The graph walk: the one place that visits a computation graph.

`topological_order(root)` lists every Value that `root` was computed from,
each one *after* all of its children, so reading the list backwards visits
each node before any of the nodes it was made from. `backward()` runs the
chain rule in that reversed order; the stepper, the drawing and the text tree
all use the same walk, so they all show the same nodes in the same order.

The walk uses an explicit stack instead of recursion, so a graph a million
nodes deep is fine at Python's default recursion limit.

>>> from engine import Value
>>> a = Value(2.0, label="a")
>>> b = a * a
>>> c = b + 1
>>> [v.op or v.label for v in topological_order(c)]
['a', '*', '', '+']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for type hints: graph.py needs nothing from value.py
    from engine.value import Value


def topological_order(root: Value) -> list[Value]:
    """Every Value reachable from `root`, children before parents, `root` last.

    The order is deterministic: children are visited in the order they were
    given to their operation, so the same program always gives the same list.
    Each node appears once, however many times it is used.

    A node is pushed on the stack, and when it first comes off it goes back
    on with its children above it; the next time it comes off, its children
    are all listed, so it is listed too. A leaf has no children to wait for,
    so it is listed the first time it comes off.
    """
    order: list[Value] = []
    expanded: set[Value] = set()  # nodes whose children are on the stack
    emitted: set[Value] = set()  # nodes already in `order`
    stack: list[Value] = [root]
    while stack:
        node = stack.pop()
        if node in expanded:
            # Second time on top: everything above it (its children) is done.
            if node not in emitted:
                emitted.add(node)
                order.append(node)
            continue
        expanded.add(node)
        if not node.children:  # a leaf: nothing to wait for
            emitted.add(node)
            order.append(node)
            continue
        stack.append(node)  # comes back after its children
        # Reversed, so that the first child is popped (and listed) first.
        for child in reversed(node.children):
            if child not in expanded:
                stack.append(child)
    return order


def backward(root: Value) -> None:
    """Run the chain rule from `root` over its graph (see `Value.backward`).

    For each node, from `root` down to the inputs, and each child of it:

        child.grad += node.grad * d(node)/d(child)

    The leaves (values with no children: your inputs and parameters) keep
    what they had and add to it, so gradients accumulate across calls.
    Intermediate nodes start this call at 0.0, so they hold this call's
    gradient and never pass an old one on twice. A node whose grad is 0.0
    would add 0.0 to each child, so it is skipped (in a ReLU network, every
    neuron that is off).
    """
    order = prepare_backward(root)
    for node in reversed(order):
        upstream = node.grad
        if upstream == 0.0 or not node.children:
            continue  # nothing to pass on (a ReLU that is off, or a leaf)
        for child, local in zip(node.children, node.local_grads):
            child.grad += upstream * local


def prepare_backward(root: Value) -> list[Value]:
    """Reset the intermediate grads and seed d(root)/d(root) = 1.

    Returns the topological order. Shared by `backward()` and the stepper, so
    that stepping through backprop ends with exactly the same grads.
    """
    order = topological_order(root)
    for node in order:
        if node.children:
            node.grad = 0.0
    root.grad += 1.0
    return order


def zero_grad(root: Value) -> None:
    """Set `grad` to 0.0 on `root` and on every Value it was computed from."""
    for node in topological_order(root):
        node.grad = 0.0
