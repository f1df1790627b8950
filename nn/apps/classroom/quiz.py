"""Quiz mode: the class predicts the grad that the next backprop step will produce.

The teacher arms a quiz before a step. Every student page then asks for one
number: the grad of the step's first child once the step is done, that is

    child.grad (after) = child.grad (before) + node.grad * d(node)/d(child)

with `d(node)/d(child)` (the local derivative) as the hint a student can
ask for. Answers count as right within a tolerance (students round), the
teacher sees how many answered and how the answers spread, and Reveal takes
the step for everyone.

>>> from engine import Value
>>> from engine.views.stepper import Stepper
>>> x = Value(2.0, label="x")
>>> w = Value(-3.0, label="w")
>>> out = x * w
>>> out.label = "out"
>>> stepper = Stepper(out)
>>> quiz = QuizRound.for_next_step(stepper)
>>> quiz.question
'What is x.grad after this step?'
>>> quiz.answer("a1b2c3d4e5f6a7b8", -3.0), quiz.answer("0123456789abcdef", 3.0)
(True, False)
>>> quiz.summary()["right"], quiz.summary()["answered"]
(1, 2)
>>> stepper.position  # asking changed nothing: the step is still to come
0

Nothing about a student is kept but a random id their browser made up, and
only in memory, for one round.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from engine.views.stepper import Stepper, format_number

# An answer is right when |answer - expected| <= ABSOLUTE + RELATIVE * |expected|:
# 0.01 for a grad near 1, 1% of a big grad. Students work with 2-4 digits.
ABSOLUTE_TOLERANCE = 0.01
RELATIVE_TOLERANCE = 0.01
MAX_STUDENTS_PER_ROUND = 1000  # distinct answerers kept in memory per round
SPREAD_BARS = 8  # the teacher sees at most this many distinct answers, most common first


def is_close(answer: float, expected: float) -> bool:
    """Whether a student's `answer` counts as `expected` (see the tolerances above).

    >>> is_close(0.42, 0.4200001), is_close(0.5, 0.42), is_close(-300.0, -302.0)
    (True, False, True)
    """
    return abs(answer - expected) <= ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * abs(expected)


class QuizFull(Exception):
    """More distinct students answered this round than `MAX_STUDENTS_PER_ROUND`."""


@dataclass
class QuizRound:
    """One question about the step the stepper will take next."""

    step_number: int
    question: str
    hint: str
    expected: float
    answers: dict[str, float] = field(default_factory=dict)  # student id -> last answer
    revealed: bool = False
    round_number: int = 0  # counts the rounds of a lesson, so a page tells them apart

    @classmethod
    def for_next_step(cls, stepper: Stepper, round_number: int = 0) -> QuizRound:
        """Peek at the stepper's next step (take it, read it, undo it) and ask about it.

        Raises ValueError when there is no step left to ask about.
        """
        if stepper.finished:
            raise ValueError(
                "there is no step left to ask about: backprop is finished; "
                "press Reset or show a new formula"
            )
        step = stepper.next().last_step
        stepper.back()
        assert step is not None
        first = step.updates[0]
        # A child used twice (a * a) gets two updates: the answer is its grad after both.
        updates = [update for update in step.updates if update.child is first.child]
        expected = updates[-1].grad_after
        if not math.isfinite(expected):
            raise ValueError(
                f"{first.name}.grad after this step is {expected}, not a number to ask "
                "about; press Next to take the step without a quiz"
            )
        local = " + ".join(format_number(update.local_grad) for update in updates)
        hint = (
            f"d({step.name})/d({first.name}) = {local}; "
            f"{step.name}.grad = {format_number(step.upstream)}; "
            f"{first.name}.grad before this step = {format_number(first.grad_before)}. "
            f"The chain rule: {first.name}.grad += {step.name}.grad * d({step.name})/d({first.name})"
        )
        return cls(
            step_number=step.number,
            question=f"What is {first.name}.grad after this step?",
            hint=hint,
            expected=expected,
            round_number=round_number,
        )

    def answer(self, student: str, value: float) -> bool:
        """Record `student`'s answer (a later one replaces it); return whether it is right.

        The caller has checked that the round is open and that `value` is a
        finite number (the server refuses anything else).
        """
        if student not in self.answers and len(self.answers) >= MAX_STUDENTS_PER_ROUND:
            raise QuizFull(f"this round already has {MAX_STUDENTS_PER_ROUND} answers")
        self.answers[student] = value
        return is_close(value, self.expected)

    def summary(self) -> dict[str, Any]:
        """What the teacher sees: how many answered, how many right, the spread."""
        values = list(self.answers.values())
        right = sum(is_close(value, self.expected) for value in values)
        counted = Counter(format_number(value) for value in values)
        spread = [
            {
                "answer": text,
                "count": count,
                "right": is_close(float(text), self.expected),
            }
            for text, count in counted.most_common(SPREAD_BARS)
        ]
        return {"answered": len(values), "right": right, "spread": spread}

    def public(self, *, teacher: bool) -> dict[str, Any]:
        """The round as JSON for a shared page: until Reveal, only how many answered.

        The teacher's page is on the projector, so before Reveal it gets no
        more than the students' (and not the hint either): the teacher looks
        at the answer and the spread privately, with `private()` (the page's
        Peek button). After Reveal everybody sees the answer and how many got
        it right; the teacher's page also sees the spread.
        """
        shown: dict[str, Any] = {
            "round": self.round_number,
            "step": self.step_number,
            "question": self.question,
            "revealed": self.revealed,
            "answered": len(self.answers),
            "tolerance": {"absolute": ABSOLUTE_TOLERANCE, "relative": RELATIVE_TOLERANCE},
        }
        if not teacher or self.revealed:
            shown["hint"] = self.hint
        if self.revealed:
            summary = self.summary()
            shown["expected"] = self.expected
            shown["expected_text"] = format_number(self.expected)
            shown["right"] = summary["right"]
            if teacher:
                shown["spread"] = summary["spread"]
        return shown

    def private(self) -> dict[str, Any]:
        """Everything about the round, for the teacher's eyes only (not the projector)."""
        return {
            **self.public(teacher=False),
            **self.summary(),
            "expected": self.expected,
            "expected_text": format_number(self.expected),
        }
