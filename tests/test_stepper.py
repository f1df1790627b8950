"""The stepper: backward_steps() equals backward(), the step text, the interactive Stepper."""

from __future__ import annotations

import io
import math
import os
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from engine import Value, topological_order
from engine.graph import node_name, node_names
from engine.views.drawing import CURRENT_COLOUR
from engine.views.stepper import (
    ASKED_COLOUR,
    UPDATED_COLOUR,
    BackwardStep,
    Stepper,
    backward_steps,
)

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
    # Undo every step, the first too; each undo restores what was there before it,
    # and undoing the first restores the grads from before the Stepper started.
    while stepper.position > 0:
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
    assert steps[0].text(width=100) == (
        "step 1 of 5: out = tanh(n), out.grad = 1\n"
        "  n.grad += out.grad * d(out)/d(n) = 1 * 0.5 = 0.5   (n.grad: 0 -> 0.5)"
    )
    assert steps[-1].text(width=100) == (
        "step 5 of 5: #2 = x1 * w1, #2.grad = 0.5\n"
        "  x1.grad += #2.grad * d(#2)/d(x1) = 0.5 * -3 = -1.5   (x1.grad: 0 -> -1.5)\n"
        "  w1.grad += #2.grad * d(#2)/d(w1) = 0.5 * 2 = 1   (w1.grad: 0 -> 1)"
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
    assert names == ["#0", "#1", "#2", "#3"]
    # A label that is not a plain name (a formula's piece) does not name its node.
    z = Value(2.0, label="x") * Value(3.0, label="2")
    z.label = "x*2"
    assert list(node_names(topological_order(z)).values()) == ["x", "#1", "#2"]
    # Nor does a label that two nodes share: a name names one node.
    twin = Value(1.0, label="x") + Value(2.0, label="x")
    assert list(node_names(topological_order(twin)).values()) == ["#0", "#1", "#2"]


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


def test_stepper_shows_drawing_and_narration_as_one_html_output() -> None:
    # (Imported here: the REPL test below imports this module with no tests/ on the path.)
    from pictures import svgs_in

    out, _ = neuron()
    stepper = Stepper(out).next().next()
    bundle = stepper._repr_mimebundle_()
    assert sorted(bundle) == ["text/html", "text/plain"]  # no separate SVG to drop the text
    page = bundle["text/html"]
    assert "step 2 of 5: n = " in page and "<svg" not in page  # the drawing is an image
    (svg,) = svgs_in(page)
    assert CURRENT_COLOUR in svg  # the node of the step, in red
    assert UPDATED_COLOUR in svg  # the children whose grads it adds to, in blue
    assert bundle["text/plain"] == repr(stepper)


def test_stepper_too_big_to_draw_shows_its_narration_alone() -> None:
    from pictures import svgs_in

    chain = Value(0.1, label="x")
    for _ in range(600):
        chain = chain.tanh()
    page = Stepper(chain).next()._repr_mimebundle_()["text/html"]
    assert "step 1 of 600" in page and svgs_in(page) == []
    assert "max_nodes" in page  # why there is no drawing


def test_the_drawing_marks_the_step_its_children_and_their_arrows() -> None:
    out, inputs = neuron()
    stepper = Stepper(out)
    for _ in range(5):
        stepper.next()  # the last step: #2 = x1 * w1
    source = stepper.show().source
    blue = f'color="{UPDATED_COLOUR}"'
    assert f"v0 -> v2_op [{blue} penwidth=2.5]" in source  # x1 is v0, w1 is v1
    assert f"v1 -> v2_op [{blue} penwidth=2.5]" in source
    assert f"v0 [class=updated {blue} penwidth=3]" in source  # the web view finds "updated"
    assert "v3 [class=updated" not in source
    assert source.count(CURRENT_COLOUR) == 1


def test_a_question_marks_the_next_steps_node_and_inputs_without_taking_the_step() -> None:
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.5, label="b")
    out = (x * w + b).tanh()  # x v0, w v1, #2 v2, b v3, #4 v4, out v5
    stepper = Stepper(out)
    nodes = topological_order(out)
    source = stepper.show(asking=True).source  # before the first step: out's step
    asked = f'color="{ASKED_COLOUR}" penwidth=3 style="filled,dashed"'
    assert f"v5 [class=asked {asked}]" in source and 'v4 [class="asked-input"]' in source
    assert [node.grad for node in nodes] == [0.0] * 6 and stepper.position == 0  # peeked, undone
    stepper.next()
    grads = [node.grad for node in nodes]
    source = stepper.show(asking=True).source
    # #4 is step 1's child (blue, "updated") and step 2's node: it keeps both classes
    assert f'v4 [class="updated asked" {asked}]' in source
    assert 'v2 [class="asked-input"]' in source and 'v3 [class="asked-input"]' in source
    assert [node.grad for node in nodes] == grads and stepper.position == 1
    assert "asked" not in stepper.show().source
    assert "asked" not in stepper.run().show(asking=True).source  # no step left to ask about
    assert stepper.position == 3 and x.grad == pytest.approx(-3 * (1 - out.data**2))


def test_back_to_the_start_undoes_the_seed_and_reset_goes_there() -> None:
    out, inputs = neuron()
    n = out.children[0]
    n.grad, out.grad = 7.0, 0.0  # left over from something else
    stepper = Stepper(out)
    stepper.next().next()
    assert out.grad == 1.0 and n.grad != 7.0
    stepper.back().back()
    assert (out.grad, n.grad) == (0.0, 7.0)
    stepper.go_to(5)
    assert stepper.finished and inputs["w1"].grad == pytest.approx(1.0)
    stepper.reset()
    assert stepper.position == 0 and (out.grad, n.grad, inputs["w1"].grad) == (0.0, 7.0, 0.0)
    stepper.run()  # and forward again, redoing the seed
    assert out.grad == 1.0 and inputs["w1"].grad == pytest.approx(1.0)
    with pytest.raises(ValueError, match="from 0 to 5"):
        stepper.go_to(6)


