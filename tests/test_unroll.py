"""unroll(): the graph as code, replayed bit for bit like backward()."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest
import random_graphs
from hypothesis import assume, example, given
from hypothesis import strategies as st
from random_graphs import same_float

from engine import Stepper, Value, topological_order, unroll
from engine.graph import node_names
from engine.unroll import CannotUnroll, Unrolled, unroll_outputs
from engine.value import from_op

REPLAY_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


def neuron() -> tuple[Value, list[Value]]:
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    return (x1 * w1 + x2 * w2 + b).tanh(), [x1, w1, x2, w2, b]


# ---------------------------------------------------------------------- bit for bit


@example(([0.0, -1.0], [("**n", 0, 0, 0.5, "right"), ("relu", 1, 0, 0.0, "none"),
                        ("*", 2, 3, 0.0, "none")]), [0.0, -2.0], [0.5, 0.0])
@example(([1e300, 2.0], [("*", 0, 0, 0.0, "none"), ("-", 2, 2, 0.0, "none"),  # inf - inf
                        ("relu", 3, 0, 0.0, "none"), ("*", 4, 1, 0.0, "none")]),
         [1e300, 2.0], [0.0, 0.0])
@given(random_graphs.recipes, st.lists(random_graphs.numbers, min_size=5, max_size=5),
       # + 0.0 makes a -0.0 0.0: a grad set to -0.0 may come back +0.0 (see Unrolled)
       st.lists(st.floats(-1.0, 1.0).map(lambda grad: grad + 0.0), min_size=5, max_size=5))
def test_code_after_new_data_equals_a_fresh_graphs_backward(
    recipe: tuple, new_data: list[float], old_grads: list[float]
) -> None:
    built = random_graphs.build(recipe)
    code = unroll(built.root)
    data = new_data[: len(built.leaves)]
    try:
        fresh = random_graphs.build(recipe, data, built.plan)
    except REPLAY_ERRORS:
        assume(False)  # the new numbers make the graph impossible: nothing to compare
        return
    for leaf, fresh_leaf, number, grad in zip(built.leaves, fresh.leaves, data, old_grads):
        leaf.data = number
        leaf.grad = fresh_leaf.grad = grad
    value = code()
    fresh.root.backward()
    assert same_float(value, fresh.root.data)
    for leaf, fresh_leaf in zip(built.leaves, fresh.leaves):
        assert same_float(leaf.grad, fresh_leaf.grad), (leaf, fresh_leaf)


@given(random_graphs.recipes)
def test_two_calls_add_up_like_two_backwards(recipe: tuple) -> None:
    built, twice = random_graphs.build(recipe), random_graphs.build(recipe)
    code = unroll(built.root)
    code()
    code()
    twice.root.backward()
    twice.root.backward()
    for leaf, other in zip(built.leaves, twice.leaves):
        assert same_float(leaf.grad, other.grad), (leaf, other)


@given(random_graphs.recipes)
def test_the_source_runs_on_its_own(recipe: tuple) -> None:
    built = random_graphs.build(recipe)
    code = unroll(built.root)
    namespace: dict = {}
    exec(code.source, namespace)  # nothing given: it imports math itself
    data = [leaf.data for leaf in code.leaves]
    value, grads = namespace["backprop"](data, [0.0] * len(data))
    built.root.backward()
    assert same_float(value, built.root.data)
    assert all(same_float(g, leaf.grad) for g, leaf in zip(grads, code.leaves))
    assert all(len(line) <= 100 for line in code.source.splitlines())


def test_the_source_runs_in_a_fresh_python_with_nothing_but_math() -> None:
    out, leaves = neuron()
    source = unroll(out).source + "print(backprop([2.0, -3.0, 0.0, 1.0, 6.88], [0.0] * 5)[0])\n"
    run = subprocess.run([sys.executable, "-I", "-c", source], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert float(run.stdout) == pytest.approx(math.tanh(0.88))


def test_a_fused_mlp_unrolls_bit_for_bit() -> None:
    from nn.layers import MLP

    for fused in (False, True):
        model = MLP(2, [4, 3, 1], seed=1, fused=fused)
        first = model([0.3, -0.7])
        code = unroll(first)
        code()
        grads = [p.grad for p in model.parameters()]
        model.zero_grad()
        model([0.3, -0.7]).backward()
        assert grads == [p.grad for p in model.parameters()]


# ---------------------------------------------------------------------- the source


def test_the_neuron_fits_a_page_and_names_nodes_as_the_stepper() -> None:
    out, _ = neuron()
    code = unroll(out)
    lines = code.source.splitlines()
    assert len([line for line in lines if line.strip()]) <= 40
    names = node_names(topological_order(out))
    for node, name in names.items():  # each operation's line names it as the Stepper does
        if node.children:
            assert f"# {name}" in code.source
    assert "x1_grad += n2_grad * w1" in code.source


def assert_gives_backwards_grads(code: Unrolled, root: Value, leaves: list[Value]) -> None:
    """From grads of 0, `code()` and `root.backward()` give the leaves the same grads."""
    code()
    replayed = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0
    root.backward()
    assert replayed == [leaf.grad for leaf in leaves]


def test_long_names_are_wrapped_within_100_columns() -> None:
    leaves = [Value(0.5, label=f"layers.0.neurons.{i}.w.{i}.and_a_much_longer_name") for i in range(6)]
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total * leaf + leaf
    code = unroll(total)
    assert all(len(line) <= 100 for line in code.source.splitlines())
    assert_gives_backwards_grads(code, total, leaves)


def test_a_label_that_clashes_gets_a_new_variable() -> None:
    x, also_x, n2 = Value(1.0, label="x"), Value(2.0, label="x"), Value(3.0, label="n2")
    math_ = Value(4.0, label="math")
    out = (x * also_x + n2) * math_
    code = unroll(out)
    # Two labels x are called #0 and #1 (one name, one node); the label n2 would
    # clash with node 2's variable, and math with the module: both get a new one.
    assert "n0 * n1" in code.source
    assert "n2_1" in code.source and "math_1" in code.source
    assert code() == out.data


def test_a_leaf_root_is_its_own_gradient() -> None:
    x = Value(2.0, label="x")
    assert unroll(x)() == 2.0 and x.grad == 1.0


def test_a_plain_number_is_written_as_itself_and_keeps_its_grad() -> None:
    x = Value(3.0, label="x")
    out = x * -2 - -0.5 + 1e300 * x
    three = [node for node in topological_order(out) if not node.children and node is not x]
    code = unroll(out)
    assert code.leaves == [x]  # the numbers are in the code, not in `data`
    forward = [line.split("#")[0].strip() for line in code.source.splitlines() if " = " in line]
    assert "n2 = x * (-2.0)" in forward and "n4 = n2 - (-0.5)" in forward
    assert "n6 = 1e+300 * x" in forward
    assert "x_grad += n6_grad * 1e+300" in code.source  # a number needs no parentheses
    assert "x_grad += n2_grad * (-2.0)" in code.source
    x.data = 0.5
    assert code() == 0.5 * -2 - -0.5 + 1e300 * 0.5
    assert x.grad == 1e300 - 2.0
    # like the intermediate Values, the numbers keep what they held: building the
    # graph again would wrap new ones (the old ones' data is not read either)
    numbers = [(number.data, number.grad) for number in three]
    assert numbers == [(-2.0, 0.0), (-0.5, 0.0), (1e300, 0.0)]


def test_a_number_the_views_name_is_a_leaf_with_its_grad() -> None:
    from nn import Neuron

    neuron = Neuron(2, activation="tanh", seed=1)
    out = neuron([2.0, -1.0])  # plain numbers, named x.0 and x.1 (after w.0, w.1)
    code = unroll(out)
    code()
    replayed = {code.names[leaf]: leaf.grad for leaf in code.leaves}
    neuron.zero_grad()
    again = neuron([2.0, -1.0])  # the same graph built again, and backward()
    again.backward()
    names = node_names(topological_order(again))
    assert replayed == {name: node.grad for node, name in names.items() if not node.children}
    assert sorted(replayed) == ["b", "w.0", "w.1", "x.0", "x.1"]
    assert replayed["x.0"] == neuron.w[0].data * (1.0 - out.data**2) != 0.0


def test_a_wrapped_number_at_the_root_is_its_own_gradient() -> None:
    three = (Value(2.0) * 3).children[1]
    assert unroll(three)() == 3.0 and three.grad == 1.0


def test_each_step_has_its_lines() -> None:
    out, (x1, w1, *_) = neuron()
    code = unroll(out)
    product = out.children[0].children[0].children[0]
    assert [line.split("#")[0].strip() for line in code.lines_of(product)] == [
        "x1_grad += n2_grad * w1",
        "w1_grad += n2_grad * x1",
    ]
    assert code.lines_of(x1) == []


def test_it_shows_itself_in_jupyter() -> None:
    out, _ = neuron()
    code = unroll(out)
    assert code._repr_markdown_().startswith("```python\nimport math")
    html = code._repr_html_()
    assert "tanh" in html and "<span" in html  # highlighted by pygments
    assert "print()" in repr(code)


# ---------------------------------------------------------------------- what it cannot do


def test_an_operation_given_as_numbers_is_refused_by_name() -> None:
    x = Value(3.0, label="x")
    square = from_op(x.data**2, "square", (x,), (2 * x.data,))
    with pytest.raises(CannotUnroll, match=r"#1: its operation 'square' has no rule here \(an "
                       r"operation made with from_op gives numbers, not a rule\); build it from "
                       r"Value operations \(\+, \*, tanh\(\), exp\(\), \.\.\.\) to unroll it"):
        unroll(square + 1)


def test_a_python_if_was_decided_when_the_graph_was_built() -> None:
    x = Value(2.0, label="x")
    y = x * 3 if x.data > 0 else -x  # Python's if, on the data of the day
    code = unroll(y)
    x.data = -1.0
    assert code() == -3.0  # still x * 3: the branch was taken at build time


def test_a_replay_the_numbers_forbid_raises() -> None:
    x = Value(2.0, label="x")
    code = unroll(x.log())
    x.data = -1.0
    with pytest.raises(ValueError):
        code()
    assert x.grad == 0.0


def test_unroll_needs_a_value() -> None:
    with pytest.raises(TypeError, match="needs a Value.*float"):
        unroll(1.0)  # type: ignore[arg-type]



@given(random_graphs.recipes)
def test_the_training_form_gives_backwards_grads_bit_for_bit(recipe: tuple) -> None:
    built, reference = random_graphs.build(recipe), random_graphs.build(recipe)
    replay = unroll_outputs([built.root])
    data = [leaf.data for leaf in replay.leaves]
    (value,), saved = replay.forward(data)
    grads = replay.backward(data, saved, [1.0], [0.0] * len(data))
    reference.root.backward()
    assert same_float(value, reference.root.data)
    by_label = {leaf.label: leaf for leaf in reference.leaves}
    for leaf, grad in zip(replay.leaves, grads):
        if leaf.label:  # the recipe's leaves (constants are the replay's own)
            assert same_float(grad, by_label[leaf.label].grad), leaf


def test_stepgrad_step_code_prints_source_that_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from nn.apps.cli import main

    status = main(["step", "tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1",
                   "b=6.88", "--code"])
    printed = capsys.readouterr().out
    assert status == 0 and printed.startswith("import math")
    namespace: dict = {}
    exec(printed, namespace)
    value, grads = namespace["backprop"]([2.0, -3.0, 0.0, 1.0, 6.88], [0.0] * 5)
    assert value == pytest.approx(math.tanh(0.88))
    assert grads[2] == pytest.approx(1 - math.tanh(0.88) ** 2)  # x2.grad = w2 * (1 - tanh**2)


def test_the_numbers_of_a_formula_are_written_as_themselves(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from nn.apps.cli import main

    assert main(["step", "tanh(x*3 + 1) - 2/x", "x=0.5", "--code"]) == 0
    printed = capsys.readouterr().out
    code = [line.split("#")[0].strip() for line in printed.splitlines()]
    assert "x, = data" in code  # x is the one leaf: the numbers are not inputs
    assert {"n2 = x * 3.0", "n4 = n2 + 1.0", "n7 = 2.0 / x", "x_grad += n2_grad * 3.0"} <= set(code)
    assert main(["step", "x**-2 * -3", "x=0.5", "--code"]) == 0
    assert "n3 = n1 * (-3.0)" in capsys.readouterr().out


def test_a_stepper_shows_the_code_of_its_step() -> None:
    out, _ = neuron()
    stepper = Stepper(out)
    assert stepper.code() == ""  # no step yet
    stepper.next()
    assert stepper.code().split("#")[0].strip() == "n8_grad = n9_grad * (1.0 - n9 * n9)"
    stepper.run()
    assert "w1_grad += n2_grad * x1" in stepper.code()


@example(([0.0, 0.0], [("log", 0, 0, 0.0, "none")]))  # log(0) is skipped: the root is x1
@given(random_graphs.recipes)
def test_the_training_form_computes_the_wanted_grads_alone(recipe: tuple) -> None:
    built, reference = random_graphs.build(recipe), random_graphs.build(recipe)
    wanted = built.leaves[::2]
    replay = unroll_outputs([built.root], wanted)
    data = [leaf.data for leaf in replay.leaves]
    _, saved = replay.forward(data)
    grads = replay.backward(data, saved, [1.0], [0.5] * len(data))
    for leaf in reference.leaves:
        leaf.grad = 0.5
    reference.root.backward()
    by_label = {leaf.label: leaf for leaf in reference.leaves}
    for leaf, grad in zip(replay.leaves, grads):
        if leaf in wanted:
            assert same_float(grad, by_label[leaf.label].grad), leaf
        else:
            assert grad == 0.5  # left as given


# ---------------------------------------------------------------------- the edges


def test_the_fused_neuron_is_written_out_with_its_rule() -> None:
    from nn.layers import MLP

    model = MLP(1, [1], seed=3, fused=True)  # one input: w_0 * x_0, the smallest fused sum
    out = model([0.25])
    code = unroll(out)
    for comment in ("d(w·x+b)/dw_i = x_i", "d(w·x+b)/dx_i = w_i", "d(w·x+b)/db = 1"):
        assert f"# {comment}" in code.source
    code()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    model([0.25]).backward()
    assert grads == [p.grad for p in model.parameters()]


@pytest.mark.parametrize("inputs", [1, 2, 4])
def test_a_w_x_b_op_of_the_wrong_shape_is_refused(inputs: int) -> None:
    # "w·x+b" takes w_0.., x_0.., b: an odd number of children, at least 3
    children = [Value(float(i + 1), label=f"v{i}") for i in range(inputs)]
    fake = from_op(1.0, "w·x+b", children, [1.0] * inputs)
    with pytest.raises(CannotUnroll, match="'w·x\\+b'"):
        unroll(fake)


def test_a_computed_value_with_a_capital_name_is_saved_for_the_backward_pass() -> None:
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    hidden = x * w
    hidden.label = "Hidden"  # read by tanh's derivative through `saved`
    out = hidden.tanh() * hidden
    replay = unroll_outputs([out])
    data = [leaf.data for leaf in replay.leaves]
    _, saved = replay.forward(data)
    grads = replay.backward(data, saved, [1.0], [0.0] * len(data))
    out.backward()
    assert grads == [leaf.grad for leaf in replay.leaves]


def test_its_repr_counts_its_lines() -> None:
    out, _ = neuron()
    code = unroll(out)
    count = len(code.source.splitlines())
    assert repr(code) == f"<unrolled #9: {count} lines; print() it to read them>"


def test_in_jupyter_the_colours_are_inline_and_the_background_is_the_notebooks() -> None:
    x = Value(-1.0, label="x")
    html = unroll(x.relu())._repr_html_()
    assert 'style="color' in html  # no stylesheet needed
    assert "background" not in html


def test_without_pygments_it_shows_plain_escaped_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pygments", None)  # import pygments fails
    x = Value(-1.0, label="x")
    code = unroll(x.relu())
    assert code._repr_html_() == f"<pre>{code.source.replace('<', '&lt;')}</pre>"
    assert "x &lt;= 0.0" in code._repr_html_()


def many_long_leaves(shift: int) -> tuple[Value, list[Value]]:
    """A sum of products of leaves with names of many lengths: its lines of
    leaves, of grads and its long expressions must be broken."""
    names = ["v" + "_" * ((i + shift) % 23) + f"{i}" for i in range(60)]
    leaves = [Value(0.5 + i / 64, label=name) for i, name in enumerate(names)]
    total = leaves[0]
    for left, right in zip(leaves[1::2], leaves[2::2]):
        total = total + left * right
    wide = Value(1.0, label="w" * (44 + shift)) * Value(2.0, label="z" * 40)  # too long a line
    return total * wide, leaves


@pytest.mark.parametrize("shift", range(12))
def test_long_lines_are_broken_between_words_filling_each_line(shift: int) -> None:
    total, leaves = many_long_leaves(shift)
    code = unroll(total)
    lines = code.source.splitlines()
    body = lines[lines.index("def backprop(data, grads):"):]
    assert all(len(line) <= 100 for line in lines)
    assert all(line.startswith("    ") and line == line.rstrip() for line in body[1:])
    broken = 0
    for line, after in zip(body, body[1:]):
        inside = line.startswith("        ") and after.startswith("        ")
        if inside and "#" not in line:  # two lines of one broken list or expression
            broken += 1
            assert len(line) + 1 + len(after.split()[0]) > 100, (line, after)  # did not fit
    assert broken >= 4
    assert_gives_backwards_grads(code, total, leaves)



def test_a_long_line_inside_the_guard_breaks_one_step_deeper() -> None:
    a, b = Value(2.0, label="a" * 44), Value(3.0, label="b" * 44)
    lines = unroll_outputs([(a * b).relu()]).source.splitlines()
    guard = lines.index("    if n2_grad or not_finite:       # else: 0 * finite numbers")
    assert lines[guard + 1 : guard + 4] == [
        f"        {'a' * 44}_grad += (",
        f"            n2_grad * {'b' * 44}",
        "        )",
    ]


def test_a_replay_error_names_the_unrolled_code_in_its_traceback() -> None:
    import traceback

    x, y = Value(2.0, label="x"), Value(2.0, label="y")
    replay = unroll_outputs([(x.log() + x**y)])
    with pytest.raises(ValueError) as forward_error:
        replay.forward([-2.0, 2.0])  # log(-2)
    assert traceback.extract_tb(forward_error.tb)[-1].filename == "<unrolled forward>"
    x2, y2 = Value(2.0, label="x"), Value(2.0, label="y")
    replay = unroll_outputs([x2**y2])
    _, saved = replay.forward([-2.0, 2.0])  # (-2) ** 2 is 4.0, but its d/dy needs log(-2)
    with pytest.raises(ValueError) as backward_error:
        replay.backward([-2.0, 2.0], saved, [1.0], [0.0, 0.0])
    assert traceback.extract_tb(backward_error.tb)[-1].filename == "<unrolled outputs>"
    code = unroll(x2**y2)
    x2.data = -2.0
    with pytest.raises(ValueError) as error:
        code()
    assert traceback.extract_tb(error.tb)[-1].filename == "<unrolled #2>"


@pytest.mark.parametrize(("n", "forward", "backward"), [
    (1, "n1 = x ** 1.0", "x_grad += n1_grad               # d(a**1)/da = 1 * a**0"),
    (2, "n1 = x ** 2.0", "x_grad += n1_grad * (2.0 * x)   # d(a**2)/da = 2 * a**1"),
    (3, "n1 = x ** 3.0", "x_grad += n1_grad * (3.0 * x ** 2.0)  # d(a**3)/da = 3 * a**2"),
    (0.5, "n1 = power(x, 0.5)",
     "x_grad += n1_grad * power_slope(x, 0.5)  # d(a**0.5)/da = 0.5 * a**-0.5"),
    (-1, "n1 = power(x, -1.0)",
     "x_grad += n1_grad * power_slope(x, -1.0)  # d(a**-1)/da = -1 * a**-2"),
])
def test_a_whole_power_is_plain_python_and_the_others_call_power(
    n: float, forward: str, backward: str
) -> None:
    x = Value(2.0, label="x")
    code = unroll(x**n)
    lines = [line.rstrip() for line in code.source.splitlines()]
    assert any(line.startswith(f"    {forward}  ") for line in lines)
    assert f"    {backward}" in lines
    assert ("def power(" in code.source) == (n < 1)  # the helper only where it is used



@pytest.mark.parametrize("length", range(1, 87))  # longer names alone pass column 100
def test_a_comment_sits_at_column_36_or_after_the_code_or_not_at_all(length: int) -> None:
    w, x = Value(-0.5, label="w" * length), Value(3.0, label="x")
    code = unroll(w.relu() * x + w * x)
    lines = code.source.splitlines()
    assert all(len(line) <= 100 for line in lines)
    W = w.label
    for one_line in (f"    {W}, x = data", f"    {W}_grad, x_grad = grads",
                     f"    return n5, [{W}_grad, x_grad]"):
        assert (one_line in lines) == (len(one_line) <= 100)  # else broken over lines
    for text, comment in {
        f"n1 = 0.0 if {W} <= 0.0 else {W}": "#1 (relu)",
        f"n4 = {W} * x": "#4 (*)",
        f"{W}_grad += n4_grad * x": "d(a*b)/da = b",
        f"x_grad += n4_grad * {W}": "d(a*b)/db = a",
        f"{W}_grad += n1_grad * (0.0 if {W} <= 0.0 else 1.0)": "d(relu(a))/da = 0 if a <= 0 else 1",
    }.items():
        text = "    " + text
        at_column = f"{text:<36}# {comment}"  # the comment at column 36, if the code leaves room
        after = f"{text}  # {comment}"  # or two spaces after the code
        if len(text) < 36 and len(at_column) <= 100:
            assert at_column in lines
        elif len(after) <= 100:
            assert after in lines
        elif len(text) <= 100:
            assert text in lines  # no room for the comment
        else:  # broken inside parentheses, after the `=`
            target, _, expression = text.partition("= ")
            broken = [
                " ".join(part.strip() for part in lines[i + 1 : lines.index("    )", i)])
                for i, line in enumerate(lines) if line == f"{target}= ("
            ]
            assert expression in broken
    w.data = 0.25
    code()
    grads = [w.grad, x.grad]
    w.grad = x.grad = 0.0
    (w.relu() * x + w * x).backward()
    assert grads == [w.grad, x.grad]


TRAINING_FORWARD = '''import math


def forward(data):
    # the forward pass of #6, #7, written out by engine.unroll
    x, w, b = data
    # forward: one line per operation
    n2 = x * w                      # #2 (*)
    n4 = w + b                      # #4 (+)
    n5 = 0.0 if n4 <= 0.0 else n4   # #5 (relu)
    n6 = n2 * n5                    # #6 (*)
    n7 = n2 + b                     # #7 (+)
    return [n6, n7], (
        n5, n2, n4,
    )
'''

TRAINING_BACKWARD = '''import math


def backprop(data, saved, seeds, grads):
    # the seeded pass of #6, #7, written out by engine.unroll
    x, w, b = data
    n5, n2, n4 = saved
    seed_0, seed_1 = seeds
    x_grad, w_grad, b_grad = grads
    not_finite = not (math.isfinite(sum(data)) and math.isfinite(sum(saved)))  # inf or nan?
    # backward: child_grad += node_grad * d(node)/d(child), from the root down
    n6_grad = seed_0                # seed
    n7_grad = seed_1                # seed
    n2_grad = n7_grad               # d(a+b)/da = 1
    b_grad += n7_grad               # d(a+b)/db = 1
    n5_grad = 0.0
    if n6_grad or not_finite:       # else: 0 * finite numbers
        n2_grad += n6_grad * n5     # d(a*b)/da = b
        n5_grad += n6_grad * n2     # d(a*b)/db = a
    n4_grad = n5_grad * (0.0 if n4 <= 0.0 else 1.0)  # d(relu(a))/da = 0 if a <= 0 else 1
    w_grad += n4_grad               # d(a+b)/da = 1
    b_grad += n4_grad               # d(a+b)/db = 1
    if n2_grad or not_finite:       # else: 0 * finite numbers
        w_grad += n2_grad * x       # d(a*b)/db = a
    return [x_grad, w_grad, b_grad]
'''


def test_the_training_form_reads_as_two_functions() -> None:
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(0.5, label="b")
    product = x * w
    replay = unroll_outputs([product * (w + b).relu(), product + b], wanted=[w, b])
    assert replay.forward_source == TRAINING_FORWARD
    assert replay.source == TRAINING_BACKWARD
    outputs, saved = replay.forward([2.0, 3.0, 0.5])  # w = 3: the relu is on
    assert outputs == [6.0 * 3.5, 6.5]
    # d(first)/dw = x * relu(w + b) + x * w; d(second)/dw = x; each b: 1 (+ x*w from the first)
    assert replay.backward([2.0, 3.0, 0.5], saved, [1.0, 10.0], [0.0, 0.0, 0.0]) == [
        0.0, 2.0 * 3.5 + 6.0 + 10.0 * 2.0, 6.0 + 10.0]


def assigned(source: str) -> list[str]:
    """The variables a source assigns in its forward pass, in order."""
    return re.findall(r"^    (\w+) = ", source.partition("# forward")[2], re.MULTILINE)


def test_the_training_forward_pass_nests_values_used_once_29_deep() -> None:
    total = Value(2.0, label="x")
    for i in range(40):  # each sum is used once, by the next: written inside it
        total = total + float(i)
    replay = unroll_outputs([total])
    assert assigned(replay.forward_source) == ["n60", "n80"]  # the 30th sum gets a name
    assert replay.forward(replay_data(replay))[0] == [total.data]


def test_the_training_forward_pass_names_a_value_used_twice() -> None:
    x = Value(2.0, label="x")
    h = x + 1.0
    replay = unroll_outputs([(h + 2.0) + (h + 3.0)])
    assert assigned(replay.forward_source) == ["n2", "n7"]
    assert "    n7 = (n2 + 2.0) + (n2 + 3.0)    # #7 (+)" in replay.forward_source


def replay_data(replay: object) -> list[float]:
    return [leaf.data for leaf in replay.leaves]  # type: ignore[attr-defined]


def test_the_training_form_with_outputs_that_need_no_grad() -> None:
    v, u, x, w = (Value(float(i + 2), label=name) for i, name in enumerate("vuxw"))
    first = x * 2.0  # no wanted leaf below it
    second = (v * u) + (x * w)
    for roots in ([first, second], [second]):
        replay = unroll_outputs(roots, wanted=[u])
        data = replay_data(replay)
        _, saved = replay.forward(data)
        grads = replay.backward(data, saved, [1.0] * len(roots), [0.0] * len(data))
        assert grads[replay.leaves.index(u)] == v.data


def test_the_training_form_with_a_leaf_and_its_user_as_outputs() -> None:
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    h = x * w
    replay = unroll_outputs([h, x, h * 3.0])  # x and h are outputs, and inputs of others
    assert "    n2_grad = seed_0                # seed" in replay.source
    assert "    x_grad += seed_1                # seed" in replay.source
    data = replay_data(replay)
    _, saved = replay.forward(data)
    grads = replay.backward(data, saved, [10.0, 1.0, 100.0], [0.5] * len(data))
    # x: 0.5 + 1 + w * (10 + 3 * 100); w: 0.5 + x * (10 + 3 * 100)
    assert grads[:2] == [0.5 + 1.0 + -3.0 * 310.0, 0.5 + 2.0 * 310.0]


def test_the_training_form_guards_a_product_of_capitalised_names() -> None:
    X, W = Value(2.0, label="X"), Value(-3.0, label="W")
    assert unroll_outputs([X * W]).source.splitlines()[-5:] == [
        "    n2_grad = seed_0                # seed",
        "    if n2_grad or not_finite:       # else: 0 * finite numbers",
        "        X_grad += n2_grad * W       # d(a*b)/da = b",
        "        W_grad += n2_grad * X       # d(a*b)/db = a",
        "    return [X_grad, W_grad]",
    ]


def test_the_training_form_calls_the_grad_of_a_sums_only_input_by_the_sums_name() -> None:
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(0.5, label="b")
    source = unroll_outputs([x * w + b], wanted=[w]).source
    assert source.splitlines()[-4:] == [
        "    n4_grad = seed_0                # seed",
        "    if n4_grad or not_finite:       # else: 0 * finite numbers",
        "        w_grad += n4_grad * x       # d(a*b)/db = a",
        "    return [x_grad, w_grad, b_grad]",
    ]


def test_a_difference_subtracts_the_grad() -> None:
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    source = unroll(x - w * 2.0).source
    assert "    x_grad += n4_grad               # d(a-b)/da = 1" in source
    assert "    n3_grad = -n4_grad              # d(a-b)/db = -1" in source
    assert "    w_grad -= n2_grad" in unroll(x - w).source


@pytest.mark.parametrize(("make", "comments"), [
    (lambda x, y: x / y, ["d(a/b)/da = 1/b", "d(a/b)/db = -(a/b)/b"]),
    (lambda x, y: x**y, ["d(a**b)/da = b * a**(b-1)", "d(a**b)/db = a**b * log(a)"]),
    (lambda x, y: x - y, ["d(a-b)/da = 1", "d(a-b)/db = -1"]),
    (lambda x, y: -x * y, ["d(-a)/da = -1"]),
    (lambda x, y: x.exp() * y, ["d(exp(a))/da = exp(a)"]),
    (lambda x, y: x.log() * y, ["d(log(a))/da = 1/a"]),
    (lambda x, y: x.tanh() * y, ["d(tanh(a))/da = 1 - tanh(a)**2"]),
    (lambda x, y: x.sigmoid() * y, ["d(sigmoid(a))/da = s * (1 - s)"]),
    (lambda x, y: x.relu() * y, ["d(relu(a))/da = 0 if a <= 0 else 1"]),
])
def test_each_chain_rule_line_names_its_local_derivative(make: object, comments: list[str]) -> None:
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    source = unroll(make(x, y)).source  # type: ignore[operator]
    for comment in comments:
        assert f"# {comment}\n" in source


@pytest.mark.parametrize("op", ["tanh", "**2", "+", "relu"])
def test_a_known_op_with_the_wrong_number_of_inputs_is_refused(op: str) -> None:
    x, y, z = Value(2.0, label="x"), Value(3.0, label="y"), Value(4.0, label="z")
    children = (x, y) if op in ("tanh", "**2", "relu") else (x, y, z)
    fake = from_op(1.0, op, children, [1.0] * len(children))
    with pytest.raises(CannotUnroll, match=re.escape(repr(op))):
        unroll(fake)


def test_the_training_form_returns_a_long_list_of_grads() -> None:
    total, leaves = many_long_leaves(0)
    replay = unroll_outputs([total])
    data = replay_data(replay)
    _, saved = replay.forward(data)
    grads = replay.backward(data, saved, [1.0], [0.0] * len(data))
    assert "    return [\n" in replay.source
    total.backward()
    assert grads == [leaf.grad for leaf in replay.leaves]


def test_labels_become_python_names() -> None:
    w0, keyword_, spaced = Value(1.0, label="w.0"), Value(2.0, label="if"), Value(3.0, label="my x")
    taken, reserved = Value(4.0, label="data_1"), Value(5.0, label="data")
    out = (w0 * keyword_ + spaced * taken) * reserved
    code = unroll(out)
    # w.0 as w_0; a keyword and a label with a space by their node number; data is the
    # function's own, and data_1 is taken: data_2
    assert "    w_0, n1, n3, data_1, data_2 = data" in code.source.splitlines()
    assert code() == out.data


def test_the_training_forms_seeds_keep_their_names() -> None:
    x = Value(2.0, label="seed_0")
    replay = unroll_outputs([x * x])
    assert "    seed_0_1, = data" in replay.source.splitlines()
    _, saved = replay.forward([2.0])
    assert replay.backward([2.0], saved, [1.0], [0.0]) == [4.0]
