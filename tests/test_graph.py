"""The graph walk and backward(): order, accumulation, depth, and memory."""

from __future__ import annotations

import copy
import gc
import math
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import random_graphs
from hypothesis import assume, example, given

from engine import (
    Stepper,
    Value,
    backward,
    backward_steps,
    scope,
    topological_order,
    zero_grad,
)
from engine.graph import (
    _computed_nodes,
    input_names,
    module_passes,
    node_names,
    prepare_backward,
)
from engine.value import from_op

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


def test_the_walk_for_backward_lists_the_same_nodes_in_the_same_order() -> None:
    """backward() walks its own way, without the leaves; the same order."""
    _, _, c = small_graph()
    everything = topological_order(c)
    computed = _computed_nodes(c)
    assert computed == [node for node in everything if node.children]


def test_a_node_with_many_children_passes_a_grad_to_each() -> None:
    xs = [Value(float(i)) for i in range(4)]
    total = from_op(6.0, "sum", xs, (1.0, 2.0, 3.0, 4.0))
    (total * 2).backward()
    assert [x.grad for x in xs] == [2.0, 4.0, 6.0, 8.0]


@pytest.mark.parametrize("told", [False, True])
def test_a_node_with_many_children_walks_through_the_computed_ones(told: bool) -> None:
    """Leaves and results of operations mixed; from_op finds which are which,
    or is told (`computed_children`), and backward() reaches past them."""
    x = Value(3.0)
    squared, doubled = x * x, x * 2
    children = (Value(1.0), squared, Value(2.0), doubled)
    given = {"computed_children": (squared, doubled)} if told else {}
    total = from_op(0.0, "sum", children, (1.0, 1.0, 1.0, 1.0), **given)
    assert total._db == (squared, doubled)
    total.backward()
    assert x.grad == 2 * 3.0 + 2  # d(x*x + 2x)/dx
    assert squared.grad == doubled.grad == 1.0
    assert topological_order(total)[-1] is total


def test_backward_leaves_each_intermediate_grad_at_this_calls_value() -> None:
    """The walk's mark is a 0.0 of its own, so every intermediate node starts
    each backward() at zero, also one that passes no gradient on."""
    x = Value(-1.0)
    off = x.relu()  # relu of a negative: its grad is this call's, not passed on
    out = off * 2 + x
    out.backward()
    out.backward()
    assert off.grad == 2.0 and out.grad == 1.0  # this call's, not twice
    assert x.grad == 2.0  # a leaf: 1 + 1, accumulated


# ---------------------------------------------------------------- memory

FREED_PROGRAM = """
import gc
from engine import Value, topological_order

def count_values():
    return sum(1 for obj in gc.get_objects() if type(obj) is Value)

gc.collect()  # the garbage of starting up
gc.disable()  # this process only: now nothing but reference counting frees memory
before = count_values()
inputs = [Value(float(i) / 10) for i in range(5)]
out = inputs[0]
for i in range(200):
    out = (out * inputs[i % 5] + inputs[(i + 1) % 5]).tanh() - inputs[i % 3].exp()
out.backward()
topological_order(out)
out.zero_grad()
alive = count_values()
del inputs, out, i
print(alive - before, count_values() - before, gc.collect())
"""


