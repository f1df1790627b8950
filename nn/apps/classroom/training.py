"""Training on the page: a `fit()` run streamed live, with Pause, Resume and Stop.

`TrainingStream.callback(model, X, y)` is a `fit()` callback. After each
step it records the loss and accuracy; a few times a second it has the
pages updated, and now and then it redraws the decision boundary and the
curves with `nn.apps.plots` (drawing takes time from training, so it spends at
most a quarter of the run drawing). The teacher's Pause holds the training
loop inside the callback until Resume; Stop makes the callback return True,
which ends `fit()` as any callback can.

The page's Train button runs `start_demo()`: a 2-8-8-1 MLP learning one of
the toy data sets, in a thread of its own.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

from nn.apps.classroom.push import BadRequest, ControlError, Picture
from nn.checks import check_choice, check_count

if TYPE_CHECKING:
    from nn.module import Module
    from nn.train import History

MAX_CURVE_POINTS = 400  # loss/accuracy points sent to pages (longer runs are thinned)
PICTURE_INTERVAL = 0.5  # seconds at least between two drawings of the training plots
VIEW_INTERVAL = 0.2  # seconds between two training updates pushed to the pages
DEMO_DATA = ("moons", "circles", "xor")
MAX_DEMO_STEPS = 1000


@dataclass
class TrainingRun:
    """A `fit()` run as the page shows it: its numbers so far, paused or not."""

    title: str
    steps: int | None
    status: str = "running"  # running, paused, done, stopped, failed
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    message: str = ""

    @property
    def active(self) -> bool:
        return self.status in ("running", "paused")


class TrainingStream:
    """The training panel: the run streaming now (or the last one) and its pictures.

    It shares the lesson's lock, and calls the lesson's `publish` after a change.
    """

    def __init__(self, lock: threading.RLock, publish: Callable[[], None]) -> None:
        self.lock = lock
        self.publish = publish
        self.run: TrainingRun | None = None
        self.boundary = Picture("image/png")
        self.curves = Picture("image/png")
        self.resume_event = threading.Event()
        self.resume_event.set()
        self.stop_requested = False
        self.closed = False

    def callback(
        self,
        model: Module,
        X: Sequence[Sequence[float]],
        y: Sequence[int],
        steps: int | None = None,
        title: str = "",
    ) -> Callable[[int, History], bool | None]:
        """A `fit()` callback that streams the run to the pages."""
        from nn.apps.plots import (  # matplotlib: only when used
            decision_boundary,
            training_curves,
        )

        with self.lock:
            if self.run is not None and self.run.active:
                raise ControlError("a training run is already streaming; wait for it to end")
            run = TrainingRun(title=title or repr(model).splitlines()[0][:80], steps=steps)
            self.run = run
            self.stop_requested = False
            self.resume_event.set()
            self.publish()
        two_features = bool(X) and len(X[0]) == 2
        last_view = next_picture = 0.0

        def stream(step: int, history: History) -> bool | None:
            nonlocal last_view, next_picture
            now = time.monotonic()
            finished = steps is not None and step + 1 >= steps
            if finished or now >= next_picture:
                boundary = b""
                if two_features:
                    boundary = decision_boundary(model, X, y, resolution=25).png(dpi=72)
                curves = training_curves(history).png(dpi=72)
                # Drawing takes time from training: spend at most a quarter of it drawing.
                next_picture = now + max(PICTURE_INTERVAL, 4 * (time.monotonic() - now))
                with self.lock:
                    if boundary:
                        self.boundary.replace(boundary)
                    self.curves.replace(curves)
            with self.lock:
                run.loss, run.accuracy = list(history.loss), list(history.accuracy)
                if finished:
                    run.status = "done"
                paused = not self.resume_event.is_set()
                if finished or paused or now - last_view >= VIEW_INTERVAL:
                    last_view = now
                    self.publish()
            # Pause: hold the training loop here until Resume (or Stop, or the server stops).
            while not self.resume_event.wait(0.2):
                if self.stop_requested or self.closed:
                    break
            if self.stop_requested or self.closed:
                with self.lock:
                    run.status = "stopped"
                    self.publish()
                return True
            return None

        return stream

    def ended(self, message: str = "") -> None:
        """Mark the run finished (a stopped run stays stopped); a message means it failed."""
        with self.lock:
            if self.run is not None:
                if self.run.active:
                    self.run.status = "failed" if message else "done"
                self.run.message = message
                self.publish()

    def pause(self) -> None:
        with self.lock:
            if self.run is None or self.run.status != "running":
                raise ControlError("no training run is running: nothing to pause")
            self.resume_event.clear()
            self.run.status = "paused"
            self.publish()

    def resume(self) -> None:
        with self.lock:
            if self.run is None or self.run.status != "paused":
                raise ControlError("the training is not paused: nothing to resume")
            self.run.status = "running"
            self.resume_event.set()
            self.publish()

    def stop(self) -> None:
        with self.lock:
            if self.run is None or not self.run.active:
                raise ControlError("no training run to stop")
            self.stop_requested = True
            self.resume_event.set()

    def start_demo(self, data: Any, steps: Any) -> threading.Thread:
        """Train a 2-8-8-1 MLP on a toy data set in a thread, streaming to the pages."""
        from nn import MLP, SGD, fit
        from nn import data as datasets
        from nn.data import signed_labels

        try:
            check_choice("data", data, DEMO_DATA)
            check_count("steps", steps, maximum=MAX_DEMO_STEPS)
        except (TypeError, ValueError) as error:
            raise BadRequest(str(error)) from None
        X, labels = getattr(datasets, data)(n=100, seed=0)
        y = signed_labels(labels)
        model = MLP(2, [8, 8, 1], seed=0, fused=True)
        stream = self.callback(model, X, y, steps=steps, title=f"{data}: MLP 2-8-8-1, SGD")

        def train() -> None:
            optimizer = SGD(model.parameters(), lr=0.5)
            try:
                fit(model, X, y, loss="hinge", optimizer=optimizer, steps=steps,
                    callback=stream, progress=False)  # fmt: skip
            except (ArithmeticError, ValueError) as error:
                self.ended(f"training failed: {error}")
                return
            self.ended()

        thread = threading.Thread(target=train, name="stepgrad-training", daemon=True)
        thread.start()
        return thread

    def view(self) -> dict[str, Any] | None:
        """The training panel as JSON (long runs' curves thinned to MAX_CURVE_POINTS)."""
        run = self.run
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
            "boundary": _picture_url("boundary", self.boundary),
            "curves": _picture_url("curves", self.curves),
        }

    def close(self) -> None:
        """Let a paused run go: its next callback returns True and fit() ends."""
        self.closed = True
        self.resume_event.set()


def _picture_url(name: str, picture: Picture) -> str | None:
    return f"/training/{name}.png?v={picture.version}" if picture.version else None


def _finite(number: float) -> float | None:
    """JSON has no nan: a diverged loss (or the nan accuracy of "mse") is sent as null."""
    return number if math.isfinite(number) else None

