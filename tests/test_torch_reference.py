"""stepgrad against PyTorch (float64) on many random expression graphs.

The same random program runs once on Values and once on 0-d torch tensors;
the outputs and the gradient of every node must agree. Skipped when torch is
not installed (CI installs it).
"""

from __future__ import annotations

import random
from typing import Any, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Value

torch = pytest.importorskip("torch")

# Each op takes `choose` (returns a random earlier result), the functions of
# the backend (Value methods or torch functions) and the random source, and
# returns a new result, on Values and tensors alike. Inputs are kept in the
# domain of each op: 1 + b*b != 0, log(x*x + 1) > 0, a positive base for **.
Functions = dict[str, Callable[[Any], Any]]
Choose = Callable[[], Any]


def with_a_number(choose: Choose, fn: Functions, rng: random.Random) -> Any:
    kind = rng.randrange(3)
    if kind == 0:
        return 2.5 - choose()
    if kind == 1:
        return choose() * -1.5
    return 3 / (2 + choose() ** 2)


def power_of_a_value(choose: Choose, fn: Functions, rng: random.Random) -> Any:
    base = fn["sigmoid"](choose()) + 0.5
    return base ** fn["tanh"](choose())


OPS: dict[str, Callable[[Choose, Functions, random.Random], Any]] = {
    "+": lambda choose, fn, rng: choose() + choose(),
    "-": lambda choose, fn, rng: choose() - choose(),
    "*": lambda choose, fn, rng: choose() * choose(),
    "/": lambda choose, fn, rng: choose() / (1 + choose() ** 2),
    "number": with_a_number,
    "neg": lambda choose, fn, rng: -choose(),
    "**n": lambda choose, fn, rng: choose() ** rng.choice([2, 3]),
    "**": power_of_a_value,
    "exp": lambda choose, fn, rng: fn["exp"](fn["tanh"](choose())),
    "log": lambda choose, fn, rng: fn["log"](choose() ** 2 + 1),
    "tanh": lambda choose, fn, rng: fn["tanh"](choose()),
    "sigmoid": lambda choose, fn, rng: fn["sigmoid"](choose()),
    "relu": lambda choose, fn, rng: fn["relu"](choose()),
}

NAMES = ["exp", "log", "tanh", "sigmoid", "relu"]
VALUE_FUNCTIONS: Functions = {name: getattr(Value, name) for name in NAMES}
TORCH_FUNCTIONS: Functions = {name: getattr(torch, name) for name in NAMES}


def run(seed: int, inputs: list[Any], functions: Functions, n_ops: int) -> list[Any]:
    """A random program: each step applies a random op to random earlier results
    (recent ones more often, so graphs are deep as well as wide, and nodes are reused)."""
    rng = random.Random(seed)
    results = list(inputs)

    def choose() -> Any:
        return results[max(0, len(results) - 1 - int(rng.expovariate(0.3)))]

    for _ in range(n_ops):
        op = rng.choice(sorted(OPS))
        results.append(OPS[op](choose, functions, rng))
    return results


@given(
    seed=st.integers(0, 2**32),
    numbers=st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4),
    n_ops=st.integers(1, 40),
)
def test_values_and_every_gradient_match_pytorch(
    seed: int, numbers: list[float], n_ops: int
) -> None:
    values = run(seed, [Value(x) for x in numbers], VALUE_FUNCTIONS, n_ops)
    tensors = run(
        seed,
        [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in numbers],
        TORCH_FUNCTIONS,
        n_ops,
    )
    # The output sums the last few results, so that many nodes matter.
    output = sum(values[-3:])
    torch_output = sum(tensors[-3:])
    for tensor in tensors:
        if tensor.requires_grad and not tensor.is_leaf:
            tensor.retain_grad()
    output.backward()
    torch_output.backward()

    assert output.data == pytest.approx(torch_output.item(), rel=1e-9, abs=1e-12)
    for value, tensor in zip(values, tensors):
        assert value.data == pytest.approx(tensor.item(), rel=1e-9, abs=1e-12)
        if not tensor.requires_grad or tensor.grad is None:
            # torch leaves no grad on a node that output does not depend on
            continue
        assert value.grad == pytest.approx(tensor.grad.item(), rel=1e-9, abs=1e-12)


def test_reused_nodes_match_pytorch() -> None:
    a = Value(0.7)
    b = a * a + a
    c = (b * b).tanh() + b * a
    c.backward()
    ta = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    tb = ta * ta + ta
    tc = torch.tanh(tb * tb) + tb * ta
    tc.backward()
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
