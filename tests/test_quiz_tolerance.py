"""The quiz's tolerance at its edge: answers just inside count, answers just
outside do not (nn/apps/classroom/quiz.py).

The tolerance is part of the lesson's contract (students round to 2-4 digits):
|answer - expected| <= 0.01 + 1% of |expected|. The numbers are written out
here, not read from the module, so a loosened tolerance fails this test.
"""

from __future__ import annotations

import pytest

from engine import Value
from engine.views.stepper import Stepper
from nn.apps.classroom.quiz import QuizRound, is_close


@pytest.mark.parametrize(
    "expected, margin",
    [
        (0.0, 0.01),  # near 0 only the absolute part counts
        (1.0, 0.02),  # 0.01 + 1% of 1
        (-300.0, 3.01),  # 0.01 + 1% of 300
        (2500.0, 25.01),
    ],
)
def test_answers_just_inside_count_and_just_outside_do_not(
    expected: float, margin: float
) -> None:
    step = 0.001 * margin  # a thousandth of the margin, far above rounding error
    for sign in (1.0, -1.0):
        assert is_close(expected + sign * (margin - step), expected)
        assert not is_close(expected + sign * (margin + step), expected)


def test_a_quiz_round_marks_answers_by_the_same_edge() -> None:
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    out = x * w
    quiz = QuizRound.for_next_step(Stepper(out))
    assert quiz.expected == -3.0  # x.grad after the step: w = -3; margin 0.04
    assert quiz.answer("inside-below", -3.0399)
    assert quiz.answer("inside-above", -2.9601)
    assert not quiz.answer("outside-below", -3.0401)
    assert not quiz.answer("outside-above", -2.9599)
    assert quiz.summary()["right"] == 2


def test_an_answer_exactly_on_the_edge_counts() -> None:
    """|answer - expected| <= tolerance: the edge itself is inside. Near 0 the
    tolerance is 0.01 exactly (no rounding in the sum), so the edge is exact."""
    assert is_close(0.01, 0.0) and is_close(-0.01, 0.0)
    assert not is_close(0.010000000000000002, 0.0)  # the next float past the edge
