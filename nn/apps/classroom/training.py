"""Training on the page: a `fit()` run streamed live, with Pause, Resume and Stop.

`TrainingStream.callback(model, X, y)` is a `fit()` callback. After each
step it records the loss and accuracy, and a few times a second it has the
pages updated: the pages draw the curves themselves from these numbers (an
SVG, sharp at any size). For two features it also sends the decision
boundary as numbers: which class the model picks at each point of a grid
over the data, with the step it was computed at, at least twice a second
(it takes at most a quarter of the run's time: a forward pass per grid
point). The teacher's Pause holds the training loop inside the callback
until Resume: the step the page shows when paused is the step the model is
at, boundary included. Stop makes the callback return True, which ends
`fit()` as any callback can.

The page's Train button runs `start_demo()`: a 2-8-8-1 MLP learning one of
the toy data sets, in a thread of its own.

>>> from nn import MLP
>>> model = MLP(2, [4, 1], seed=0)
>>> grid = boundary_grid(model, [[0.0, 0.0], [1.0, 1.0]], [-1, 1], size=3)
>>> grid["x"], grid["size"], len(grid["picks"]), grid["points"]
([-0.5, 1.5], 3, 9, [[0.0, 0.0, 0], [1.0, 1.0, 1]])
>>> set(grid["picks"]) <= {"0", "1"}
True
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

from nn.apps.classroom.push import BadRequest, ControlError
from nn.checks import check_choice, check_count

if TYPE_CHECKING:
    from nn.module import Module
    from nn.train import History

MAX_CURVE_POINTS = 200  # loss/accuracy points sent to pages (longer runs are thinned)
BOUNDARY_INTERVAL = 0.4  # seconds at most between two boundaries (when it costs little)
BOUNDARY_SIZE = 30  # grid points along each axis of the boundary
BOUNDARY_PADDING = 0.5  # the grid spans the data plus this much on every side
VIEW_INTERVAL = 0.1  # seconds between two training updates pushed to the pages
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
    boundary: dict[str, Any] | None = None  # boundary_grid(), with the step it shows

    @property
    def active(self) -> bool:
        return self.status in ("running", "paused")


def boundary_grid(
    model: Module, X: Sequence[Sequence[float]], y: Sequence[int], size: int = BOUNDARY_SIZE
) -> dict[str, Any]:
    """The decision boundary as numbers a page can draw: the class the model
    picks at each point of a `size` x `size` grid over the data (one digit
    per point, row by row from the lowest y), and the data points with their
    class.

    One output is a score (> 0 picks class 1, as labels +1 or 1; else class
    0); several outputs pick the largest (labels 0, 1, ...).
    """
    bounds = []
    for column in range(2):
        low = min(row[column] for row in X) - BOUNDARY_PADDING
        high = max(row[column] for row in X) + BOUNDARY_PADDING
        bounds.append([round(low, 3), round(high, 3)])
    (x_low, x_high), (y_low, y_high) = bounds
    picks = []  # a string of digits: a few hundred bytes, sent several times a second
    for row in range(size):
        for column in range(size):
            point = [
                x_low + (x_high - x_low) * column / (size - 1),
                y_low + (y_high - y_low) * row / (size - 1),
            ]
            picks.append(str(min(_picked_class(model(point)), 9)))  # one digit each
    one_score = not isinstance(model([X[0][0], X[0][1]]), list)
    points = [
        [round(row[0], 3), round(row[1], 3), (1 if label > 0 else 0) if one_score else int(label)]
        for row, label in zip(X, y)
    ]
    return {"x": bounds[0], "y": bounds[1], "size": size, "picks": "".join(picks), "points": points}


def _picked_class(output: Any) -> int:
    """The class a model's output picks: one score by its sign, several by the largest."""
    if isinstance(output, list):
        numbers = [value.data for value in output]
        return numbers.index(max(numbers))
    return 1 if output.data > 0 else 0


class TrainingStream:
    """The training panel: the run streaming now (or the last one).

    It shares the lesson's lock, and calls the lesson's `publish` after a change.
    """

    def __init__(self, lock: threading.RLock, publish: Callable[[], None]) -> None:
        self.lock = lock
        self.publish = publish
        self.run: TrainingRun | None = None
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
        with self.lock:
            if self.run is not None and self.run.active:
                raise ControlError("a training run is already streaming; wait for it to end")
            run = TrainingRun(title=title or repr(model).splitlines()[0][:80], steps=steps)
            self.run = run
            self.stop_requested = False
            self.resume_event.set()
            self.publish()
        two_features = bool(X) and len(X[0]) == 2
        last_view = next_boundary = 0.0

        def stream(step: int, history: History) -> bool | None:
            nonlocal last_view, next_boundary
            now = time.monotonic()
            finished = steps is not None and step + 1 >= steps
            boundary = None
            if two_features and (finished or now >= next_boundary):
                boundary = boundary_grid(model, X, y)
                boundary["step"] = len(history.loss)
                # Drawing takes time from training: spend at most a quarter of it drawing.
                next_boundary = now + max(BOUNDARY_INTERVAL, 4 * (time.monotonic() - now))
            with self.lock:
                run.loss, run.accuracy = list(history.loss), list(history.accuracy)
                if boundary is not None:
                    run.boundary = boundary
                if finished:
                    run.status = "done"
                if finished or now - last_view >= VIEW_INTERVAL:
                    last_view = now
                    self.publish()
            # Pause: hold the training loop here until Resume (or Stop, or the server stops).
            while not (finished or self.resume_event.is_set() or self.stop_requested
                       or self.closed):  # fmt: skip
                if run.status != "paused":
                    hold(history)
                self.resume_event.wait(0.2)
            if self.stop_requested or self.closed:
                with self.lock:
                    run.status = "stopped"
                    self.publish()
                return True
            return None

        def hold(history: History) -> None:
            """Paused after this step: the pages show it, its boundary included."""
            drawn = run.boundary is not None and run.boundary["step"] == len(history.loss)
            boundary = boundary_grid(model, X, y) if two_features and not drawn else None
            with self.lock:
                if boundary is not None:
                    boundary["step"] = len(history.loss)
                    run.boundary = boundary
                if not self.resume_event.is_set():  # not resumed meanwhile
                    run.status = "paused"
                self.publish()

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
        """Hold the run after the step it is taking: the callback says "paused" then."""
        with self.lock:
            if self.run is None or self.run.status != "running":
                raise ControlError("no training run is running: nothing to pause")
            self.resume_event.clear()

    def resume(self) -> None:
        with self.lock:
            pausing = self.run is not None and self.run.active and not self.resume_event.is_set()
            if self.run is None or not pausing:
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
            "boundary": run.boundary,
        }

    def close(self) -> None:
        """Let a paused run go: its next callback returns True and fit() ends."""
        self.closed = True
        self.resume_event.set()


def _finite(number: float) -> float | None:
    """JSON has no nan: a diverged loss (or the nan accuracy of "mse") is sent as
    null. Four digits are plenty for a curve and keep the updates small."""
    return float(f"{number:.4g}") if math.isfinite(number) else None

