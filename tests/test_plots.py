"""Tests for nn/plots.py: figures built headless, PNGs and a GIF written to disk."""

from pathlib import Path

import pytest
from matplotlib.figure import Figure
from PIL import Image

from nn.data import moons, signed_labels, spiral
from nn.layers import MLP
from nn.plots import boundary_animation, decision_boundary, training_curves
from nn.train import History, Snapshots, fit

X, Y = moons(n=30, seed=0)
Y_SIGNED = signed_labels(Y)


def test_decision_boundary_of_a_one_output_model_saves_a_png(tmp_path: Path) -> None:
    figure = decision_boundary(MLP(2, [4, 1], seed=0), X, Y_SIGNED, resolution=12)
    assert isinstance(figure, Figure)
    path = tmp_path / "boundary.png"
    figure.savefig(path)
    assert path.stat().st_size > 1000
    with Image.open(path) as image:
        assert image.format == "PNG"


def test_decision_boundary_of_a_multi_class_model(tmp_path: Path) -> None:
    points, labels = spiral(n=30, classes=3, seed=0)
    figure = decision_boundary(MLP(2, [4, 3], seed=0), points, labels, resolution=12)
    figure.savefig(tmp_path / "spiral.png")
    assert (tmp_path / "spiral.png").stat().st_size > 1000
    legend = figure.axes[0].get_legend()
    assert [text.get_text() for text in legend.get_texts()] == ["0", "1", "2"]


def test_decision_boundary_errors() -> None:
    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="resolution=1"):
        decision_boundary(model, X, Y, resolution=1)
    with pytest.raises(ValueError, match="row 0 has 3 features"):
        decision_boundary(MLP(3, [1], seed=0), [[1.0, 2.0, 3.0]], [0])
    with pytest.raises(ValueError, match="X has 30 rows but y has 2"):
        decision_boundary(model, X, [0, 1], resolution=4)


def test_training_curves(tmp_path: Path) -> None:
    history = fit(MLP(2, [4, 1], seed=0), X, Y_SIGNED, steps=3, progress=False)
    figure = training_curves(history)
    assert [axes.get_title() for axes in figure.axes] == ["loss", "accuracy"]
    figure.savefig(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000
    regression = History(loss=[1.0, 0.5], accuracy=[float("nan")] * 2, learning_rate=[0.1] * 2)
    assert [axes.get_title() for axes in training_curves(regression).axes] == ["loss"]
    with pytest.raises(ValueError, match="empty"):
        training_curves(History())
    with pytest.raises(TypeError, match="needs the History"):
        training_curves([1.0, 0.5])


def test_boundary_animation_writes_a_gif_with_a_frame_per_snapshot(tmp_path: Path) -> None:
    model = MLP(2, [4, 1], seed=0)
    snapshots = Snapshots(model, every=2)
    fit(model, X, Y_SIGNED, steps=6, callback=snapshots, progress=False)
    trained = model.state_dict()
    path = boundary_animation(model, X, Y_SIGNED, snapshots, tmp_path / "learning.gif",
                              resolution=8)
    assert path == tmp_path / "learning.gif"
    with Image.open(path) as image:
        assert image.format == "GIF" and image.n_frames == 4
    assert model.state_dict() == trained  # the model is left as it was
    assert [p.name for p in tmp_path.iterdir()] == ["learning.gif"]  # no temporary file left


def test_boundary_animation_errors_leave_no_file(tmp_path: Path) -> None:
    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="ending in .gif"):
        boundary_animation(model, X, Y, [model.state_dict()], tmp_path / "out.png")
    with pytest.raises(ValueError, match="no snapshots"):
        boundary_animation(model, X, Y, [], tmp_path / "out.gif")
    with pytest.raises(ValueError, match="this model has no parameter|unknown|missing|expected"):
        boundary_animation(model, X, Y, [{"nonsense": 1.0}], tmp_path / "out.gif", resolution=4)
    assert list(tmp_path.iterdir()) == []
