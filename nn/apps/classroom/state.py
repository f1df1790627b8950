"""What the class sees: one graph, one stepper position, one quiz round, one training run.

A `Lesson` holds the state of the classroom page and is changed only
through its methods, each under one lock (the server's request threads, the
teacher's REPL and a training thread all call them). Drawing the graph
takes the renderer a while, so it happens outside the lock (a `GraphPainter`):
a slow drawing never holds up a step, an answer or another page. After every change
`publish()` builds the two JSON views of the state, one for the teacher and
one for the students, and hands them to the `Broadcaster`, which wakes every
open page (see `nn/apps/classroom/push.py`). The training panel's part of the
state is a `TrainingStream` (see `nn/apps/classroom/training.py`).

>>> lesson = Lesson()
>>> lesson.show_formula("x * w", "x=2 w=-3")
>>> print(lesson.control({"action": "next"})["current_step"]["text"])
step 1 of 1: out = x * w, out.grad = 1
  x.grad += out.grad * d(out)/d(x) = 1 * -3 = -3   (x.grad: 0 -> -3)
  w.grad += out.grad * d(out)/d(w) = 1 * 2 = 2   (w.grad: 0 -> 2)
>>> view = lesson.view(teacher=False)
>>> view["position"], view["total"], view["graph"].startswith("/graph.svg?v=")
(1, 1, True)

Every step taken stays on the page, arithmetic and all (`view["step_texts"]`),
so a student who looks away, reloads or comes in late can open any of them.
The teacher's page also gets the students' link, its QR code and how many
student pages are open (`invite()`, `watching()`).
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping

from engine.checks import described
from engine.graph import PLAIN_NAME, topological_order
from engine.value import Value
from engine.views.stepper import Stepper
from nn.apps.classroom.push import (
    BadRequest,
    Broadcaster,
    ControlError,
    GraphPainter,
    Picture,
)
from nn.apps.classroom.quiz import QuizFull, QuizRound
from nn.apps.classroom.training import TrainingStream

MAX_STEP_LIST = 200  # steps listed on the page (the most recent)
RENDER_SECONDS = 5.0  # the most time one drawing of the graph may take
# The layouts of the graph, as draw()'s options; each page picks one for the
# shape of its screen. "wide" runs left to right (a projector, a laptop);
# "tall" puts the output on top and its inputs below it, in narrow boxes (a
# phone held upright): backprop walks down the screen, and the node of a
# step and the children it updates fit a phone's width at a readable size.
LAYOUTS: dict[str, dict[str, Any]] = {
    "wide": {"direction": "LR"},
    "tall": {"direction": "BT", "stacked": True},
}


class Lesson:
    """The classroom's state. Every method takes the one lock."""

    def __init__(self, render_seconds: float = RENDER_SECONDS) -> None:
        self.lock = threading.RLock()
        self.broadcaster = Broadcaster()
        self.graph_picture = Picture("image/svg+xml")
        self.painter = GraphPainter(self.graph_picture, self.lock, self.publish, render_seconds)
        self.root: Value | None = None
        self.stepper: Stepper | None = None
        self.source = ""
        self.values_text = ""
        self.step_texts: list[str] = []  # the arithmetic of each step taken, in order
        self.stepping_started = False
        self.quiz: QuizRound | None = None
        self.rounds = 0
        self.training = TrainingStream(self.lock, self.publish)
        # A new id each time the server starts: pages drop what they kept of an older lesson.
        self.lesson_id = secrets.token_hex(8)
        self.student_url = ""
        self.student_qr = ""
        self.student_pages = 0
        self.publish()

    # ------------------------------------------------------------------ the graph

    def show_value(self, root: Value, source: str = "", values_text: str = "") -> None:
        """Show `root`'s graph; the page's Next starts backprop on it from scratch.

        Raises ValueError, changing nothing, for a graph too big to draw in time.
        """
        if not isinstance(root, Value):
            raise TypeError(f"show() needs a Value, not {described(root)}")
        picture = self._first_picture(root, None)
        with self.lock:
            self._install(root, Stepper(root), picture, source, values_text)

    def follow_stepper(self, stepper: Stepper) -> None:
        """Show `stepper` where it is now; the page's buttons move it from there."""
        if not isinstance(stepper, Stepper):
            raise TypeError(f"step() needs a Stepper, not {described(stepper)}")
        picture = self._first_picture(stepper.root, stepper)
        with self.lock:
            # Read the steps taken so far through the public API: undo them, then redo them.
            position = stepper.position
            stepper.reset()
            step_texts = []
            for _ in range(position):
                step_texts.append(_step_text(stepper.next()))
            if stepper.root is not self.root:
                self.source, self.values_text = "", ""
            source, values_text = self.source, self.values_text
            self._install(stepper.root, stepper, picture, source, values_text, step_texts)

    def show_formula(self, expression: str, values: Mapping[str, float] | str) -> None:
        """Build the graph of a formula through the safe parser and show it."""
        root, values_text = _build_formula(expression, values)
        picture = self._first_picture(root, None)
        with self.lock:
            self._install(root, Stepper(root), picture, expression, values_text)

    def _first_picture(
        self, root: Value, stepper: Stepper | None
    ) -> tuple[dict[str, str], dict[str, bytes]]:
        """The drawings of a graph about to be shown (DOT and SVG), drawn outside the lock.

        Too big to draw (in Values, or in time): ValueError, before anything changes.
        """
        sources = _drawings(root, stepper)
        try:
            return sources, self.painter.draw_now(sources, _size(root))
        except ValueError as error:
            raise BadRequest(str(error)) from None

    def _install(
        self,
        root: Value,
        stepper: Stepper,
        picture: tuple[dict[str, str], dict[str, bytes]],
        source: str,
        values_text: str,
        step_texts: list[str] | None = None,
    ) -> None:
        """Make `root` the lesson's graph (the caller holds the lock)."""
        self.root, self.stepper = root, stepper
        self.source, self.values_text = source, values_text
        self.step_texts, self.stepping_started = step_texts or [], step_texts is not None
        self.quiz = None
        self.painter.replace(*picture)
        self.publish()

    # ------------------------------------------------------------------ stepping

    def next(self) -> None:
        with self.lock:
            stepper = self._stepper()
            if self.quiz is not None and not self.quiz.revealed:
                self.reveal()
                return
            if stepper.finished:
                raise ControlError("backprop is finished: every step is taken (Back or Reset)")
            self.quiz = None
            self.step_texts.append(_step_text(stepper.next()))
            self._after_step()

    def back(self) -> None:
        with self.lock:
            stepper = self._stepper()
            if self.quiz is not None and not self.quiz.revealed:
                self.quiz = None  # Back while a question is open: take the question back
            elif stepper.position == 0:
                raise ControlError("there is no step to undo: no step has been taken yet")
            else:
                self.quiz = None
                stepper.back()
                self.step_texts.pop()
            self._after_step()

    def run(self) -> None:
        with self.lock:
            stepper = self._stepper()
            self.quiz = None
            while not stepper.finished:
                self.step_texts.append(_step_text(stepper.next()))
            self._after_step()

    def reset(self) -> None:
        with self.lock:
            stepper = self._stepper()
            self.quiz = None
            stepper.reset()
            self.step_texts = []
            self._after_step()

    def start_quiz(self) -> None:
        """Ask the class about the next step (it is taken by Reveal, or Next)."""
        with self.lock:
            stepper = self._stepper()
            try:
                self.rounds += 1
                self.quiz = QuizRound.for_next_step(stepper, self.rounds)
            except ValueError as error:
                raise ControlError(str(error)) from None
            self._after_step()

    def reveal(self) -> None:
        """Take the quizzed step for everyone and show the right answer."""
        with self.lock:
            stepper = self._stepper()
            if self.quiz is None or self.quiz.revealed:
                raise ControlError("there is no open question to reveal: press Quiz first")
            self.step_texts.append(_step_text(stepper.next()))
            self.quiz.revealed = True
            self._after_step()

    def answer(self, student: str, value: float) -> None:
        """A student's answer to the open question (ControlError if there is none)."""
        with self.lock:
            if self.quiz is None or self.quiz.revealed:
                raise ControlError("there is no open question to answer")
            try:
                self.quiz.answer(student, value)
            except QuizFull as error:
                raise ControlError(str(error)) from None
            self.publish()

    def _stepper(self) -> Stepper:
        if self.stepper is None or self.root is None:
            raise ControlError("there is no graph yet: type a formula first")
        if not self.stepping_started:
            # Stepping starts from zero grads, or an earlier backward() would count twice.
            if any(node.grad for node in topological_order(self.root)):
                self.root.zero_grad()
                self.stepper = Stepper(self.root)
            self.stepping_started = True
        return self.stepper

    def _after_step(self) -> None:
        """Publish the step now; its picture is drawn outside the lock and follows."""
        assert self.root is not None and self.stepper is not None
        self.publish()
        asking = self.quiz is not None and not self.quiz.revealed
        self.painter.paint(_drawings(self.root, self.stepper, asking), _size(self.root))

    # ------------------------------------------------------------------ the teacher's requests

    def control(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Do one teacher action from the page; return the teacher's view of the result.

        The view is read under the same hold of the lock as the action, so it
        shows this action's result, never a later request's.
        """
        action = request.get("action")
        if action == "formula":
            expression, values = request.get("expression"), request.get("values", "")
            if not isinstance(expression, str) or not isinstance(values, str):
                raise BadRequest("send the formula and its values as text: 'x*w', 'x=2 w=-3'")
            root, values_text = _build_formula(expression, values)
            picture = self._first_picture(root, None)
            with self.lock:
                self._install(root, Stepper(root), picture, expression, values_text)
                return self.view(teacher=True)
        simple: dict[str, Callable[[], object]] = {
            "next": self.next, "back": self.back, "run": self.run, "reset": self.reset,
            "quiz": self.start_quiz, "reveal": self.reveal, "pause": self.training.pause,
            "resume": self.training.resume, "stop": self.training.stop,
        }  # fmt: skip
        with self.lock:
            if isinstance(action, str) and action in simple:
                simple[action]()
            elif action == "peek":
                return {"quiz": self.peek()}
            elif action == "train":
                self.training.start_demo(request.get("data", "moons"), request.get("steps", 100))
            else:
                actions = ", ".join([*simple, "peek", "formula", "train"])
                raise BadRequest(f"unknown action {str(action)[:40]!r}: use one of {actions}")
            return self.view(teacher=True)

    def peek(self) -> dict[str, Any] | None:
        """The open (or last) question with its answer and spread: the teacher's private look."""
        with self.lock:
            return self.quiz.private() if self.quiz is not None else None

    # ------------------------------------------------------------------ the room

    def invite(self, student_url: str) -> None:
        """Put the students' link, and a QR code of it, on the teacher's page."""
        import segno  # a QR code made here, offline

        with self.lock:
            self.student_url = student_url
            code = segno.make(student_url, error="m")
            self.student_qr = code.svg_data_uri(scale=1, border=2)
            self.publish()

    @contextmanager
    def watching(self, teacher: bool) -> Iterator[None]:
        """While a page's event stream is open: the teacher's page counts the students'."""
        if teacher:
            yield
            return
        with self.lock:
            self.student_pages += 1
            self.publish()
        try:
            yield
        finally:
            with self.lock:
                self.student_pages -= 1
                self.publish()

    # ------------------------------------------------------------------ the views

    def view(self, *, teacher: bool) -> dict[str, Any]:
        """The state as the page shows it (students never see an unrevealed answer)."""
        with self.lock:
            stepper = self.stepper
            last = stepper.last_step if stepper is not None else None
            shown: dict[str, Any] = {
                "teacher": teacher,
                "source": self.source,
                "values": self.values_text,
                "graph": None,  # the wide layout's address
                "graph_tall": None,  # the tall one's (LAYOUTS)
                "position": stepper.position if stepper else 0,
                "total": stepper.total if stepper else 0,
                "current_step": None,
                "lesson": self.lesson_id,
                "steps": [_headline(text) for text in self.step_texts[-MAX_STEP_LIST:]],
                "step_texts": self.step_texts[-MAX_STEP_LIST:],
                "quiz": self.quiz.public(teacher=teacher) if self.quiz else None,
                "training": self.training.view(),
            }
            if teacher:
                shown["room"] = {
                    "student_url": self.student_url,
                    "qr": self.student_qr,
                    "students": self.student_pages,
                }
            if self.root is not None:
                version = self.graph_picture.version
                shown["graph"] = f"/graph.svg?v={version}"
                shown["graph_tall"] = f"/graph.svg?v={version}&layout=tall"
            if last is not None:
                shown["current_step"] = {"number": last.number, "text": last.text(width=sys.maxsize)}
            return shown

    def publish(self) -> None:
        with self.lock:
            teacher = json.dumps(self.view(teacher=True), allow_nan=False).encode()
            students = json.dumps(self.view(teacher=False), allow_nan=False).encode()
            self.broadcaster.publish(teacher, students)

    def close(self) -> None:
        self.training.close()
        self.painter.close()
        self.broadcaster.close()


def _drawings(root: Value, stepper: Stepper | None, asking: bool = False) -> dict[str, str]:
    """The DOT text of the graph in each of the `LAYOUTS`, as the pages draw it:
    with the stepper's place once it has moved, and while a question is open,
    the node of the step it asks about marked (the pages show that node and
    its inputs, which the question and its hint name)."""
    from engine.views.drawing import draw

    if stepper is not None and (stepper.position > 0 or asking):
        return {
            name: stepper.show(asking=asking, **options).source
            for name, options in LAYOUTS.items()
        }
    return {name: draw(root, **options).source for name, options in LAYOUTS.items()}


def _size(root: Value) -> str:
    """How big a graph is, in the words of the "too big to draw" message."""
    return f"{len(topological_order(root))} Values"


def _build_formula(expression: Any, values: Mapping[str, float] | str) -> tuple[Value, str]:
    """The graph of a formula (through the safe parser) and its values as text."""
    from engine.expression import ExpressionError, parse_expression

    if not isinstance(expression, str):
        raise BadRequest("the formula must be text, e.g. tanh(x*w + b)")
    if isinstance(values, str):
        values_text = values
        values = _parse_values(values)
    else:  # every digit (x=2, b=6.881373587019543): the box shown again builds this graph
        values_text = " ".join(
            f"{name}={value}".removesuffix(".0") for name, value in values.items()
        )
    try:
        root = parse_expression(expression).build(values)
    except (ExpressionError, ArithmeticError) as error:
        raise BadRequest(str(error)) from None
    if not PLAIN_NAME.fullmatch(root.label):
        root.label = "out"  # the steps read "out = tanh(...)", not "#7(tanh) = ..."
    return root, values_text


# ---------------------------------------------------------------------- helpers


def _step_text(stepper: Stepper) -> str:
    """The arithmetic of the step just taken, one line per update and never cut:
    the page wraps a long line between its terms, to the width it has."""
    step = stepper.last_step
    assert step is not None
    return step.text(width=sys.maxsize)


def _headline(step_text: str) -> str:
    """The first line of a step's text (the page's list of steps)."""
    return step_text.splitlines()[0]


def _parse_values(text: str) -> dict[str, float]:
    """'x1=2 w1=-3' (spaces or commas between) -> {'x1': 2.0, 'w1': -3.0}."""
    from nn.apps.arguments import CommandLineError, parse_assignments

    try:
        return parse_assignments(text.replace(",", " ").split())
    except CommandLineError as error:
        raise BadRequest(str(error)) from None
