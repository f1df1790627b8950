"""The graph walk and backward(): order, accumulation, depth, and memory."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import Value, backward, topological_order, zero_grad
from engine.graph import prepare_backward

ROOT = Path(__file__).resolve().parents[1]


def small_graph() -> tuple[Value, Value, Value]:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = (a * b + a).tanh() * b + a.exp()
    return a, b, c


# ---------------------------------------------------------------- topological order


def test_children_come_before_parents_and_each_node_once() -> None:
    _, _, c = small_graph()
    order = topological_order(c)
    assert order[-1] is c
    assert len(order) == len(set(order))
    position = {node: index for index, node in enumerate(order)}
    for node in order:
        for child in node.children:
            assert position[child] < position[node]


def test_order_follows_the_order_of_the_children() -> None:
    a = Value(2.0, label="a")
    b = Value(3.0, label="b")
    c = a * a + b
    assert [v.op or v.label for v in topological_order(c)] == ["a", "*", "b", "+"]
    d = b + a * a
    assert [v.op or v.label for v in topological_order(d)] == ["b", "a", "*", "+"]


def test_a_leaf_is_its_own_order() -> None:
    a = Value(1.0)
    assert topological_order(a) == [a]


ORDER_PROGRAM = """
from engine import Value, topological_order
x = [Value(float(i), label=f"x{i}") for i in range(6)]
y = x[0]
for i in range(1, 40):
    y = (y * x[i % 6] + x[(i * 7) % 6]).tanh() - x[(i * 5) % 6] / (1 + x[i % 3] ** 2)
print(" ".join(v.op or v.label for v in topological_order(y)))
"""


def test_the_order_is_the_same_in_every_run() -> None:
    """Identity hashes and set order differ between processes; the walk must not."""
    outputs = set()
    for hash_seed in ("1", "2", "random"):
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", ORDER_PROGRAM],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    # The same program twice in one process gives the same order as well.
    namespace: dict[str, object] = {}
    exec(ORDER_PROGRAM.replace("print(", "first = ("), namespace)
    exec(ORDER_PROGRAM.replace("print(", "second = ("), namespace)
    assert namespace["first"] == namespace["second"] == outputs.pop().strip()


# ---------------------------------------------------------------- backward


def test_backward_fills_grad_on_every_node() -> None:
    a, b, c = small_graph()
    c.backward()
    assert c.grad == 1.0
    assert all(node.grad != 0.0 for node in topological_order(c))


def test_a_reused_node_gets_the_sum_of_its_paths() -> None:
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0


def test_leaves_accumulate_and_zero_grad_resets() -> None:
    a, b, c = small_graph()
    c.backward()
    first = (a.grad, b.grad)
    c.backward()
    assert (a.grad, b.grad) == (2 * first[0], 2 * first[1])
    zero_grad(c)
    assert all(node.grad == 0.0 for node in topological_order(c))
    backward(c)
    assert (a.grad, b.grad) == first


def test_intermediate_grads_hold_this_calls_gradient() -> None:
    a = Value(2.0)
    b = a * 3
    c = b * b
    c.backward()
    c.backward()
    assert b.grad == 2 * b.data  # not doubled: intermediates restart each call
    assert a.grad == 2 * (2 * b.data * 3)


def test_prepare_backward_resets_intermediates_and_seeds_the_root() -> None:
    a = Value(1.0)
    b = a * 2
    c = b + 1
    a.grad, b.grad, c.grad = 5.0, 7.0, 9.0
    order = prepare_backward(c)
    assert order == topological_order(c)
    assert (a.grad, b.grad, c.grad) == (5.0, 0.0, 1.0)


def test_a_million_deep_chain_at_the_default_recursion_limit() -> None:
    assert sys.getrecursionlimit() <= 10_000
    x = Value(0.5)
    v = x
    for _ in range(1_000_000):
        v = v + x
    v.backward()
    assert x.grad == 1_000_001.0
    assert v.grad == 1.0


# ---------------------------------------------------------------- memory


def count_values() -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) is Value)


def test_a_dropped_graph_is_freed_by_reference_counting_alone() -> None:
    """With the cyclic collector off, only refcounting can free the graph.

    Value has no __weakref__ slot, so instead of weak references we count the
    Values the collector still tracks, and check that collecting afterwards
    finds nothing (a cycle anywhere would be found and counted).
    """
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        before = count_values()
        inputs = [Value(float(i) / 10) for i in range(5)]
        out = inputs[0]
        for i in range(200):
            out = (out * inputs[i % 5] + inputs[(i + 1) % 5]).tanh() - inputs[i % 3].exp()
        out.backward()
        topological_order(out)
        out.zero_grad()
        assert count_values() > before + 1000
        del inputs, out, i
        assert count_values() == before
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("name", ["grad", "data", "children", "local_grads"])
def test_no_value_carries_a_dict_or_weakref(name: str) -> None:
    value = Value(1.0) * 2
    assert not hasattr(value, "__dict__")
    assert not hasattr(value, "__weakref__")
    assert hasattr(value, name)
