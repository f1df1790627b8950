"""What the class sees: one graph, one stepper position, one quiz round, one training run.

A `Lesson` holds the state of the classroom page and is changed only
through its methods, each under one lock (the server's request threads, the
teacher's REPL and a training thread all call them). After every change
`publish()` builds the two JSON views of the state, one for the teacher and
one for the students, and hands them to the `Broadcaster`, which wakes every
open page (see `nn/classroom/server.py`).

>>> lesson = Lesson()
>>> lesson.show_formula("x * w", "x=2 w=-3")
>>> print(lesson.control({"action": "next"})["current_step"]["text"])
step 1 of 1: out = x * w, out.grad = 1
  x.grad += out.grad * d(out)/d(x) = 1 * -3 = -3   (x.grad: 0 -> -3)
  w.grad += out.grad * d(out)/d(w) = 1 * 2 = 2   (w.grad: 0 -> 2)
>>> view = lesson.view(teacher=False)
>>> view["position"], view["total"], view["graph"]
(1, 1, '/graph.svg?v=2')

Pictures (the graph's SVG, the training plots) are not inside the JSON: the
views name them by version (`/graph.svg?v=3`), so a quiz answer, which
changes only the teacher's counts, sends a few hundred bytes, not a drawing.
"""

from __future__ import annotations

import io
import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from engine.graph import topological_order
from engine.stepper import Stepper
from engine.value import Value
from nn.classroom.quiz import QuizFull, QuizRound

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from nn.module import Module
    from nn.train import History

MAX_STEP_LIST = 200  # steps listed on the page (the most recent)
MAX_CURVE_POINTS = 400  # loss/accuracy points sent to pages (longer runs are thinned)
PICTURE_INTERVAL = 0.5  # seconds at least between two drawings of the training plots
VIEW_INTERVAL = 0.2  # seconds between two training updates pushed to the pages
TRAINING_DATA = ("moons", "circles", "xor")


class ControlError(ValueError):
    """A request that cannot be done now, e.g. Back before any step (HTTP 409)."""


class BadRequest(ControlError):
    """A request that is wrong in itself: a bad formula, an unknown action (HTTP 400)."""


class Broadcaster:
    """The latest view for each role, with a version number pages wait on."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.version = 0
        self._views: dict[bool, bytes] = {True: b"{}", False: b"{}"}
        self.closed = False

    def publish(self, teacher_view: bytes, student_view: bytes) -> None:
        with self._changed:
            self.version += 1
            self._views = {True: teacher_view, False: student_view}
            self._changed.notify_all()

    def latest(self, teacher: bool) -> tuple[int, bytes]:
        with self._changed:
            return self.version, self._views[teacher]

    def wait(self, seen: int, teacher: bool, timeout: float) -> tuple[int, bytes] | None:
        """The view once its version passes `seen`; None on timeout or when closed."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > seen or self.closed, timeout)
            if self.closed or self.version <= seen:
                return None
            return self.version, self._views[teacher]

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


@dataclass
class Picture:
    """The latest bytes of one picture and the version that names them."""

    content_type: str
    data: bytes = b""
    version: int = 0

    def replace(self, data: bytes) -> None:
        self.data = data
        self.version += 1


@dataclass
class TrainingRun:
    """A `fit()` run as the page shows it: its numbers so far, paused or not."""

    title: str
    steps: int | None
    status: str = "running"  # running, paused, done, stopped, failed
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    message: str = ""


