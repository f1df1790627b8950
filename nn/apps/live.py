"""Watch a network learn, live in Jupyter: the decision boundary and the curves.

Two ways, both drawing `nn.apps.plots.decision_boundary` and
`nn.apps.plots.training_curves` again every few steps, in place:

- `fit_live(model, X, y)` trains with `nn.fit` (and takes its arguments)
  and, in a notebook, keeps one picture of the boundary and one of the
  curves up to date (about 20 redraws per run; `every=5` redraws every 5
  steps). It returns the History when training ends. While the cell runs, the kernel is busy training, so
  it cannot hear a button: stop it with the notebook's interrupt button.
- `LiveTraining(model, X, y, ...)` (needs ipywidgets: `pip install ipywidgets`)
  is the playground: displayed in a notebook, it shows the same pictures
  with Start and Stop buttons. Training runs in a background thread, so the
  cell finishes at once and the kernel is free to hear Stop; Start again
  goes on from where it stopped. Read `live.history` when it is done
  (`live.wait()` waits for the end).

Outside a notebook there is nothing to redraw: `fit_live` raises an error
saying so before training starts (plot afterwards with
`training_curves(history)` and `decision_boundary(model, X, y)`).

>>> from nn.data import moons, signed_labels
>>> from nn.layers import MLP
>>> X, y = moons(n=20, seed=0)
>>> model = MLP(2, [4, 1], seed=0)
>>> fit_live(model, X, signed_labels(y), steps=5)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
RuntimeError: fit_live() redraws its pictures in a Jupyter notebook, ...
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

from nn.apps.plots import decision_boundary, training_curves
from nn.checks import check_count
from nn.module import Module
from nn.train import Callback, History, fit

# Redraws per training run when every=True: enough to watch, few enough to stay quick.
REDRAWS = 20
# Grid points per axis of the live boundary (one forward pass each): coarser than
# decision_boundary's default, so that a redraw takes a fraction of a second.
LIVE_RESOLUTION = 25


def redraw_every(every: bool | int, steps: int) -> int:
    """How many steps between redraws: `every=True` means about 20 redraws per run.

    >>> redraw_every(True, 100), redraw_every(True, 7), redraw_every(5, 100)
    (5, 1, 5)
    """
    if every is True:
        return max(1, steps // REDRAWS)
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(
            f"every={every!r}: use every=True (about {REDRAWS} redraws) "
            "or a whole number n >= 1 (a redraw every n steps)"
        )
    return every


def progress_text(history: History, total: int) -> str:
    """A playground's status line: where the run is, and its last loss and accuracy.

    >>> progress_text(History(loss=[0.9, 0.25], accuracy=[0.5, 0.95]), 100)
    'step 2 of 100: loss 0.2500, accuracy 95%'
    >>> progress_text(History(loss=[0.5], accuracy=[float("nan")]), 10)
    'step 1 of 10: loss 0.5000'
    """
    text = f"step {history.steps} of {total}"
    if history.steps:
        text += f": loss {history.loss[-1]:.4f}"
        accuracy = history.accuracy[-1]
        if accuracy == accuracy:  # not nan (mse has no accuracy)
            text += f", accuracy {accuracy:.0%}"
    return text


def fit_live(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    *,
    steps: int = 100,
    every: bool | int = True,
    callback: Callback | None = None,
    **fit_options: Any,
) -> History:
    """`fit(model, X, y, ...)`, redrawing the boundary and the curves in place as it trains.

    Takes `fit()`'s arguments; `every=True` redraws about 20 times per run,
    `every=n` every n steps. Only in a Jupyter notebook (elsewhere it says
    so before training). Returns fit's History.
    """
    steps = check_count("steps", steps)
    view = LiveView(model, X, y, steps=steps, every=every, then=callback)
    return fit(model, X, y, steps=steps, callback=view, **fit_options)


class _Pictures:
    """The two live pictures, as PNG bytes: the boundary, and the curves so far."""

    def __init__(
        self,
        model: Module,
        X: Sequence[Sequence[float]],
        y: Sequence[Any],
        total: int,
        resolution: int,
    ) -> None:
        self.model, self.X, self.y = model, X, y
        self.total = total
        self.resolution = resolution

    def draw(self, history: History) -> tuple[bytes, bytes | None]:
        title = f"after {history.steps} of {self.total} steps"
        boundary = decision_boundary(
            self.model, self.X, self.y, resolution=self.resolution, title=title
        )
        curves = training_curves(history) if history.steps else None
        return boundary.png(), (curves.png() if curves is not None else None)


class LiveView:
    """A `fit()` callback that redraws the pictures in place every `every` steps.

    `fit_live()` makes one; `then` is the callback given to it,
    called first (if it returns True, training stops after a last redraw).
    """

    def __init__(
        self,
        model: Module,
        X: Sequence[Sequence[float]],
        y: Sequence[Any],
        *,
        steps: int,
        every: bool | int = True,
        then: Callback | None = None,
        resolution: int = LIVE_RESOLUTION,
    ) -> None:
        from engine.views.notebook import running_in_kernel

        self.every = redraw_every(every, steps)
        if not running_in_kernel():
            raise RuntimeError(
                "fit_live() redraws its pictures in a Jupyter notebook, and this is "
                "not one: train with nn.fit() here, and draw afterwards with "
                "nn.apps.plots.training_curves(history) and decision_boundary(model, X, y)"
            )
        self.then = then
        self.pictures = _Pictures(model, X, y, steps, resolution)
        self.total = steps
        self._boundary_id: str | None = None
        self._curves_id: str | None = None

    def __call__(self, step: int, history: History) -> bool | None:
        answer = self.then(step, history) if self.then is not None else None
        done = step + 1 == self.total or bool(answer)  # fit() stops on any true answer
        if (step + 1) % self.every == 0 or done:
            self.redraw(history)
        return answer

    def redraw(self, history: History) -> None:
        """Show the pictures (the first time) or update them in place."""
        from IPython.display import display, update_display

        boundary, curves = self.pictures.draw(history)
        outputs = [(boundary, "_boundary_id", "decision boundary")]
        if curves is not None:
            outputs.append((curves, "_curves_id", "training curves"))
        for png, slot, name in outputs:
            bundle = {"image/png": png, "text/plain": f"<{name}, {history!r}>"}
            shown = getattr(self, slot)
            if shown is None:
                handle = display(bundle, raw=True, display_id=True)
                setattr(self, slot, getattr(handle, "display_id", None))
            else:
                update_display(bundle, raw=True, display_id=shown)


class LiveTraining:
    """The playground: training in a background thread, with Start and Stop buttons.

    `LiveTraining(model, X, y, steps=300, loss="hinge", ...)` takes the
    arguments of `fit()` (not `callback` or `progress`). Displayed in
    a notebook it shows the boundary, the curves, a status line, and Start
    and Stop buttons. `start()` and `stop()` do what the buttons do; after a
    Stop, or the end, Start trains the same model `steps` steps more, and the
    curves go on. `wait()` waits for the end and returns the History of every
    step so far; `history` is None until a run ends and `error` holds the
    exception if training failed (e.g. diverged).
    Needs ipywidgets (`pip install ipywidgets`).
    """

    def __init__(
        self,
        model: Module,
        X: Sequence[Sequence[float]],
        y: Sequence[Any],
        *,
        steps: int = 100,
        every: bool | int = True,
        resolution: int = LIVE_RESOLUTION,
        **fit_options: Any,
    ) -> None:
        try:
            import ipywidgets as widgets
        except ImportError:
            raise ImportError(
                "LiveTraining's buttons need ipywidgets: pip install ipywidgets; "
                "without it, use fit_live(model, X, y, ...)"
            ) from None
        for refused in ("callback", "progress"):
            if refused in fit_options:
                raise TypeError(f"LiveTraining runs fit() itself: leave out {refused}=")
        self.model, self.X, self.y = model, X, y
        self.steps = check_count("steps", steps)
        self.every = redraw_every(every, steps)
        self.fit_options = fit_options
        self.pictures = _Pictures(model, X, y, steps, resolution)
        self.history: History | None = None
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._earlier = History()  # the steps of the runs before this one

        fit_width = widgets.Layout(max_width="100%", height="auto")  # shrink, never cut
        self.boundary = widgets.Image(format="png", layout=fit_width)
        # No curves before the first step: hidden, not an empty (broken) image.
        self.curves = widgets.Image(
            format="png", layout=widgets.Layout(max_width="100%", height="auto", display="none")
        )
        self.status = widgets.Label(value=f"ready: press Start to train for {steps} steps")
        self.start_button = widgets.Button(description="Start", button_style="success")
        self.stop_button = widgets.Button(description="Stop", button_style="danger")
        self.stop_button.disabled = True
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.start_button, self.stop_button, self.status]),
                # Side by side where there is room, else the curves go below.
                widgets.HBox(
                    [self.boundary, self.curves], layout=widgets.Layout(flex_flow="row wrap")
                ),
            ]
        )
        self.widget.add_class("stepgrad-live-training")
        self._show(History())

    @property
    def running(self) -> bool:
        """Whether a run is training now."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> LiveTraining:
        """Train `steps` steps in a background thread (the cell, and the kernel, stay
        free); after a Stop or the end, the same model goes on from where it is."""
        if self.running:
            raise RuntimeError("this LiveTraining is training now: press Stop first")
        self._earlier = self.history or History()
        self.pictures.total = self._earlier.steps + self.steps
        self._stop.clear()
        self._thread = threading.Thread(target=self._train, daemon=True)
        self.start_button.disabled = True
        self.stop_button.disabled = False
        self.status.value = "training..."
        self._thread.start()
        return self

    def stop(self) -> LiveTraining:
        """Ask the training to stop after the step it is in."""
        self._stop.set()
        return self

    def wait(self, timeout: float | None = None) -> History | None:
        """Wait until training ends (at most `timeout` seconds); return the History."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.history

    def _so_far(self, history: History) -> History:
        """This run's steps after those of the earlier runs: one set of curves."""
        earlier = self._earlier
        return History(
            loss=earlier.loss + history.loss,
            accuracy=earlier.accuracy + history.accuracy,
            learning_rate=earlier.learning_rate + history.learning_rate,
            stopped_early=history.stopped_early,
        )

    def _train(self) -> None:
        def watch(step: int, history: History) -> bool | None:
            stop = self._stop.is_set()
            done = step + 1 == self.steps or stop  # the last step: draw it, as LiveView does
            if (step + 1) % self.every == 0 or done:
                self._show(self._so_far(history))
            return True if stop else None

        try:
            history = fit(
                self.model, self.X, self.y, steps=self.steps, callback=watch,
                progress=False, **self.fit_options,
            )  # fmt: skip
            self.history = self._so_far(history)
            ended = "stopped at" if history.stopped_early else "done:"
            self.status.value = f"{ended} {progress_text(self.history, self.pictures.total)}"
        except Exception as error:  # shown in the widget; the thread has no caller
            self.error = error
            self.status.value = f"training failed: {error}"
        finally:
            # Start again goes on training the same model from where it is.
            self.start_button.description = "Continue"
            self.start_button.disabled = False
            self.stop_button.disabled = True

    def _show(self, history: History) -> None:
        boundary, curves = self.pictures.draw(history)
        self.boundary.value = boundary
        if curves is not None:
            self.curves.value = curves
            self.curves.layout.display = None  # shown from the first step on
            self.status.value = progress_text(history, self.pictures.total)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        if self._thread is None:
            state = "not started"
        elif self.running:
            state = "running"
        else:
            state = repr(self.history)
        return f"LiveTraining(steps={self.steps}, {state})"
