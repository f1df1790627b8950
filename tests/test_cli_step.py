"""`stepgrad step`: its output, its --help, and every refusal (one message, exit status 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_errors import WIDTH, read_error

from nn.apps.cli import main

ROOT = Path(__file__).resolve().parent.parent

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1", "b=6.8813735870195432"]

# The README shows this output too (section "The `stepgrad step` command");
# tests/test_readme.py runs every command example of the README. Lines longer
# than the terminal (80 columns when it is not one) are broken before "   (".
NEURON_OUTPUT = """\
forward pass (10 nodes, inputs first):
  x1 = 2
  w1 = -3
  #2 = x1*w1 = -6
  x2 = 0
  w2 = 1
  #5 = x2*w2 = 0
  #6 = x1*w1 + x2*w2 = -6
  b = 6.881
  #8 = x1*w1 + x2*w2 + b = 0.8814
  #9 = tanh(x1*w1 + x2*w2 + b) = 0.7071

backward pass:
step 1 of 5: #9 = tanh(#8), #9.grad = 1
  #8.grad += #9.grad * d(#9)/d(#8) = 1 * 0.5 = 0.5   (#8.grad: 0 -> 0.5)
step 2 of 5: #8 = #6 + b, #8.grad = 0.5
  #6.grad += #8.grad * d(#8)/d(#6) = 0.5 * 1 = 0.5   (#6.grad: 0 -> 0.5)
  b.grad += #8.grad * d(#8)/d(b) = 0.5 * 1 = 0.5   (b.grad: 0 -> 0.5)
step 3 of 5: #6 = #2 + #5, #6.grad = 0.5
  #2.grad += #6.grad * d(#6)/d(#2) = 0.5 * 1 = 0.5   (#2.grad: 0 -> 0.5)
  #5.grad += #6.grad * d(#6)/d(#5) = 0.5 * 1 = 0.5   (#5.grad: 0 -> 0.5)
step 4 of 5: #5 = x2 * w2, #5.grad = 0.5
  x2.grad += #5.grad * d(#5)/d(x2) = 0.5 * 1 = 0.5   (x2.grad: 0 -> 0.5)
  w2.grad += #5.grad * d(#5)/d(w2) = 0.5 * 0 = 0   (w2.grad: 0 -> 0)
step 5 of 5: #2 = x1 * w1, #2.grad = 0.5
  x1.grad += #2.grad * d(#2)/d(x1) = 0.5 * -3 = -1.5   (x1.grad: 0 -> -1.5)
  w1.grad += #2.grad * d(#2)/d(w1) = 0.5 * 2 = 1   (w1.grad: 0 -> 1)

gradients of the inputs:
  x1.grad = -1.5
  w1.grad = 1
  x2.grad = 0.5
  w2.grad = 0
  b.grad = 0.5