def test_every_move_tells_the_views() -> None:
    out, _ = neuron()
    stepper = Stepper(out)
    seen = []
    stepper.on_change.append(lambda: seen.append(stepper.position))
    stepper.next().run().back().go_to(2).reset()
    assert seen == [1, 5, 4, 2, 0]


def test_the_stepper_text_fits_the_width_it_is_given_tree_and_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal must not widen the text
    out, _ = neuron()
    stepper = Stepper(out).next().next()
    text = stepper.text(width=44)
    assert "└─" in text  # the tree is there, in its narrow form
    assert max(len(line) for line in text.splitlines()) <= 44


# ---------------------------------------------------------------------- old grads


def test_leaves_holding_old_grads_are_named_before_the_first_step_with_the_fix() -> None:
    out, inputs = neuron()
    assert "note" not in Stepper(out).text()  # a fresh graph: nothing to say
    out.backward()
    stepper = Stepper(out)
    before = stepper.text(width=80)
    # w2.grad is x2 = 0, so four leaves hold a grad: the first three are named.
    assert "x1, w1, x2 and 1 more already hold grads" in before
    assert "out.zero_grad()" in before and "model.zero_grad()" in before
    stepper.run()
    assert "plus the old ones" in stepper.text().splitlines()[0]
    assert inputs["w1"].grad == pytest.approx(2.0)  # accumulated, as backward() would


def test_old_grads_never_reach_the_pictures() -> None:
    from engine.views.stepper import backward_drawings

    fresh, _ = neuron()
    stale, inputs = neuron()
    stale.backward()
    stale.backward()
    held = [node.grad for node in topological_order(stale)]
    assert [d.source for d in backward_drawings(stale)] == [
        d.source for d in backward_drawings(fresh)
    ]
    assert [node.grad for node in topological_order(stale)] == held  # put back


def test_every_frame_has_a_caption_saying_which_step() -> None:
    from engine.views.stepper import backward_drawings

    out, _ = neuron()
    drawings = backward_drawings(out)
    assert len(drawings) == 6
    for number, drawing in enumerate(drawings):
        assert f'label="step {number} of 5: ' in drawing.source
        assert "fontsize=18" in drawing.source  # readable: node text is smaller
    assert "n.grad += out.grad * d(out)/d(n) = 1 * 0.5" in drawings[1].source


# ---------------------------------------------------------------------- step text width


LONG = "layers.0.neurons.12.w.1"


def long_named_graph() -> Value:
    a = Value(0.0706512, label=LONG)
    b = Value(-2.9277, label="layers.1.neurons.3.b")
    return (a * b + a).tanh() * Value(1.5, label="layers.2.neurons.0.w.11")


@pytest.mark.parametrize("width", [60, 80])
def test_step_text_fits_the_width_and_breaks_only_between_words(width: int) -> None:
    for step in backward_steps(long_named_graph()):
        wrapped = step.text(width)
        assert all(len(line) <= width for line in wrapped.splitlines()), wrapped
        assert wrapped.split() == step.text(1000).split()  # no word cut in two
        assert all(line.startswith("  ") for line in wrapped.splitlines()[1:])


def test_stepper_lines_fit_80_columns_in_a_real_terminal() -> None:
    pexpect = pytest.importorskip("pexpect")
    root = Path(__file__).resolve().parent.parent
    environment = dict(os.environ, TERM="dumb", PYTHONSTARTUP="", NO_COLOR="1")
    environment.pop("COLUMNS", None)
    child = pexpect.spawn(
        sys.executable, ["-q"], cwd=str(root), env=environment, encoding="utf-8",
        timeout=20, dimensions=(40, 80),
    )
    child.expect_exact(">>> ")

    def run(line: str) -> list[str]:
        child.sendline(line)
        child.expect_exact(">>> ")
        return child.before.replace("\r\n", "\n").splitlines()[1:]  # after the echo

    run("from tests.test_stepper import long_named_graph; from engine import Stepper")
    run("s = Stepper(long_named_graph())")
    printed = run("print(*[s.next().last_step for k in range(4)], sep=chr(10))")
    child.sendline("exit()")
    child.expect(pexpect.EOF)
    assert sum(line.startswith("step ") for line in printed) == 4
    assert any("layers.0.neurons.12.w.1.grad" in line for line in printed)
    assert max(len(line) for line in printed) <= 80, "\n".join(printed)


# ---------------------------------------------------------------------- frames and GIF


def test_gif_has_one_frame_per_step_plus_the_start(tmp_path) -> None:
    from PIL import Image

    from engine.views.stepper import backward_frames, save_backward_gif

    x, w = Value(2.0, label="x"), Value(-0.5, label="w")
    out = (x * w).tanh()
    frames = backward_frames(out)
    assert len(frames) == 3 and all(frame.startswith(b"\x89PNG") for frame in frames)
    with Image.open(io.BytesIO(frames[1])) as frame:
        assert frame.height > 150  # the caption's lines sit above the drawing
    assert x.grad == 0.0 and out.grad == 0.0  # the grads are left as they were
    path = save_backward_gif(out, tmp_path / "backprop.gif", seconds_per_frame=0.5)
    assert path == tmp_path / "backprop.gif"
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == 3
    assert [p.name for p in tmp_path.iterdir()] == ["backprop.gif"]  # no temporary left


def test_gif_refuses_other_suffixes(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"\.gif"):
        from engine.views.stepper import save_backward_gif

        save_backward_gif(Value(1.0) * 2, tmp_path / "x.png")
