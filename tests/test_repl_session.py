"""A student's terminal session: a real Python REPL, a neuron, and the Stepper."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

ROOT = Path(__file__).resolve().parent.parent
PROMPT = ">>> "


class Repl:
    """A `python` REPL in a pseudo-terminal; `run(line)` returns what it printed."""

    def __init__(self) -> None:
        environment = dict(os.environ, TERM="dumb", PYTHONSTARTUP="", NO_COLOR="1")
        self.child = pexpect.spawn(
            sys.executable,
            ["-q"],
            cwd=str(ROOT),
            env=environment,
            encoding="utf-8",
            timeout=60,
            dimensions=(50, 200),
        )
        self.child.expect_exact(PROMPT)

    def run(self, line: str) -> str:
        self.child.sendline(line)
        self.child.expect_exact(PROMPT)
        # The terminal echoes the line and ends lines with \r\n.
        printed = self.child.before.replace("\r\n", "\n")
        echoed, _, output = printed.partition("\n")
        assert echoed.strip() == line.strip()
        return output.rstrip("\n")

    def close(self) -> None:
        self.child.sendline("exit()")
        self.child.expect(pexpect.EOF)
        self.child.close()


@pytest.fixture
def repl():
    session = Repl()
    yield session
    session.close()


def test_stepping_through_a_neuron_in_the_repl(repl: Repl) -> None:
    assert repl.run("from engine import Value, Stepper") == ""
    repl.run('x = Value(2.0, label="x"); w = Value(-3.0, label="w"); b = Value(6.5, label="b")')
    repl.run('n = x * w + b; n.label = "n"')
    repl.run('out = n.tanh(); out.label = "out"')
    repl.run("stepper = Stepper(out)")

    assert repl.run("stepper") == (
        "Stepper(out): 0 of 3 steps taken; next() starts backprop at out"
    )

    # One step: the arithmetic a student can check, then the tree with the grads so far.
    first = repl.run("stepper.next()").splitlines()
    assert first[0] == "Stepper(out): 1 of 3 steps taken"
    assert first[1] == "step 1 of 3: out = tanh(n), out.grad = 1"
    assert first[2] == "  n.grad += out.grad * d(out)/d(n) = 1 * 0.7864 = 0.7864   (n.grad: 0 -> 0.7864)"
    assert first[3:] == [
        "#5 out [tanh]  data 0.4621  grad 1.0000",
        "└── #4 n [+]  data 0.5000  grad 0.7864",
        "    ├── #2 [*]  data -6.0000  grad 0.0000",
        "    │   ├── #0 x  data 2.0000  grad 0.0000",
        "    │   └── #1 w  data -3.0000  grad 0.0000",
        "    └── #3 b  data 6.5000  grad 0.0000",
    ]

    repl.run("stepper.next()")
    third = repl.run("stepper.next()").splitlines()
    assert third[0] == "Stepper(out): 3 of 3 steps taken (done: the grads backward() gives)"
    assert "w.grad += #2.grad * d(#2)/d(w) = 0.7864 * 2 = 1.573" in third[3]
    assert repl.run("round(w.grad, 4), round(x.grad, 4)") == "(1.5729, -2.3593)"

    # Back one step: x and w lose exactly what that step gave them.
    assert repl.run("stepper.back().position") == "2"
    assert repl.run("x.grad, w.grad") == "(0.0, 0.0)"

    # Going past the end is refused with a message, not a silent no-op.
    repl.run("stepper.run()")
    refused = repl.run("stepper.next()")
    assert refused.splitlines()[-1] == (
        "ValueError: backprop is finished: all 3 steps are taken; "
        "use back() to undo one, or read the grads"
    )

    # The same grads as backward() from scratch.
    repl.run("stepped = (x.grad, w.grad, b.grad)")
    repl.run("out.zero_grad(); out.backward()")
    assert repl.run("(x.grad, w.grad, b.grad) == stepped") == "True"
    assert repl.run("round(w.grad, 4), round(x.grad, 4)") == "(1.5729, -2.3593)"


def test_printing_a_single_step(repl: Repl) -> None:
    repl.run("from engine import Value")
    repl.run('a = Value(3.0, label="a"); square = a * a; square.label = "square"')
    repl.run("steps = square.backward_steps()")
    assert repl.run("print(next(steps))") == (
        "step 1 of 1: square = a * a, square.grad = 1\n"
        "  a.grad += square.grad * d(square)/d(a) = 1 * 3 = 3   (a.grad: 0 -> 3)\n"
        "  a.grad += square.grad * d(square)/d(a) = 1 * 3 = 3   (a.grad: 3 -> 6)"
    )
