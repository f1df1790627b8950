"""The safe expression parser: what it builds, and everything it refuses."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Value, topological_order
from engine.expression import (
    MAX_DEPTH,
    MAX_LENGTH,
    EvaluationError,
    ExpressionError,
    build_expression,
    parse_expression,
    show_column,
)

# ---------------------------------------------------------------------- what it builds


def test_neuron_builds_the_same_graph_as_by_hand() -> None:
    values = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}
    out = build_expression("tanh(x1*w1 + x2*w2 + b)", values)
    assert out.op == "tanh" and out.label == "tanh(x1*w1 + x2*w2 + b)"
    assert out.data == pytest.approx(math.sqrt(0.5))
    out.backward()
    by_label = {child.label: child for child in _leaves(out)}
    assert by_label["w1"].grad == pytest.approx(1.0)
    assert by_label["x1"].grad == pytest.approx(-1.5)


def _leaves(root: Value) -> list[Value]:
    return [node for node in topological_order(root) if not node.children]


def test_an_input_used_twice_is_one_value() -> None:
    out = build_expression("x * x", {"x": 3.0})
    assert out.children[0] is out.children[1]
    out.backward()
    assert out.children[0].grad == 6.0


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("-x", -2.0),
        ("+x", 2.0),
        ("x ** 2", 4.0),
        ("x ** -1", 0.5),
        ("x ** (1/2)", math.sqrt(2.0)),
        ("2 ** x", 4.0),
        ("x ** x", 4.0),
        ("exp(x) - log(x)", math.exp(2.0) - math.log(2.0)),
        ("sigmoid(x) / relu(x - 3)", None),
        ("(((x)))", 2.0),
        ("  x + 1  ", 3.0),
        ("1e-3 * x", 0.002),
    ],
)
def test_allowed_formulas(source: str, expected: float | None) -> None:
    if expected is None:
        with pytest.raises(EvaluationError, match="division by zero"):
            build_expression(source, {"x": 2.0})
        return
    assert build_expression(source, {"x": 2.0} if "x" in source else {}).data == pytest.approx(
        expected
    )


def test_constant_exponent_gives_a_one_child_power_node() -> None:
    out = build_expression("x ** 2", {"x": 3.0})
    assert out.op == "**2" and len(out.children) == 1


def test_input_names_in_order_of_appearance() -> None:
    assert parse_expression("b + w*x + w").input_names == ("b", "w", "x")


# ---------------------------------------------------------------------- what it refuses


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("__import__('os').system('ls')", "attribute access (.system)", 17),
        ("__import__('os')", "unknown function __import__", 1),
        ("x.real", "attribute access (.real)", 2),
        ("x[0]", "x[0] is not allowed in a formula", 1),
        ("(lambda: 1)()", "lambda", 2),
        ("[x for x in y]", "[x for x in y] is not allowed", 1),
        ("sum(x for x in y)", "unknown function sum", 1),
        ("foo(x)", "unknown function foo", 1),
        ("exp(x=1)", "keyword arguments", 1),
        ("exp(x, y)", "exp takes exactly one argument, not 2", 1),
        ("exp()", "exp takes exactly one argument, not 0", 1),
        ("exp(*x)", "starred", 1),
        ("x + exp", "exp is a function", 5),
        ("_secret + 1", "input names start with a letter", 1),
        ("x % 2", "the operator %", 4),
        ("x // 2", "the operator //", 5),
        ("~x", "the operator ~", 1),
        ("x < 1", "x < 1 is not allowed", 1),
        ("x if x else 1", "x if x else 1 is not allowed", 1),
        ("'text'", "'text' is not a number", 1),
        ("True", "True is not a number", 1),
        ("1j", "1j is not a number", 1),
        ("1e999", "the number 1e999 is too large", 1),
        ("(x := 1)", "x := 1 is not allowed", 2),
        ("f'{x}'", "f'{x}' is not allowed", 1),
        ("x +* 2", "'*' right after '+'", 4),
        ("x = 1", "give the input values after it, as x=1", 3),
        ("tanh(x", "this '(' is never closed", 5),
        ("1 +", "the formula ends after '+': something is missing", 4),
        ("2x", "a number followed by a name: write 2*x", 1),
        ("x**", "the formula ends after '**'", 4),
        ("x^2", "write ** (x**2)", 2),
        ("2(x + 1)", "write 2*(...)", 1),
        ("x ** 10000", "the exponent 10000 is too large", 6),
        ("x ** -1e6", "the exponent -1e6 is too large", 6),
        ("x\n+ 1", "write the formula on one line", 2),
        ("x\u00a0+ 1", "a special space: type a plain space", 2),
        ("", "the expression is empty", None),
    ],
)
def test_refusals_name_the_problem_and_the_column(
    source: str, message: str, column: int | None
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(source)
    assert message in str(caught.value)
    assert caught.value.column == column
    if column is not None:
        assert str(caught.value).startswith(f"column {column}: ")


# Formulas Python's parser refuses, each with the words that explain it.
SYNTAX_MISTAKES = [
    ("2x", "write 2*x"),
    ("1e5x", "write 1e5*x"),
    ("x**", "ends after '**'"),
    ("x +* 2", "'*' right after '+'"),
    ("*x", "starts with '*'"),
    ("x)", "this ')' closes no '('"),
    ("x]", "this ']' closes no '['"),
    ("[x", "use ( ) for grouping"),
    ("tanh(x", "never closed"),
    ("x y", "write x*y"),
    ("tanh x", "tanh(x)"),
    ("'abc", "no quotes"),
    ("$x", "the character '$'"),
    ("x;y", "the character ';'"),
    ("1.2.3", "two decimal points"),
    ("if x", "'if' is a Python keyword"),
    ("07", "write 7, not 07"),
    ("x.", "no attributes"),
    ("x\uff0b1", "write '+'"),  # full-width plus
    ("\uff12*x", "write '2'"),  # full-width digit
    ("x ** * 2", "'*' right after '**'"),
]


@pytest.mark.parametrize(("source", "words"), SYNTAX_MISTAKES)
def test_syntax_mistakes_in_plain_words(source: str, words: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(source)
    message = str(caught.value)
    assert words in message
    assert caught.value.column is not None
    for jargon in ("invalid", "literal", "syntax", "token", "EOF", "unexpected"):
        assert jargon not in message


@given(st.text(alphabet="x2 .+-*/()^e=,'[]$\uff58\uff0b", max_size=12))
def test_every_refusal_is_plain_and_points_inside_the_formula(source: str) -> None:
    try:
        parse_expression(source)
    except ExpressionError as error:
        assert error.column is None or 1 <= error.column <= len(source) + 1
        for jargon in ("invalid", "literal", "syntax", "token", "EOF", "unexpected"):
            assert jargon not in str(error)


def test_show_column_puts_a_caret_under_the_mistake() -> None:
    assert show_column("x +* 2", 4) == "  x +* 2\n     ^"
    assert show_column("x", None) == ""
    # A full-width letter takes two columns on a terminal.
    assert show_column("\uff58 $", 3) == "  \uff58 $\n     ^"
    # A long formula is cut around the column, to fit the width.
    long = "a + " * 100 + "2b"
    shown, caret = show_column(long, len(long) - 1, width=60).splitlines()
    assert len(shown) <= 60 and shown.startswith("  ...") and shown.endswith("2b")
    assert shown[caret.index("^")] == "2"


def test_hostile_input_runs_no_code(tmp_path) -> None:
    target = tmp_path / "created"
    hostile = [
        f"__import__('pathlib').Path({str(target)!r}).touch()",
        f"open({str(target)!r}, 'w')",
        f"exp(__import__('pathlib').Path({str(target)!r}).touch())",
        f"[__import__('pathlib').Path({str(target)!r}).touch() for _ in [1]][0]",
    ]
    for source in hostile:
        with pytest.raises(ExpressionError):
            build_expression(source, {})
    assert not target.exists()


def test_huge_exponent_tower_fails_fast_with_the_exponent_named() -> None:
    expression = parse_expression("x ** 9 ** 9 ** 9")  # each literal exponent is small
    with pytest.raises(ExpressionError, match=r"the exponent 9 \*\* 9 = 3.87\d*e\+08 is too large"):
        expression.build({"x": 2.0})
    with pytest.raises(ExpressionError, match="the exponent y = 5000 is too large"):
        build_expression("x ** y", {"x": 2.0, "y": 5000.0})


def test_absurd_sizes_fail_fast() -> None:
    with pytest.raises(ExpressionError, match=f"the limit is {MAX_LENGTH}"):
        parse_expression("x + " * 300 + "x")
    with pytest.raises(ExpressionError, match=f"nested too deeply; the limit is {MAX_DEPTH}"):
        parse_expression("-" * 900 + "x")
    # Deep but ordinary formulas within the length limit are fine: a 40-input
    # neuron (a long sum) and 60 nested tanh calls.
    neuron = " + ".join(f"x{i}*w{i}" for i in range(40))
    assert len(parse_expression(neuron).input_names) == 80
    parse_expression("tanh(" * 60 + "x" + ")" * 60)
    with pytest.raises(ExpressionError, match="too many nested parentheses"):
        parse_expression("(" * 300 + "x" + ")" * 300)
    with pytest.raises(ExpressionError, match=r"the number 9{30}\.\.\. \(400 characters\)"):
        parse_expression("9" * 400)


def test_missing_and_unknown_inputs_are_named() -> None:
    expression = parse_expression("x * w + b")
    with pytest.raises(ExpressionError, match="no value for the input w; give a value for each of x, w, b"):
        expression.build({"x": 1.0, "b": 2.0})
    with pytest.raises(ExpressionError, match=r"z is not an input of the expression \(its inputs: x, w, b\)"):
        expression.build({"x": 1.0, "w": 1.0, "b": 1.0, "z": 1.0})


def test_arithmetic_errors_say_where() -> None:
    with pytest.raises(EvaluationError, match=r"column 5: log\(x\): log\(-1.0\) is undefined"):
        build_expression("1 + log(x)", {"x": -1.0})
    with pytest.raises(EvaluationError, match="column 1: x\\*x = inf is too large"):
        build_expression("x*x*x", {"x": 1e200})


def test_expression_must_be_text() -> None:
    with pytest.raises(TypeError, match="must be a str, not int"):
        parse_expression(3)
