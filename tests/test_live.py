"""Live training: fit_live() redraws in place in Jupyter; LiveTraining has Start and Stop."""

from __future__ import annotations

from typing import Any

import pytest

from nn.apps.live import fit_live
from nn.data import moons, signed_labels
from nn.layers import MLP

X, Y = moons(n=20, seed=0)
Y = signed_labels(Y)


def test_live_outside_a_notebook_says_what_it_needs_before_training() -> None:
    model = MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(RuntimeError, match="Jupyter notebook.*training_curves"):
        fit_live(model, X, Y, steps=5, progress=False)
    assert model.state_dict() == before  # refused before the first step


@pytest.mark.parametrize("every", [0, -2, 1.5, "yes"])
def test_every_must_be_true_or_a_number_of_steps(every: Any) -> None:
    with pytest.raises(ValueError, match=f"every={every!r}"):
        fit_live(MLP(2, [1], seed=0), X, Y, steps=5, every=every, progress=False)


class FakeNotebook:
    """Stands in for IPython's display(): records what would be shown and updated."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import IPython.display

        import engine.views.notebook

        self.events: list[tuple[str, str]] = []
        monkeypatch.setattr(engine.views.notebook, "running_in_kernel", lambda: True)
        monkeypatch.setattr(IPython.display, "display", self.display)
        monkeypatch.setattr(IPython.display, "update_display", self.update)

    def display(self, bundle: dict, raw: bool, display_id: bool) -> Any:
        assert raw and display_id is True and bundle["image/png"][:4] == b"\x89PNG"
        self.events.append(("show", bundle["text/plain"]))
        return type("Handle", (), {"display_id": f"id{len(self.events)}"})()

    def update(self, bundle: dict, raw: bool, display_id: str) -> None:
        assert bundle["image/png"][:4] == b"\x89PNG"
        self.events.append((f"update {display_id}", bundle["text/plain"]))


def test_live_shows_two_pictures_once_then_updates_them(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("IPython")
    notebook = FakeNotebook(monkeypatch)
    history = fit_live(MLP(2, [4, 1], seed=0), X, Y, steps=10, every=5, progress=False)
    assert history.steps == 10
    assert [event for event, _ in notebook.events] == [
        "show", "show", "update id1", "update id2"  # after step 5, then after step 10
    ]
    assert "History(steps=10" in notebook.events[-1][1]


def test_live_keeps_the_callback_and_draws_where_it_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("IPython")
    notebook = FakeNotebook(monkeypatch)
    history = fit_live(
        MLP(2, [4, 1], seed=0), X, Y, steps=50, progress=False,
        callback=lambda step, history: step == 2 or None,
    )
    assert history.steps == 3 and history.stopped_early
    assert "History(steps=3" in notebook.events[-1][1]  # the last picture is the last step


def test_the_playground_trains_in_the_background_and_stops() -> None:
    pytest.importorskip("ipywidgets")
    from nn.apps.live import LiveTraining

    finished = LiveTraining(MLP(2, [4, 1], seed=0), X, Y, steps=6, every=3)
    assert finished.wait() is None  # not started
    # Before Start: the boundary of the untrained model, and no curves (not a broken image).
    assert finished.boundary.value[:4] == b"\x89PNG"
    assert finished.curves.value == b"" and finished.curves.layout.display == "none"
    history = finished.start().wait(timeout=60)
    assert history is not None and history.steps == 6 and not history.stopped_early
    assert finished.boundary.value[:4] == b"\x89PNG" and finished.curves.value[:4] == b"\x89PNG"
    assert finished.curves.layout.display is None
    # The status is for people: where the run is, its loss and accuracy (not a repr).
    assert finished.status.value.startswith("done: step 6 of 6: loss ")
    assert "accuracy" in finished.status.value and "History(" not in finished.status.value

    stopped = LiveTraining(MLP(2, [4, 1], seed=0), X, Y, steps=100_000, every=1000)
    stopped.start()
    with pytest.raises(RuntimeError, match="press Stop first"):
        stopped.start()
    history = stopped.stop().wait(timeout=60)
    assert history is not None and history.stopped_early and history.steps < 100_000
    assert stopped.status.value.startswith(f"stopped at step {history.steps} of 100000")
    # After Stop, Start is there again, and goes on from where training stopped.
    assert not stopped.start_button.disabled and stopped.stop_button.disabled
    assert stopped.start_button.description == "Continue"
    stopped.start_button.click()
    assert stopped.start_button.disabled and not stopped.stop_button.disabled
    more = stopped.stop().wait(timeout=60)
    assert more is not None and more.steps > history.steps
    assert more.loss[: history.steps] == history.loss  # one set of curves, continued


def test_the_playground_runs_fit_itself() -> None:
    pytest.importorskip("ipywidgets")
    from nn.apps.live import LiveTraining

    with pytest.raises(TypeError, match="leave out callback="):
        LiveTraining(MLP(2, [1], seed=0), X, Y, callback=print)


def test_the_playground_without_ipywidgets_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from nn.apps.live import LiveTraining

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install ipywidgets; without it, use fit"):
        LiveTraining(MLP(2, [1], seed=0), X, Y)
