"""`stepgrad step`: its output, its --help, and every refusal (one line, exit status 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nn.cli import main

ROOT = Path(__file__).resolve().parent.parent

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1", "b=6.8813735870195432"]

# The README shows this output too (section "The `stepgrad step` command");
# tests/test_readme.py runs every command example of the README.
NEURON_OUTPUT = """\
forward pass (10 nodes, inputs first):
  x1 = 2
  w1 = -3
  #2(*) = x1*w1 = -6
  x2 = 0
  w2 = 1
  #5(*) = x2*w2 = 0
  #6(+) = x1*w1 + x2*w2 = -6
  b = 6.881
  #8(+) = x1*w1 + x2*w2 + b = 0.8814
  #9(tanh) = tanh(x1*w1 + x2*w2 + b) = 0.7071

backward pass:
step 1 of 5: #9(tanh) = tanh(#8(+)), #9(tanh).grad = 1
  #8(+).grad += #9(tanh).grad * d(#9(tanh))/d(#8(+)) = 1 * 0.5 = 0.5   (#8(+).grad: 0 -> 0.5)
step 2 of 5: #8(+) = #6(+) + b, #8(+).grad = 0.5
  #6(+).grad += #8(+).grad * d(#8(+))/d(#6(+)) = 0.5 * 1 = 0.5   (#6(+).grad: 0 -> 0.5)
  b.grad += #8(+).grad * d(#8(+))/d(b) = 0.5 * 1 = 0.5   (b.grad: 0 -> 0.5)
step 3 of 5: #6(+) = #2(*) + #5(*), #6(+).grad = 0.5
  #2(*).grad += #6(+).grad * d(#6(+))/d(#2(*)) = 0.5 * 1 = 0.5   (#2(*).grad: 0 -> 0.5)
  #5(*).grad += #6(+).grad * d(#6(+))/d(#5(*)) = 0.5 * 1 = 0.5   (#5(*).grad: 0 -> 0.5)
step 4 of 5: #5(*) = x2 * w2, #5(*).grad = 0.5
  x2.grad += #5(*).grad * d(#5(*))/d(x2) = 0.5 * 1 = 0.5   (x2.grad: 0 -> 0.5)
  w2.grad += #5(*).grad * d(#5(*))/d(w2) = 0.5 * 0 = 0   (w2.grad: 0 -> 0)
step 5 of 5: #2(*) = x1 * w1, #2(*).grad = 0.5
  x1.grad += #2(*).grad * d(#2(*))/d(x1) = 0.5 * -3 = -1.5   (x1.grad: 0 -> -1.5)
  w1.grad += #2(*).grad * d(#2(*))/d(w1) = 0.5 * 2 = 1   (w1.grad: 0 -> 1)

gradients of the inputs:
  x1.grad = -1.5
  w1.grad = 1
  x2.grad = 0.5
  w2.grad = 0
  b.grad = 0.5
"""


def run_cli(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nn", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


# ---------------------------------------------------------------------- as a real command


def test_step_prints_forward_steps_and_grads() -> None:
    result = run_cli("step", *NEURON)
    assert result.returncode == 0, result.stderr
    assert result.stdout == NEURON_OUTPUT
    assert result.stderr == ""


@pytest.mark.parametrize("command", [[], ["step"]])
def test_help_of_every_command(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: stepgrad {' '.join(command)}".rstrip())
    if command == ["step"]:
        assert "NAME=VALUE" in result.stdout and "--graph PATH" in result.stdout
    else:
        assert "step" in result.stdout


def test_refusal_is_one_line_with_status_2_and_no_traceback() -> None:
    result = run_cli("step", "__import__('os').system('echo hacked')")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("stepgrad step: error: column 17: attribute access")


def test_hostile_formula_creates_no_file(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    formulas = [
        f"__import__('pathlib').Path({str(target)!r}).touch()",
        f"open({str(target)!r}, 'w')",
        f"tanh(x) + [__import__('os').system('touch {target}') for _ in [0]][0]",
    ]
    for formula in formulas:
        result = run_cli("step", formula, "x=1", cwd=tmp_path)
        assert result.returncode == 2, result
        assert "Traceback" not in result.stderr
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_graph_is_drawn_to_a_file(tmp_path: Path) -> None:
    svg = tmp_path / "neuron.svg"
    png = tmp_path / "neuron.png"
    assert run_cli("step", *NEURON, "--graph", str(svg)).returncode == 0
    assert main(["step", *NEURON, "--graph", str(png)]) == 0
    assert "<svg" in svg.read_text(encoding="utf-8")
    assert png.read_bytes().startswith(b"\x89PNG")


# ---------------------------------------------------------------------- every refusal, in process


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["nonsense"], "invalid choice: 'nonsense'"),
        (["step"], "the following arguments are required: EXPRESSION"),
        (["step", "x", "--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_usage_mistakes(arguments: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(arguments)
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["x * w", "x=2"], "no value for the input w"),
        (["x * w", "x=2", "w=3", "z=1"], "z is not an input of the expression"),
        (["x", "x"], "bad input 'x': write NAME=VALUE"),
        (["x", "=1"], "bad input '=1': write NAME=VALUE"),
        (["x", "x=abc"], "bad input 'x=abc': 'abc' is not a number"),
        (["x", "x=nan"], "bad input 'x=nan': the value must be a finite number"),
        (["x", "x=1", "x=2"], "bad input 'x=2': x is given twice"),
        (["x", "1x=2"], "'1x' is not a name"),
        (["x.y", "x=1"], "column 2: attribute access (.y)"),
        (["x[0]", "x=1"], "column 1: subscripts"),
        (["(lambda: 1)()"], "lambda"),
        (["[x for x in y]"], "comprehensions"),
        (["foo(x)", "x=1"], "unknown function foo"),
        (["exp(x=1)"], "keyword arguments"),
        (["x +* 2", "x=1"], "column 4: syntax error"),
        (["x ** 9 ** 9 ** 9", "x=2"], "the exponent 9 ** 9 = 3.8742e+08 is too large"),
        (["x" + " + x" * 400, "x=1"], "characters long; the limit is 1000"),
        (["(" + "-" * 500 + "x)", "x=1"], "nested too deeply"),
        (["x", "x=1", "--graph", "out.pdf"], "the file must end in .svg or .png"),
    ],
)
def test_step_refusals_exit_2_with_one_line(arguments: list[str], message: str, capsys) -> None:
    assert main(["step", *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("stepgrad step: error: ")
    assert message in captured.err and captured.err.count("\n") == 1


def test_arithmetic_failure_exits_1(capsys) -> None:
    assert main(["step", "log(x)", "x=-1"]) == 1
    assert capsys.readouterr().err == (
        "stepgrad step: error: column 1: log(x): log(-1.0) is undefined: "
        "log needs a positive input\n"
    )


def test_formula_starting_with_minus_after_double_dash(capsys) -> None:
    assert main(["step", "--", "-x", "x=3"]) == 0
    assert "x.grad = -1" in capsys.readouterr().out