def test_a_dropped_graph_is_freed_by_reference_counting_alone() -> None:
    """In a fresh process with the cyclic collector off, only reference
    counting can free the graph: every Value must be gone right after `del`,
    and a collection afterwards must find nothing (a cycle would be found)."""
    result = subprocess.run(
        [sys.executable, "-c", FREED_PROGRAM],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    alive, left, collected = map(int, result.stdout.split())
    assert alive > 1000
    assert (left, collected) == (0, 0)


@pytest.mark.parametrize("name", ["grad", "data", "children", "local_grads"])
def test_no_value_carries_a_dict_or_weakref(name: str) -> None:
    value = Value(1.0) * 2
    assert not hasattr(value, "__dict__")
    assert not hasattr(value, "__weakref__")
    assert hasattr(value, name)


def test_the_engine_leaves_interpreter_settings_alone() -> None:
    settings = (sys.getrecursionlimit(), gc.isenabled(), gc.get_threshold())
    x = Value(0.5)
    v = x
    for _ in range(5000):
        v = (v * 0.5).tanh()
    v.backward()
    pickle.loads(pickle.dumps(v))
    copy.deepcopy(v)
    assert (sys.getrecursionlimit(), gc.isenabled(), gc.get_threshold()) == settings


# ---------------------------------------------------------------- copying deep graphs


def deep_chain(depth: int) -> tuple[Value, Value]:
    """x, and a chain `depth` operations deep made from it (deeper than the
    recursion limit, so any recursive copy or pickle would fail)."""
    x = Value(0.5, label="x")
    v = x
    for i in range(depth):
        v = v.tanh() if i % 2 else v + x
    return x, v


def test_a_deep_graph_pickles_and_deep_copies() -> None:
    depth = 20 * sys.getrecursionlimit()
    x, v = deep_chain(depth)
    v.backward()
    for copied in (pickle.loads(pickle.dumps(v)), copy.deepcopy(v)):
        order = topological_order(copied)
        assert len(order) == depth + 1
        assert [n.data for n in order[-3:]] == [n.data for n in topological_order(v)[-3:]]
        assert order[0].label == "x" and order[0].grad == x.grad
        copied.zero_grad()
        copied.backward()
        assert order[0].grad == x.grad
        assert x.grad != 0.0 and order[0] is not x


def test_copies_keep_what_is_shared_shared() -> None:
    with scope("layers.0"):
        w = Value(2.0, label="w")
        hidden = (w * 3).tanh()
    loss = hidden * hidden + w
    loss.backward()
    w2, hidden2, loss2 = pickle.loads(pickle.dumps((w, hidden, loss)))
    assert w2 in loss2.children  # the leaf stays one object
    assert (loss2.data, loss2.grad, w2.grad) == (loss.data, loss.grad, w.grad)
    assert hidden2.scope == ("layers.0",) and hidden2.op == "tanh"
    w3, hidden3, loss3 = copy.deepcopy((w, hidden, loss))
    assert loss3.children[0].children == (hidden3, hidden3)  # every node stays one
    assert w3 in loss3.children and w3.label == "w"


# ---------------------------------------------------------------------- 0 * inf (issue 19)


def test_a_zero_grad_times_an_infinite_local_derivative_is_nan() -> None:
    x, w = Value(0.0), Value(-1.0)
    out = x**0.5 * w.relu()  # d(x**0.5)/dx is inf at 0; relu(-1) = 0 sends 0 upstream
    out.backward()
    assert math.isnan(x.grad) and w.grad == 0.0


def test_a_zero_grad_still_skips_a_finite_node() -> None:
    x = Value(-1.0)
    out = (x * 3.0).relu()
    out.backward()
    assert x.grad == 0.0 and math.copysign(1.0, x.grad) == 1.0


@example(([0.0, -1.0], [("**n", 0, 0, 0.5, "right"), ("relu", 1, 0, 0.0, "none"),
                        ("*", 2, 3, 0.0, "none")]))
@example(([1e300, 0.0], [("*", 0, 0, 0.0, "none"), ("*", 1, 2, 0.0, "none"),
                         ("relu", 3, 0, 0.0, "none")]))
@given(random_graphs.recipes)
def test_backward_equals_the_stepper_bit_for_bit(recipe: tuple) -> None:
    walked = random_graphs.build(recipe)
    walked.root.backward()
    stepped = random_graphs.build(recipe)
    for _ in backward_steps(stepped.root):
        pass
    graphs = [stepped]
    if not walked.root.is_leaf:  # a Stepper on a leaf has no step to take
        graphs.append(random_graphs.build(recipe))
        Stepper(graphs[-1].root).run()
    for other in graphs:
        for a, b in zip(topological_order(walked.root), topological_order(other.root)):
            assert random_graphs.same_float(a.grad, b.grad), (a, b)


# PyTorch's chain rule on the ops whose forward it computes exactly as Python
# does (IEEE + - *, powers, relu), so only the backward pass is compared.
TORCH_SAFE = {"+", "-", "*", "neg", "relu", "**n"}
torch_recipes = random_graphs.recipes.map(
    lambda recipe: (recipe[0], [op for op in recipe[1] if op[0] in TORCH_SAFE] or [recipe[1][0]])
).filter(lambda recipe: all(op[0] in TORCH_SAFE for op in recipe[1]))


def torch_result(torch: Any, node: Value, tensors: dict[Value, Any]) -> Any:
    """The tensor of `node`, computed by PyTorch from its children's tensors."""
    inputs = [tensors[child] for child in node.children]
    if node.op == "relu":
        return torch.relu(inputs[0])
    if node.op == "neg":
        return -inputs[0]
    if node.op.startswith("**"):
        return inputs[0] ** float(node.op[2:])
    a, b = inputs
    return {"+": a + b, "-": a - b, "*": a * b}[node.op]


@example(([0.0, -1.0], [("**n", 0, 0, 0.5, "right"), ("relu", 1, 0, 0.0, "none"),
                        ("*", 2, 3, 0.0, "none")]))
@given(torch_recipes)
def test_backward_gives_pytorchs_grads(recipe: tuple) -> None:
    torch = pytest.importorskip("torch")
    built = random_graphs.build(recipe)
    # PyTorch takes x**0.5 as sqrt(x), whose slope at -0.0 is -inf (ours: +inf)
    assume(all(math.copysign(1.0, node.data) > 0 or node.data != 0 for node in built.nodes))
    built.root.backward()
    # PyTorch's relu masks its grad (where(x > 0, grad, 0)): an inf or nan grad
    # into a relu that is off gives 0 there, and nan (inf * 0) here and in the Stepper
    assume(not any(node.op == "relu" and not math.isfinite(node.grad) for node in built.nodes))
    tensors: dict[Value, Any] = {}
    for node in topological_order(built.root):
        if node.is_leaf:
            tensors[node] = torch.tensor(node.data, dtype=torch.float64, requires_grad=True)
        else:
            tensors[node] = torch_result(torch, node, tensors)
    tensors[built.root].backward()
    for node, tensor in tensors.items():
        if node.is_leaf and tensor.grad is not None:
            expected = tensor.grad.item()
            assert node.grad == pytest.approx(expected, rel=1e-9, nan_ok=True), node


def test_a_zero_grad_skips_operations_of_your_own_with_whole_number_derivatives() -> None:
    x, y, z = Value(1.0), Value(2.0), Value(3.0)
    two = from_op(3.0, "pair", (x, y), (1, 2))  # ints are numbers too
    three = from_op(6.0, "triple", (x, y, z), (1, 2, 3))
    out = (two * 0.0 + three * 0.0).relu() * 0.0
    out.backward()
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0)


