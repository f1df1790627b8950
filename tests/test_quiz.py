"""The quiz round (nn/apps/classroom/quiz.py): the question and hint a step
gives, how answers are counted, and what each page may see when.

(The tolerance at its edges is in test_quiz_tolerance.py; the quiz over HTTP
in test_classroom_http.py.)
"""

from __future__ import annotations

import math

import pytest

from engine import Value
from engine.value import from_op
from engine.views.stepper import Stepper
from nn.apps.classroom.quiz import QuizFull, QuizRound

TOLERANCE = {"absolute": 0.01, "relative": 0.01}


def product_quiz(round_number: int | None = None) -> QuizRound:
    """out = x * w with x = 2, w = -3: the first step asks for x.grad = -3."""
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    out = x * w
    out.label = "out"
    if round_number is None:
        return QuizRound.for_next_step(Stepper(out))
    return QuizRound.for_next_step(Stepper(out), round_number=round_number)


# ---------------------------------------------------------------------- the question


def test_the_question_and_hint_spell_out_the_chain_rule() -> None:
    quiz = product_quiz()
    assert (quiz.step_number, quiz.expected, quiz.round_number) == (1, -3.0, 0)
    assert quiz.question == "What is x.grad after this step?"
    assert quiz.hint == (
        "d(out)/d(x) = -3; out.grad = 1; x.grad before this step = 0. "
        "The chain rule: x.grad += out.grad * d(out)/d(x)"
    )
    assert quiz.answers == {} and not quiz.revealed
    assert product_quiz(round_number=4).round_number == 4


def test_a_later_step_adds_to_the_grad_the_child_already_has() -> None:
    """a feeds c twice (c = a + a * 2): the second step adds to a.grad = 1."""
    a = Value(1.5, label="a")
    b = a * 2
    b.label = "b"
    c = a + b
    c.label = "c"
    stepper = Stepper(c)
    stepper.next()  # c's step: a.grad = 1, b.grad = 1
    quiz = QuizRound.for_next_step(stepper)
    assert quiz.step_number == 2
    assert quiz.expected == 3.0  # 1 + b.grad * d(b)/d(a) = 1 + 1 * 2
    assert quiz.hint == (
        "d(b)/d(a) = 2; b.grad = 1; a.grad before this step = 1. "
        "The chain rule: a.grad += b.grad * d(b)/d(a)"
    )
    assert stepper.position == 1  # asking took no step
    assert a.grad == 1.0


@pytest.mark.parametrize(
    "times, local, expected", [(2, "3 + 3", 6.0), (3, "1 + 2 + 3", 6.0)]
)  # fmt: skip
def test_a_child_used_more_than_once_is_asked_about_after_all_its_updates(
    times: int, local: str, expected: float
) -> None:
    a = Value(3.0, label="a")
    if times == 2:
        node = a * a
    else:  # a node of one child three times, with three local grads (a fused op)
        node = from_op(6.0, "sum3", (a, a, a), (1.0, 2.0, 3.0))
    node.label = "n"
    quiz = QuizRound.for_next_step(Stepper(node))
    assert quiz.question == "What is a.grad after this step?"
    assert quiz.expected == expected
    assert quiz.hint.startswith(f"d(n)/d(a) = {local}; n.grad = 1; a.grad before")


def test_there_is_no_quiz_when_backprop_is_finished() -> None:
    x = Value(2.0, label="x")
    stepper = Stepper(x * 3)
    stepper.run()
    with pytest.raises(ValueError) as refusal:
        QuizRound.for_next_step(stepper)
    assert str(refusal.value) == (
        "there is no step left to ask about: backprop is finished; "
        "press Reset or show a new formula"
    )


def test_there_is_no_quiz_about_a_grad_that_is_not_a_number() -> None:
    x = Value(1.0, label="x")
    # x twice, each with d(out)/d(x) = 1e308: x.grad = 1e308 + 1e308 overflows to inf
    out = from_op(2.0, "big", (x, x), (1e308, 1e308))
    out.label = "out"
    stepper = Stepper(out)
    with pytest.raises(ValueError) as refusal:
        QuizRound.for_next_step(stepper)
    assert str(refusal.value) == (
        "x.grad after this step is inf, not a number to ask about; "
        "press Next to take the step without a quiz"
    )
    assert stepper.position == 0


# ---------------------------------------------------------------------- answers