"""


def run_cli(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run(
        [sys.executable, "-m", "nn", *arguments],
        cwd=cwd,
        env=dict(environment, PYTHONPATH=str(ROOT)),
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


def test_refusal_shows_where_with_status_2_and_no_traceback() -> None:
    result = run_cli("step", "__import__('os').system('echo hacked')")
    assert result.returncode == 2
    assert result.stdout == ""
    message, (formula, caret) = read_error(result.stderr)
    assert message.startswith("stepgrad step: error: column 17: attribute access")
    assert formula == "  __import__('os').system('echo hacked')"
    assert caret == "  " + " " * 16 + "^"  # under the dot, column 17


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
    ("arguments", "message", "help_command"),
    [
        (["nonsense"], "invalid choice: 'nonsense'", "stepgrad"),
        (["step"], "the following arguments are required: EXPRESSION", "stepgrad step"),
        (["step", "x", "--colour"], "unrecognized arguments: --colour", "stepgrad step"),
        (["--bogus"], "unrecognized arguments: --bogus", "stepgrad"),
        (["--bogus", "step", "x"], "unrecognized arguments: --bogus", "stepgrad"),
        (["train", "--bogus"], "unrecognized arguments: --bogus", "stepgrad train"),
        (["demo", "--steps", "2", "--bogus"], "unrecognized arguments: --bogus", "stepgrad demo"),
    ],
)
def test_usage_mistakes(
    arguments: list[str], message: str, help_command: str, capsys
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(arguments)
    assert exit_.value.code == 2
    error, under = read_error(capsys.readouterr().err)
    assert message in error and under == []
    # The error names the command at fault and points to its help.
    assert error.startswith(f"{help_command}: error:")
    assert error.endswith(f"(see {help_command} --help)")


def test_bare_stepgrad_prints_its_help(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 0
    shown = capsys.readouterr()
    assert shown.out.startswith("usage: stepgrad") and "train" in shown.out
    assert shown.err == ""


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == "stepgrad 0.1.0\n"


def test_version_comes_from_the_installed_package(monkeypatch, capsys) -> None:
    from importlib import metadata

    monkeypatch.setattr(metadata, "version", lambda name: "9.8.7")
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out == "stepgrad 9.8.7\n"


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
        (["x", "x=1", "--graph", "no/such/folder/g.svg"], "there is no folder 'no/such/folder'"),
        (["x", "x=1", "--graph", "no/such/folder/g.svg"], "mkdir -p no/such/folder"),
        (["x.y", "x=1"], "column 2: attribute access (.y)"),
        (["x[0]", "x=1"], "column 1: x[0] is not allowed"),
        (["(lambda: 1)()"], "lambda"),
        (["[x for x in y]"], "[x for x in y] is not allowed"),
        (["foo(x)", "x=1"], "unknown function foo"),
        (["exp(x=1)"], "keyword arguments"),
        (["x +* 2", "x=1"], "column 4: '*' right after '+'"),
        (["x ** 9 ** 9 ** 9", "x=2"], "the exponent 9 ** 9 = 3.8742e+08 is too large"),
        (["x" + " + x" * 400, "x=1"], "characters long; the limit is 1000"),
        (["(" + "-" * 500 + "x)", "x=1"], "nested too deeply"),
        (["x", "x=1", "--graph", "out.pdf"], "the file must end in .svg or .png"),
    ],
)
def test_step_refusals_exit_2_with_one_message(
    arguments: list[str], message: str, capsys
) -> None:
    assert main(["step", *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("stepgrad step: error: ")
    first, where = read_error(captured.err)
    assert message in first
    # A mistake at a column shows the formula and a caret under that column.
    assert len(where) == (2 if "column" in first else 0)


@pytest.mark.parametrize(
    ("formula", "message", "caret_column"),
    [
        ("2x", "a number followed by a name: write 2*x", 1),
        ("x**", "the formula ends after '**': something is missing", 4),
        ("x + 1 +", "the formula ends after '+'", 8),
        ("tanh(x", "this '(' is never closed", 5),
        ("x y", "write x*y", 3),
        ("x = 1", "give the input values after it, as x=1", 3),
        ("tanh x", "call tanh with parentheses: tanh(x)", 6),
        ("x^2", "write ** (x**2)", 2),
        ("x\uff0b1", "write '+'", 2),  # a full-width plus
    ],
)
def test_formula_errors_in_plain_words_with_a_caret(
    formula: str, message: str, caret_column: int, capsys
) -> None:
    assert main(["step", formula, "x=1", "y=2"]) == 2
    first, (shown, caret) = read_error(capsys.readouterr().err)
    assert message in first and f"column {caret_column}:" in first
    assert shown == "  " + formula
    assert caret == " " * (1 + caret_column) + "^"
    for jargon in ("invalid", "literal", "syntax", "token"):
        assert jargon not in first


def test_a_full_width_name_is_the_same_name_in_formula_and_argument(capsys) -> None:
    # Python reads the formula's full-width x as x (NFKC); the argument too.
    assert main(["step", "\uff58 * 2", "\uff58=3"]) == 0
    assert "x.grad = 2" in capsys.readouterr().out
    assert main(["step", "x * 2", "\uff58=3"]) == 0


def test_graph_into_a_missing_folder_creates_nothing(tmp_path: Path, capsys) -> None:
    target = tmp_path / "typo" / "deeper" / "graph.svg"
    assert main(["step", "x*2", "x=1", "--graph", str(target)]) == 2
    assert "create it first" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


LONG_FORMULA = "tanh(first_input*first_weight + second_input*second_weight + bias_of_neuron)"


@pytest.mark.parametrize("command", [[], ["step"], ["demo"], ["train"]])
def test_help_fits_80_columns(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nn", *command, "--help"],
        env=dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="80"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_step_output_fits_an_80_column_terminal() -> None:
    pexpect = pytest.importorskip("pexpect")
    values = ["first_input=2", "first_weight=-3", "second_input=0", "second_weight=1",
              "bias_of_neuron=6.88"]
    environment = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    output = pexpect.run(
        f"{sys.executable} -m nn step '{LONG_FORMULA}' {' '.join(values)}",
        env=dict(environment, PYTHONPATH=str(ROOT)),
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=60,
    )
    lines = output.replace("\r\n", "\n").splitlines()
    assert "gradients of the inputs:" in lines
    assert max(len(line) for line in lines) <= 80
    # The arithmetic is broken only between its pieces, never inside a number or name.
    assert "      (first_weight.grad: 0 -> 1.002)" in lines
    assert "      (bias_of_neuron.grad: 0 -> 0.501)" in lines


def test_a_wide_terminal_gets_whole_lines(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["step", *NEURON]) == 0
    assert "= 0.5   (#8.grad: 0 -> 0.5)" in capsys.readouterr().out


def test_arithmetic_failure_exits_1(capsys) -> None:
    assert main(["step", "log(x)", "x=-1"]) == 1
    assert read_error(capsys.readouterr().err) == (
        "stepgrad step: error: column 1: log(x): log(-1.0) is undefined: "
        "log needs a positive input",
        [],
    )


def test_formula_starting_with_minus_after_double_dash(capsys) -> None:
    assert main(["step", "--", "-x", "x=3"]) == 0
    assert "x.grad = -1" in capsys.readouterr().out


# The longest mistakes, each with its whole message (before folding).
LONG_ERRORS = [
    (
        ["step", "x.y", "x=1"],
        "stepgrad step: error: column 2: attribute access (.y) is not allowed; "
        "use + - * / ** and exp, log, relu, sigmoid, tanh",
    ),
    (
        ["step", "-x", "x=1"],
        "stepgrad step: error: unrecognized arguments: -x; if that is a formula starting "
        'with a minus, put -- before it: stepgrad step -- "-x" x=1 (see stepgrad step --help)',
    ),
    (
        ["step", "x", "x=1", "--graph", "no/such/folder/g.svg"],
        "stepgrad step: error: --graph 'no/such/folder/g.svg': there is no folder "
        "'no/such/folder'; create it first (mkdir -p no/such/folder) or choose another path",
    ),
    (
        ["train", "--data", "spiral", "--hidden", "16,16", "--steps", "0"],
        "stepgrad train: error: argument --steps: '0' must be at least 1 "
        "(see stepgrad train --help)",
    ),
    (
        ["train", "--hidden", "64,64", "--steps", "50000"],
        "stepgrad train: error: 4,417 parameters x 75 rows x 50,000 steps is 16,564 million, "
        "above the limit of 250 million (too long for this engine): use fewer --steps, "
        "a --batch-size, or smaller --hidden layers",
    ),
]


@pytest.mark.parametrize(
    ("arguments", "whole"), LONG_ERRORS, ids=[" ".join(a) for a, _ in LONG_ERRORS]
)
def test_long_errors_fold_at_80_columns_and_keep_every_word(
    arguments: list[str], whole: str, tmp_path: Path
) -> None:
    result = run_cli(*arguments, cwd=tmp_path)  # a real command; nothing is written here
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert max(len(line) for line in lines) <= WIDTH, result.stderr
    message, under = read_error(result.stderr)
    assert message.split() == whole.split()  # every word, none broken
    assert len(under) == (2 if "column" in whole else 0)
    assert list(tmp_path.iterdir()) == []