def graph_shape(root: Value) -> list[tuple[object, ...]]:
    """Every node under `root` in walk order: its fields and the positions
    of its children, so two graphs compare equal only if they are wired alike."""
    order = topological_order(root)
    position = {node: index for index, node in enumerate(order)}
    return [
        (node.data, node.grad, node.op, node.label, node.scope, node.local_grads,
         tuple(position[child] for child in node.children))
        for node in order
    ]


@pytest.mark.parametrize("inputs, sizes, most", [(3, [2, 1], 7), (1, [1], 3)])
def test_copies_of_a_fused_neuron_keep_every_child(
    inputs: int, sizes: list[int], most: int
) -> None:
    """A fused neuron's node has a child per weight and input and the bias
    last: a copy that loses one child still has the right data, but not the
    right graph or the right gradients. (A neuron with one input has three
    children, the fewest kept as tuples: see `Value`.)"""
    from nn.layers import MLP

    model = MLP(inputs, sizes, activation="tanh", seed=0, fused=True)
    output = model([0.5, -1.0, 2.0][:inputs])
    assert isinstance(output, Value)
    output.backward()
    assert max(len(node.children) for node in topological_order(output)) == most
    expected = graph_shape(output)
    for copied in (pickle.loads(pickle.dumps(output)), copy.deepcopy(output)):
        assert graph_shape(copied) == expected
        # backward over the copy reaches every parameter, the biases included
        copied.zero_grad()
        copied.backward()
        assert graph_shape(copied) == expected


# ---------------------------------------------------------------------- names (issue 22)
# What the stepper, the drawing, the text tree and the unrolled code call
# each node: the numbers fed to a model are x.0, x.1, ...


def neuron_on(point: list[Value], w: list[Value], b: Value) -> Value:
    """A neuron as nn runs it: its work inside a scope, its inputs made outside."""
    with scope("neuron"):
        return (w[0] * point[0] + w[1] * point[1] + b).tanh()


def test_the_numbers_a_weight_meets_are_named_after_it() -> None:
    w = [Value(0.5, label="w.0"), Value(-1.0, label="w.1")]
    x = [Value(2.0), Value(3.0)]
    out = neuron_on(x, w, Value(0.1, label="b"))
    names = node_names(topological_order(out))
    assert [names[value] for value in x] == ["x.0", "x.1"]
    assert [names[value] for value in w] == ["w.0", "w.1"]
    assert names[out] == "#9"
    numbered = Value(1.0)
    assert input_names(topological_order(Value(2.0, label="w2") * numbered)) == {numbered: "x2"}


def test_a_number_times_a_computed_weight_keeps_no_name() -> None:
    """Only a weight that is a leaf names its partner (`w3 * 2` is no weight)."""
    w3 = Value(2.0, label="w3")
    doubled = w3 * 2.0
    doubled.label = "w4"  # looks like a weight, but is computed
    x = Value(1.0)
    out = doubled * x
    two = doubled.children[1]
    assert input_names(topological_order(out)) == {two: "x3"}  # met by w3, a leaf
    added = Value(1.0)
    assert input_names(topological_order(w3 + added)) == {}  # added to, not met by a weight