def test_a_students_later_answer_replaces_the_earlier_one() -> None:
    quiz = product_quiz()
    assert not quiz.answer("student-1", 3.0)
    assert quiz.answer("student-1", -3.0)
    assert quiz.answers == {"student-1": -3.0}
    assert quiz.summary() == {
        "answered": 1,
        "right": 1,
        "spread": [{"answer": "-3", "count": 1, "right": True}],
    }


def test_a_round_keeps_at_most_a_thousand_students() -> None:
    quiz = product_quiz()
    for number in range(999):
        quiz.answer(f"student-{number}", 1.0)
    assert not quiz.answer("student-999", 1.0)  # the thousandth still gets in
    with pytest.raises(QuizFull) as refusal:
        quiz.answer("student-1000", -3.0)
    assert str(refusal.value) == "this round already has 1000 answers"
    assert quiz.answer("student-5", -3.0)  # one already counted may change their answer
    assert (quiz.summary()["answered"], quiz.summary()["right"]) == (1000, 1)


def test_the_spread_shows_the_eight_most_common_answers() -> None:
    quiz = product_quiz()
    answers = {-3.0: 9, -2.99: 8, 3.0: 7, 6.0: 6, 0.0: 5, -6.0: 4, 1.0: 3, 2.0: 2, 5.0: 1}
    for value, count in answers.items():
        for number in range(count):
            quiz.answer(f"{value}-{number}", value)
    summary = quiz.summary()
    assert summary["answered"] == 45 and summary["right"] == 17  # -3 and -2.99
    assert summary["spread"] == [
        {"answer": "-3", "count": 9, "right": True},
        {"answer": "-2.99", "count": 8, "right": True},
        {"answer": "3", "count": 7, "right": False},
        {"answer": "6", "count": 6, "right": False},
        {"answer": "0", "count": 5, "right": False},
        {"answer": "-6", "count": 4, "right": False},
        {"answer": "1", "count": 3, "right": False},
        {"answer": "2", "count": 2, "right": False},
    ]  # 5 (one answer) is left out


def test_answers_are_grouped_as_written_with_four_digits() -> None:
    quiz = product_quiz()
    quiz.answer("a", -3.0001)
    quiz.answer("b", -3.0004)
    quiz.answer("c", -3.1)
    assert quiz.summary()["spread"] == [
        {"answer": "-3", "count": 2, "right": True},
        {"answer": "-3.1", "count": 1, "right": False},
    ]


# ---------------------------------------------------------------------- what each page sees


def test_before_reveal_pages_see_only_how_many_answered() -> None:
    quiz = product_quiz(round_number=2)
    quiz.answer("a", -3.0)
    quiz.answer("b", 3.0)
    shown = {
        "round": 2,
        "step": 1,
        "question": "What is x.grad after this step?",
        "revealed": False,
        "answered": 2,
        "tolerance": TOLERANCE,
    }
    # the teacher's page is on the projector: not even the hint
    assert quiz.public(teacher=True) == shown
    assert quiz.public(teacher=False) == {**shown, "hint": quiz.hint}


def test_after_reveal_everybody_sees_the_answer_and_the_teacher_the_spread() -> None:
    quiz = product_quiz()
    quiz.answer("a", -3.0)
    quiz.answer("b", 3.0)
    quiz.answer("c", -3.00001)  # written with 4 digits: "-3", as a
    quiz.revealed = True
    student = {
        "round": 0,
        "step": 1,
        "question": "What is x.grad after this step?",
        "revealed": True,
        "answered": 3,
        "tolerance": TOLERANCE,
        "hint": quiz.hint,
        "expected": -3.0,
        "expected_text": "-3",
        "right": 2,
    }
    assert quiz.public(teacher=False) == student
    assert quiz.public(teacher=True) == {
        **student,
        "spread": [
            {"answer": "-3", "count": 2, "right": True},
            {"answer": "3", "count": 1, "right": False},
        ],
    }


def test_the_teachers_private_look_has_everything_before_reveal() -> None:
    quiz = product_quiz()
    quiz.answer("a", 0.5)
    assert quiz.private() == {
        "round": 0,
        "step": 1,
        "question": "What is x.grad after this step?",
        "revealed": False,
        "answered": 1,
        "tolerance": TOLERANCE,
        "hint": quiz.hint,
        "right": 0,
        "spread": [{"answer": "0.5", "count": 1, "right": False}],
        "expected": -3.0,
        "expected_text": "-3",
    }
    assert not quiz.revealed  # looking reveals nothing to the class
    assert math.isfinite(quiz.expected)
