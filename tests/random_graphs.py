"""Random graphs over every operation of Value, for property tests (Hypothesis).

A recipe is a list of leaf numbers and a list of operations, each reading
earlier nodes by index (so nodes are reused freely) or a plain constant. The
numbers include the edges: zeros, huge and tiny magnitudes, and results that
overflow to infinity (`1e300 * 1e300`), so that 0 * inf and friends occur.

`build(recipe)` skips an operation the numbers make impossible (log of a
negative, a division by zero, ...) and records which it applied in `plan`;
`build(recipe, data, plan)` builds the same graph again on other leaf numbers
(and raises if those numbers make an operation impossible).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from hypothesis import strategies as st

from engine import Value

EDGES = [0.0, 1.0, -1.0, 0.5, -2.0, 3.0, 1e-300, -1e-300, 1e300, -1e300, 700.0, -700.0]
EXPONENTS = [0.0, 0.5, 1.0, 2.0, 3.0, -1.0, -0.5, 1.5, -2.0, 0.25]

numbers = st.one_of(st.sampled_from(EDGES), st.floats(-1e3, 1e3), st.floats(-1e308, 1e308))

UNARY: dict[str, Callable[[Value], Value]] = {
    "neg": Value.__neg__,
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
}
BINARY: dict[str, Callable[[Any, Any], Value]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}

# (op, first node, second node, constant, where the constant goes)
operation = st.one_of(
    st.tuples(st.sampled_from(sorted(UNARY)), st.integers(0, 999), st.just(0),
              st.just(0.0), st.just("none")),
    st.tuples(st.sampled_from(sorted(BINARY)), st.integers(0, 999), st.integers(0, 999),
              numbers, st.sampled_from(["none", "none", "left", "right"])),
    st.tuples(st.just("**n"), st.integers(0, 999), st.just(0),
              st.sampled_from(EXPONENTS), st.just("right")),
)
recipes = st.tuples(
    st.lists(numbers, min_size=1, max_size=5),
    st.lists(operation, min_size=1, max_size=30),
)


@dataclass
class Built:
    root: Value
    leaves: list[Value]
    nodes: list[Value]
    plan: list[int]  # the operations applied, by index in the recipe


def build(recipe: tuple, data: list[float] | None = None, plan: list[int] | None = None) -> Built:
    """The graph of `recipe` (on the leaf numbers `data` if given, else the recipe's)."""
    leaf_numbers, operations = recipe
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(data or leaf_numbers)]
    nodes = list(leaves)
    applied = []
    for index in range(len(operations)) if plan is None else plan:
        name, first, second, constant, side = operations[index]
        a, b = nodes[first % len(nodes)], nodes[second % len(nodes)]
        try:
            if name in UNARY:
                node = UNARY[name](a)
            elif name == "**n":
                node = a**constant
            elif side == "left":
                node = BINARY[name](constant, a)
            elif side == "right":
                node = BINARY[name](a, constant)
            else:
                node = BINARY[name](a, b)
        except (ValueError, ZeroDivisionError, OverflowError):
            if plan is not None:
                raise
            continue
        nodes.append(node)
        applied.append(index)
    return Built(nodes[-1], leaves, nodes, applied)


def same_float(a: float, b: float) -> bool:
    """Equal bit for bit, counting every nan as the same nan."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
