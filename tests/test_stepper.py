"""The stepper: backward_steps() equals backward(), the step text, the interactive Stepper."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from engine import Value, topological_order
from engine.stepper import BackwardStep, Stepper, backward_steps, node_name

# ---------------------------------------------------------------------- random graphs

# Each op takes one or two earlier nodes; picking earlier nodes by index reuses them freely.
UNARY = {
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "neg": Value.__neg__,
    "square": lambda v: v**2,
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
}

operation = st.one_of(
    st.tuples(st.sampled_from(sorted(UNARY)), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.sampled_from(sorted(BINARY)), st.integers(0, 10_000), st.integers(0, 10_000)),
)
graph_recipe = st.tuples(
    st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4),  # leaf values
    st.lists(operation, min_size=0, max_size=25),
    st.lists(st.floats(-1.0, 1.0), min_size=4, max_size=4),  # grads already on the leaves
)


def build(recipe: tuple) -> tuple[Value, list[Value]]:
    """The same recipe always builds the same graph; returns the root and the leaves."""
    leaf_values, operations, old_grads = recipe
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(leaf_values)]
    for leaf, grad in zip(leaves, old_grads):
        leaf.grad = grad  # backward() accumulates; the stepper must too
    nodes = list(leaves)
    for name, first, second in operations:
        a, b = nodes[first % len(nodes)], nodes[second % len(nodes)]
        nodes.append(UNARY[name](a) if name in UNARY else BINARY[name](a, b))
    return nodes[-1], leaves


@given(graph_recipe)
def test_exhausted_steps_leave_exactly_the_grads_of_backward(recipe: tuple) -> None:
    reference, _ = build(recipe)
    stepped, _ = build(recipe)
    assume(all(math.isfinite(node.data) for node in topological_order(reference)))
    reference.backward()
    steps = list(backward_steps(stepped))
    expected = [node.grad for node in topological_order(reference)]
    got = [node.grad for node in topological_order(stepped)]
    assert got == expected  # the same arithmetic in the same order: bit for bit
    assert len(steps) == sum(1 for node in topological_order(stepped) if node.children)


@given(graph_recipe)
def test_stepper_back_undoes_exactly_and_run_matches_backward(recipe: tuple) -> None:
    assume(recipe[1])  # a leaf alone has no steps (and a Stepper on it does nothing)
    reference, _ = build(recipe)
    root, _ = build(recipe)
    assume(all(math.isfinite(node.data) for node in topological_order(reference)))
    reference.backward()
    stepper = Stepper(root)
    order = topological_order(root)
    history = []
    while not stepper.finished:
        history.append([node.grad for node in order])
        stepper.next()
    final = [node.grad for node in order]
    assert final == [node.grad for node in topological_order(reference)]
    # Undo every step back to the first; each undo restores what was there before it.
    while stepper.position > 1:
        stepper.back()
        assert [node.grad for node in order] == history[stepper.position]
    stepper.run()
    assert [node.grad for node in order] == final


def test_reused_node_gets_one_line_per_use() -> None:
    a = Value(3.0, label="a")
    b = a + a
    c = b + b
    steps = list(backward_steps(c))
    assert [len(step.updates) for step in steps] == [2, 2]
    assert a.grad == 4.0  # the STYLE.md rule, through the stepper


def test_a_partly_consumed_generator_leaves_partial_grads() -> None:
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    n = x * w
    out = n.tanh()
    steps = backward_steps(out)
    assert x.grad == 0.0 and out.grad == 0.0  # nothing happens before the first step
    first = next(steps)
    assert first.node is out and first.upstream == 1.0
    assert n.grad == pytest.approx(1 - math.tanh(-6.0) ** 2)
    assert x.grad == 0.0 and w.grad == 0.0  # their step has not come yet


def test_leaf_root_has_no_steps() -> None:
    x = Value(1.0)
    assert list(backward_steps(x)) == []
    assert x.grad == 1.0  # seeded, as backward() does


# ---------------------------------------------------------------------- the text


def neuron() -> tuple[Value, dict[str, Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    out = n.tanh()
    out.label = "out"
    return out, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def test_step_text_is_checkable_chain_rule_arithmetic() -> None:
    out, _ = neuron()
    steps = list(backward_steps(out))
    assert str(steps[0]) == (
        "step 1 of 5: out = tanh(n), out.grad = 1\n"
        "  n.grad += out.grad * d(out)/d(n) = 1 * 0.5 = 0.5   (n.grad: 0 -> 0.5)"
    )
    assert str(steps[-1]) == (
        "step 5 of 5: #2(*) = x1 * w1, #2(*).grad = 0.5\n"
        "  x1.grad += #2(*).grad * d(#2(*))/d(x1) = 0.5 * -3 = -1.5   (x1.grad: 0 -> -1.5)\n"
        "  w1.grad += #2(*).grad * d(#2(*))/d(w1) = 0.5 * 2 = 1   (w1.grad: 0 -> 1)"
    )
    assert repr(steps[0]) == "<BackwardStep 1 of 5: out = tanh(n)>"


def test_step_records_the_numbers() -> None:
    out, inputs = neuron()
    last: BackwardStep = list(backward_steps(out))[-1]
    x1_update, w1_update = last.updates
    assert x1_update.child is inputs["x1"]
    assert x1_update.local_grad == -3.0
    assert x1_update.contribution == pytest.approx(-1.5)
    assert (x1_update.grad_before, x1_update.grad_after) == (0.0, inputs["x1"].grad)
    assert last.op == "*"


def test_accumulating_leaf_shows_its_old_grad() -> None:
    x = Value(2.0, label="x")
    x.grad = 10.0
    y = x * 3
    (step,) = backward_steps(y)
    assert "(x.grad: 10 -> 13)" in str(step)


def test_unlabelled_names_are_positions_in_the_walk() -> None:
    x = Value(1.0)
    y = (x * 2).tanh()
    names = [node_name(node, index) for index, node in enumerate(topological_order(y))]
    assert names == ["#0", "#1", "#2(*)", "#3(tanh)"]


# ---------------------------------------------------------------------- the interactive Stepper


def test_stepper_next_back_run() -> None:
    out, inputs = neuron()
    stepper = Stepper(out)
    assert repr(stepper) == "Stepper(out): 0 of 5 steps taken; next() starts backprop at out"
    assert stepper.last_step is None
    assert stepper.next() is stepper
    assert stepper.position == 1 and stepper.last_step is not None
    assert stepper.last_step.node is out
    stepper.run()
    assert stepper.finished
    assert inputs["w1"].grad == pytest.approx(1.0)
    stepper.back()
    assert inputs["w1"].grad == 0.0 and inputs["x1"].grad == 0.0
    stepper.next()
    assert inputs["w1"].grad == pytest.approx(1.0)


def test_stepper_refuses_to_go_past_either_end() -> None:
    out, _ = neuron()
    stepper = Stepper(out)
    with pytest.raises(ValueError, match="no step to undo"):
        stepper.back()
    stepper.run()
    with pytest.raises(ValueError, match="all 5 steps are taken"):
        stepper.next()


def test_stepper_needs_a_value() -> None:
    with pytest.raises(TypeError, match="not float 1.0"):
        Stepper(1.0)


def test_stepper_repr_shows_the_step_and_the_tree() -> None:
    out, _ = neuron()
    text = repr(Stepper(out).next())
    lines = text.splitlines()
    assert lines[0] == "Stepper(out): 1 of 5 steps taken"
    assert lines[1] == "step 1 of 5: out = tanh(n), out.grad = 1"
    assert "out" in lines[3] and "x1" in text  # then the text tree of the whole graph


def test_stepper_displays_the_highlighted_drawing_in_jupyter() -> None:
    out, _ = neuron()
    stepper = Stepper(out).next()
    bundle = stepper._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<")
    assert "<svg" in bundle["image/svg+xml"]
    assert bundle["text/plain"] == repr(stepper)


def test_stepper_too_big_to_draw_displays_as_text() -> None:
    chain = Value(0.1, label="x")
    for _ in range(600):
        chain = chain.tanh()
    bundle = Stepper(chain).next()._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]


# ---------------------------------------------------------------------- frames and GIF


def test_gif_has_one_frame_per_step_plus_the_start(tmp_path) -> None:
    from PIL import Image

    from engine.stepper import backward_frames, save_backward_gif

    x, w = Value(2.0, label="x"), Value(-0.5, label="w")
    out = (x * w).tanh()
    frames = backward_frames(out)
    assert len(frames) == 3 and all(frame.startswith(b"\x89PNG") for frame in frames)
    assert x.grad == 0.0 and out.grad == 0.0  # the grads are left as they were
    path = save_backward_gif(out, tmp_path / "backprop.gif", seconds_per_frame=0.5)
    assert path == tmp_path / "backprop.gif"
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 3
    assert [p.name for p in tmp_path.iterdir()] == ["backprop.gif"]  # no temporary left


def test_gif_refuses_other_suffixes(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"\.gif"):
        from engine.stepper import save_backward_gif

        save_backward_gif(Value(1.0) * 2, tmp_path / "x.png")
