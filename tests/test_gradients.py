"""Every op's gradient against central differences, over ONE table of ops.

Each row gives the op, a function of Values, and a Hypothesis strategy per
input. Inputs are kept away from kinks (relu at 0) and singularities (log at
0, 1/x at 0), where a finite difference does not measure the derivative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Value, gradcheck, topological_order


def floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


small = floats(-5.0, 5.0)
wide = floats(-30.0, 30.0)
positive = floats(0.1, 100.0)
away_from_zero = floats(0.5, 10.0) | floats(-10.0, -0.5)


@dataclass(frozen=True)
class Op:
    name: str
    function: Callable[..., Value]
    inputs: tuple[st.SearchStrategy[float], ...]


OPS = [
    Op("a + b", lambda a, b: a + b, (small, small)),
    Op("a - b", lambda a, b: a - b, (small, small)),
    Op("a * b", lambda a, b: a * b, (small, small)),
    Op("a / b", lambda a, b: a / b, (small, away_from_zero)),
    Op("-a", lambda a: -a, (small,)),
    Op("a + 2.5", lambda a: a + 2.5, (small,)),
    Op("2.5 - a", lambda a: 2.5 - a, (small,)),
    Op("3 * a", lambda a: 3 * a, (small,)),
    Op("1 / a", lambda a: 1 / a, (away_from_zero,)),
    Op("a ** 2", lambda a: a**2, (small,)),
    Op("a ** 3", lambda a: a**3, (small,)),
    Op("a ** -1", lambda a: a**-1, (away_from_zero,)),
    Op("a ** 0.5", lambda a: a**0.5, (positive,)),
    Op("a ** b", lambda a, b: a**b, (positive, small)),
    Op("2 ** a", lambda a: 2**a, (small,)),
    Op("exp(a)", lambda a: a.exp(), (small,)),
    Op("log(a)", lambda a: a.log(), (positive,)),
    Op("log(a + 100000)", lambda a: (a + 100000).log(), (small,)),
    Op("tanh(a)", lambda a: a.tanh(), (wide,)),
    Op("sigmoid(a)", lambda a: a.sigmoid(), (wide,)),
    Op("relu(a + 5.5)", lambda a: (a + 5.5).relu(), (small,)),
    Op("relu(a - 5.5)", lambda a: (a - 5.5).relu(), (small,)),
    Op("relu(a)", lambda a: a.relu(), (away_from_zero,)),
    # Reused inputs: every path must add up.
    Op("a * a", lambda a: a * a, (small,)),
    Op("(a + a) * (a - b)", lambda a, b: (a + a) * (a - b), (small, small)),
    Op("tanh(a * b + a) / b", lambda a, b: (a * b + a).tanh() / b, (small, away_from_zero)),
]


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@given(data=st.data())
def test_gradient_matches_central_differences(op: Op, data: st.DataObject) -> None:
    numbers = [data.draw(strategy, label=f"input {i}") for i, strategy in enumerate(op.inputs)]
    inputs = [Value(number, label="ab"[i]) for i, number in enumerate(numbers)]
    report = gradcheck(lambda: op.function(*inputs), inputs)
    assert report.ok, f"{op.name} at {numbers}:\n{report}"


def test_the_table_covers_every_op_of_value() -> None:
    every_op = {"+", "-", "*", "/", "neg", "**", "exp", "log", "tanh", "sigmoid", "relu"}
    seen = set()
    for op in OPS:
        output = op.function(*[Value(0.7) for _ in op.inputs])
        # "**2", "**0.5", ... are all the power op
        seen |= {node.op[:2] if node.op.startswith("**") else node.op
                 for node in topological_order(output)}
    assert every_op <= seen, every_op - seen