class Lesson:
    """The classroom's state. Every method takes the one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.broadcaster = Broadcaster()
        self.graph_picture = Picture("image/svg+xml")
        self.boundary_picture = Picture("image/png")
        self.curves_picture = Picture("image/png")
        self.root: Value | None = None
        self.stepper: Stepper | None = None
        self.source = ""
        self.values_text = ""
        self.headlines: list[str] = []  # first line of each step taken, in order
        self.stepping_started = False
        self.quiz: QuizRound | None = None
        self.rounds = 0
        self.training: TrainingRun | None = None
        self.resume = threading.Event()
        self.resume.set()
        self.stop_training = False
        self.closed = False
        self.publish()

    # ------------------------------------------------------------------ the graph

    def show_value(self, root: Value, source: str = "", values_text: str = "") -> None:
        """Show `root`'s graph; the page's Next starts backprop on it from scratch."""
        if not isinstance(root, Value):
            raise TypeError(f"show() needs a Value, not {type(root).__name__} {root!r}")
        with self.lock:
            svg = self._render(root, None)  # too big to draw: refuse before changing anything
            self.root, self.stepper = root, Stepper(root)
            self.source, self.values_text = source, values_text
            self.headlines, self.stepping_started, self.quiz = [], False, None
            self.graph_picture.replace(svg)
            self.publish()

    def follow_stepper(self, stepper: Stepper) -> None:
        """Show `stepper` where it is now; the page's buttons move it from there."""
        if not isinstance(stepper, Stepper):
            raise TypeError(f"step() needs a Stepper, not {type(stepper).__name__} {stepper!r}")
        with self.lock:
            svg = self._render(stepper.root, stepper)
            # Read the steps taken so far through the public API: undo them, then redo them.
            position = stepper.position
            for _ in range(position):
                stepper.back()
            headlines = []
            for _ in range(position):
                headlines.append(_headline(stepper.next()))
            if stepper.root is not self.root:
                self.source, self.values_text = "", ""
            self.root, self.stepper = stepper.root, stepper
            self.headlines, self.stepping_started, self.quiz = headlines, True, None
            self.graph_picture.replace(svg)
            self.publish()

    def show_formula(self, expression: str, values: Mapping[str, float] | str) -> None:
        """Build the graph of a formula through the safe parser and show it."""
        from engine.expression import ExpressionError, parse_expression

        if not isinstance(expression, str):
            raise BadRequest("the formula must be text, e.g. tanh(x*w + b)")
        if isinstance(values, str):
            values_text = values
            values = _parse_values(values)
        else:
            values_text = " ".join(f"{name}={value:g}" for name, value in values.items())
        try:
            root = parse_expression(expression).build(values)
        except (ExpressionError, ArithmeticError) as error:
            raise BadRequest(str(error)) from None
        if not _is_plain(root.label):
            root.label = "out"  # the steps read "out = tanh(...)", not "#7(tanh) = ..."
        try:
            self.show_value(root, source=expression, values_text=values_text)
        except ValueError as error:  # too big to draw
            raise BadRequest(str(error)) from None

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
            self.headlines.append(_headline(stepper.next()))
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
                self.headlines.pop()
            self._after_step()

    def run(self) -> None:
        with self.lock:
            stepper = self._stepper()
            self.quiz = None
            while not stepper.finished:
                self.headlines.append(_headline(stepper.next()))
            self._after_step()

    def reset(self) -> None:
        with self.lock:
            stepper = self._stepper()
            self.quiz = None
            while stepper.position:
                stepper.back()
            self.headlines = []
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
            self.headlines.append(_headline(stepper.next()))
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
        assert self.root is not None and self.stepper is not None
        self.graph_picture.replace(self._render(self.root, self.stepper))
        self.publish()

    def _render(self, root: Value, stepper: Stepper | None) -> bytes:
        from engine.drawing import draw

        if stepper is not None and stepper.position > 0:
            drawing = stepper.show()
        else:
            drawing = draw(root)
        return drawing.pipe(format="svg")

    # ------------------------------------------------------------------ training

    def training_callback(
        self,
        model: Module,
        X: Sequence[Sequence[float]],
        y: Sequence[int],
        steps: int | None = None,
        title: str = "",
    ) -> Callable[[int, History], bool | None]:
        """A `fit()` callback that streams the run to the page (see `Classroom.training_callback`)."""
        with self.lock:
            if self.training is not None and self.training.status in ("running", "paused"):
                raise ControlError("a training run is already streaming; wait for it to end")
            self.training = TrainingRun(title=title or repr(model).splitlines()[0][:80], steps=steps)
            self.stop_training = False
            self.resume.set()
            self.publish()
        run = self.training
        two_features = bool(X) and len(X[0]) == 2
        last_view = next_picture = 0.0

        def callback(step: int, history: History) -> bool | None:
            nonlocal last_view, next_picture
            now = time.monotonic()
            finished = steps is not None and step + 1 >= steps
            if finished or now >= next_picture:
                boundary = _png(_boundary_figure(model, X, y)) if two_features else b""
                curves = _png(_curves_figure(history))
                # Drawing takes time from training: spend at most a quarter of it drawing.
                drawing_time = time.monotonic() - now
                next_picture = now + max(PICTURE_INTERVAL, 4 * drawing_time)
                with self.lock:
                    if boundary:
                        self.boundary_picture.replace(boundary)
                    self.curves_picture.replace(curves)
            with self.lock:
                run.loss, run.accuracy = list(history.loss), list(history.accuracy)
                if finished:
                    run.status = "done"
                if finished or now - last_view >= VIEW_INTERVAL or not self.resume.is_set():
                    last_view = now
                    self.publish()
            # Pause: hold the training loop here until Resume (or a stop).
            while not self.resume.wait(0.2):
                if self.stop_training or self.closed:
                    break
            if self.stop_training or self.closed:
                with self.lock:
                    run.status = "stopped"
                    self.publish()
                return True
            return None

        return callback

    def training_ended(self, message: str = "") -> None:
        """Mark the current run finished (a stopped or failed run keeps its status)."""
        with self.lock:
            if self.training is not None:
                if self.training.status in ("running", "paused"):
                    self.training.status = "failed" if message else "done"
                self.training.message = message
                self.publish()

    def pause(self) -> None:
        with self.lock:
            if self.training is None or self.training.status != "running":
                raise ControlError("no training run is running: nothing to pause")
            self.resume.clear()
            self.training.status = "paused"
            self.publish()

    def resume_training(self) -> None:
        with self.lock:
            if self.training is None or self.training.status != "paused":
                raise ControlError("the training is not paused: nothing to resume")
            self.training.status = "running"
            self.resume.set()
            self.publish()

    def stop(self) -> None:
        with self.lock:
            if self.training is None or self.training.status not in ("running", "paused"):
                raise ControlError("no training run to stop")
            self.stop_training = True
            self.resume.set()

    def start_demo_training(self, data: str, steps: int) -> threading.Thread:
        """Train a small MLP on a toy data set in a thread, streaming to the page."""
        from nn import MLP, SGD, fit
        from nn import data as datasets
        from nn.data import signed_labels

        if data not in TRAINING_DATA:
            raise BadRequest(f"unknown data {data!r}: choose one of {', '.join(TRAINING_DATA)}")
        if isinstance(steps, bool) or not isinstance(steps, int) or not 0 < steps <= 1000:
            raise BadRequest(f"steps={steps!r}: choose a whole number from 1 to 1000")
        X, labels = getattr(datasets, data)(n=100, seed=0)
        y = signed_labels(labels)
        model = MLP(2, [8, 8, 1], seed=0, fused=True)
        callback = self.training_callback(
            model, X, y, steps=steps, title=f"{data}: MLP 2-8-8-1, hinge loss, SGD"
        )

        def train() -> None:
            try:
                fit(model, X, y, loss="hinge", steps=steps, callback=callback, progress=False,
                    optimizer=SGD(model.parameters(), lr=0.5))
            except (ArithmeticError, ValueError) as error:
                self.training_ended(f"training failed: {error}")
                return
            self.training_ended()

        thread = threading.Thread(target=train, name="stepgrad-training", daemon=True)
        thread.start()
        return thread

    # ------------------------------------------------------------------ the teacher's requests

    def control(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Do one teacher action from the page; return the teacher's view of the result."""
        action = request.get("action")
        simple: dict[str, Callable[[], object]] = {
            "next": self.next, "back": self.back, "run": self.run, "reset": self.reset,
            "quiz": self.start_quiz, "reveal": self.reveal, "pause": self.pause,
            "resume": self.resume_training, "stop": self.stop,
        }  # fmt: skip
        if action in simple:
            simple[action]()
        elif action == "formula":
            expression, values = request.get("expression"), request.get("values", "")
            if not isinstance(expression, str) or not isinstance(values, str):
                raise BadRequest("send the formula and its values as text: 'x*w', 'x=2 w=-3'")
            self.show_formula(expression, values)
        elif action == "train":
            self.start_demo_training(request.get("data", "moons"), request.get("steps", 100))
        else:
            actions = ", ".join([*simple, "formula", "train"])
            raise BadRequest(f"unknown action {action!r}: use one of {actions}")
        return self.view(teacher=True)

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
                "graph": None,
                "position": stepper.position if stepper else 0,
                "total": stepper.total if stepper else 0,
                "current_step": None,
                "steps": self.headlines[-MAX_STEP_LIST:],
                "quiz": self.quiz.public(teacher=teacher) if self.quiz else None,
                "training": self._training_view(),
            }
            if self.root is not None:
                shown["graph"] = f"/graph.svg?v={self.graph_picture.version}"
            if last is not None:
                shown["current_step"] = {"number": last.number, "text": str(last)}
            return shown

    def _training_view(self) -> dict[str, Any] | None:
        run = self.training
        if run is None:
            return None
        thin = max(1, math.ceil(len(run.loss) / MAX_CURVE_POINTS))
        return {
            "title": run.title,
            "status": run.status,
            "step": len(run.loss),
            "steps": run.steps,
            "loss": [_finite(v) for v in run.loss[::thin]],
            "accuracy": [_finite(v) for v in run.accuracy[::thin]],
            "message": run.message,
            "boundary": f"/training/boundary.png?v={self.boundary_picture.version}"
            if self.boundary_picture.version
            else None,
            "curves": f"/training/curves.png?v={self.curves_picture.version}"
            if self.curves_picture.version
            else None,
        }

    def publish(self) -> None:
        with self.lock:
            teacher = json.dumps(self.view(teacher=True), allow_nan=False).encode()
            students = json.dumps(self.view(teacher=False), allow_nan=False).encode()
            self.broadcaster.publish(teacher, students)

    def close(self) -> None:
        self.closed = True
        self.resume.set()
        self.broadcaster.close()


# ---------------------------------------------------------------------- helpers


def _headline(stepper: Stepper) -> str:
    step = stepper.last_step
    assert step is not None
    return str(step).splitlines()[0]


def _is_plain(label: str) -> bool:
    from engine.stepper import PLAIN_NAME

    return bool(PLAIN_NAME.fullmatch(label))


def _parse_values(text: str) -> dict[str, float]:
    """'x1=2 w1=-3' (spaces or commas between) -> {'x1': 2.0, 'w1': -3.0}."""
    from nn.cli import CommandLineError, parse_assignments

    try:
        return parse_assignments(text.replace(",", " ").split())
    except CommandLineError as error:
        raise BadRequest(str(error)) from None


def _finite(number: float) -> float | None:
    return number if math.isfinite(number) else None


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=72)
    return buffer.getvalue()


def _boundary_figure(model: Module, X: Sequence[Sequence[float]], y: Sequence[int]) -> Figure:
    from nn.plots import decision_boundary

    return decision_boundary(model, X, y, resolution=25)


def _curves_figure(history: History) -> Figure:
    from nn.plots import training_curves

    return training_curves(history)