def test_numbers_not_met_by_a_weight_are_named_in_the_order_their_pass_uses_them() -> None:
    w = Value(0.5, label="w")

    def model(p: Value, q: Value, r: Value | None = None) -> Value:
        with scope("model"):
            out = (w * (p - q * 3.0)).tanh()
            return out if r is None else out + r

    p1, q1, p2, q2, r2 = Value(1.0), Value(2.0), Value(3.0), Value(4.0), Value(5.0)
    out = model(p1, q1) + model(p2, q2, r2) + 1.0
    order = topological_order(out)
    passes = module_passes(order)
    assert sorted(set(passes.values())) == [0, 1]
    assert {passes[node] for node in order if p1 in node.children} == {0}
    assert {passes[node] for node in order if p2 in node.children} == {1}
    assert out not in passes  # computed outside any scope
    names = input_names(order)
    assert (names[p1], names[q1]) == ("x.0", "x.1")
    assert (names[p2], names[q2], names[r2]) == ("x.0", "x.1", "x.2")
    assert set(names) == {p1, q1, p2, q2, r2}  # the 1.0 added outside keeps no name
    # two points give each name twice: then every node is called by its number
    numbered = node_names(order)
    assert [numbered[v] for v in (p1, q1)] == [f"#{order.index(v)}" for v in (p1, q1)]
    one_pass = model(p1, q1)
    names = node_names(topological_order(one_pass))
    assert (names[p1], names[q1], names[w]) == ("x.0", "x.1", "w")


def test_a_number_also_used_outside_the_model_keeps_no_name() -> None:
    p, q = Value(1.0), Value(2.0)
    with scope("model"):
        inside = (p - q).tanh()
    out = inside * p
    names = input_names(topological_order(out))
    assert names == {q: "x.0"}


def test_passes_join_where_they_read_the_same_number() -> None:
    shared = Value(1.0)
    with scope("model"):
        first = (shared * 2.0).tanh()
    with scope("model"):
        second = (shared * 3.0).relu()
    with scope("model"):
        third = (Value(5.0) - 1.0).exp()
    order = topological_order(first + second + third)
    passes = module_passes(order)
    assert passes[first] == passes[second] == 0 and passes[third] == 1


def test_backward_on_a_leaf_adds_one_to_its_grad_stepped_or_not() -> None:
    """d(x)/d(x) = 1 accumulates on a leaf root like any leaf's gradient."""
    x = Value(1.0)
    x.grad = 2.0
    assert list(backward_steps(x)) == []
    assert x.grad == 3.0
    x.backward()
    assert x.grad == 4.0
    assert prepare_backward(x) == [x] and x.grad == 5.0


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("place", [0, -1])
@pytest.mark.parametrize("infinity", [math.inf, -math.inf])
def test_a_zero_grad_times_an_infinite_local_derivative_is_nan_for_every_node(
    count: int, place: int, infinity: float
) -> None:
    """The 0 * inf = nan rule holds for a node of one, two, or three inputs,
    for either infinity in either place: only the child behind the infinite
    derivative gets nan."""
    children = [Value(1.0), Value(2.0), Value(3.0)][:count]
    local_grads = [1.0, 2.0, 3.0][:count]
    local_grads[place] = infinity
    mine = from_op(6.0, "mine", children, local_grads)
    (mine * 0.0).backward()
    grads = [child.grad for child in children]
    assert math.isnan(grads.pop(place))
    assert grads == [0.0] * (count - 1)


def test_a_zero_grad_on_a_many_input_node_stops_nothing_else() -> None:
    """A node of three inputs that passes nothing on (a fused neuron behind a
    ReLU that is off) is skipped; the walk goes on to the other nodes."""
    x, y, z = Value(1.0), Value(2.0), Value(3.0)
    off = from_op(6.0, "neuron", (x, y, z), (1.0, 1.0, 1.0)).relu() * -1.0
    on = z * 2.0
    out = on + off.relu()
    order = [node.op for node in topological_order(out)]
    assert order.index("neuron") > order.index("*")  # reached first, walking back
    out.backward()
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 2.0)


def test_a_many_input_node_adds_to_its_childrens_grads() -> None:
    """A child given twice gets both derivatives, a child used elsewhere too
    gets the sum of its paths, and leaves accumulate across calls."""
    x, y = Value(1.0), Value(2.0)
    mine = from_op(0.0, "mine", (x, y, x), (1.0, 10.0, 100.0))
    out = mine + y * 3.0
    out.backward()
    assert (x.grad, y.grad) == (101.0, 13.0)
    out.backward()
    assert (x.grad, y.grad) == (202.0, 26.0)
