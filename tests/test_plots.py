"""Tests for nn/apps/plots.py: figures built headless, PNGs and a GIF written to disk."""

import io
from pathlib import Path

import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from PIL import Image

from nn.apps.plots import (
    CLASS_COLOURS,
    boundary_animation,
    decision_boundary,
    training_curves,
)
from nn.data import moons, signed_labels, spiral
from nn.layers import MLP
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
    figure = training_curves(history, loss="hinge")
    assert [axes.get_title() for axes in figure.axes] == [
        "hinge loss (training data)",  # the loss, and the split it was measured on
        "accuracy (training data)",
    ]
    assert [axes.get_xlabel() for axes in figure.axes] == ["training step"] * 2
    assert [axes.get_ylabel() for axes in figure.axes] == ["hinge loss", "fraction right"]
    figure.savefig(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000
    regression = History(loss=[1.0, 0.5], accuracy=[float("nan")] * 2, learning_rate=[0.1] * 2)
    assert [axes.get_title() for axes in training_curves(regression).axes] == [
        "loss (training data)"
    ]
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
        assert image.size == (500, 450)  # 100 dpi: big enough to project
    assert model.state_dict() == trained  # the model is left as it was
    assert [p.name for p in tmp_path.iterdir()] == ["learning.gif"]  # no temporary file left


def test_boundary_animation_errors_leave_no_file(tmp_path: Path) -> None:
    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match=r"\.gif file, not .*\.png"):
        boundary_animation(model, X, Y, [model.state_dict()], tmp_path / "out.png")
    with pytest.raises(ValueError, match="no snapshots"):
        boundary_animation(model, X, Y, [], tmp_path / "out.gif")
    with pytest.raises(ValueError) as caught:
        boundary_animation(model, X, Y, [{"nonsense": 1.0}], tmp_path / "out.gif", resolution=4)
    # the message names the key that does not belong and the ones the model needs
    assert "'nonsense'" in str(caught.value)
    assert "layers.0.neurons.0.b" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_every_figure_is_readable_on_a_projector(tmp_path: Path) -> None:
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, Y_SIGNED, steps=2, progress=False)
    for figure in (decision_boundary(model, X, Y_SIGNED, resolution=8), training_curves(history)):
        assert figure.dpi >= 100
        for axes in figure.axes:
            assert axes.get_title() and axes.get_xlabel() and axes.get_ylabel()
            assert axes.title.get_fontsize() >= 14
            assert axes.xaxis.label.get_fontsize() >= 12
            assert all(tick.get_fontsize() >= 12 for tick in axes.get_xticklabels())
    boundary = decision_boundary(model, X, Y_SIGNED, resolution=8)
    assert (boundary.axes[0].get_xlabel(), boundary.axes[0].get_ylabel()) == ("x.0", "x.1")
    bigger = decision_boundary(model, X, Y_SIGNED, resolution=8, scale=1.5)
    assert bigger.axes[0].title.get_fontsize() == pytest.approx(1.5 * 14)
    with pytest.raises(ValueError, match="scale=0"):
        training_curves(history, scale=0)


def region_colours(figure: Figure) -> set[tuple[int, int, int]]:
    """The colours inside the axes of a rendered figure, tallied by pixel."""
    picture_bytes = io.BytesIO()
    figure.savefig(picture_bytes, format="png", dpi=100)
    with Image.open(picture_bytes) as picture:
        rgb = picture.convert("RGB")
        counts = rgb.getcolors(maxcolors=1_000_000)
    return {colour for count, colour in counts if count > 200}


def test_class_regions_meet_with_no_strip_of_a_third_colour() -> None:
    # Three classes whose regions meet: class 0 | class 2 must not show a
    # line of class 1's tint between them (contourf of class numbers did).
    class ThreeWay(MLP):
        def __call__(self, x):  # type: ignore[override]
            from engine import Value

            return [Value(-x[0]), Value(0.0 * x[0] - 5.0), Value(x[0])]

    model = ThreeWay(2, [3], seed=0)
    points = [[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    figure = decision_boundary(model, points, [0, 2, 1], resolution=21)
    class_one_tint = tuple(
        round(255 * (0.3 * channel + 0.7)) for channel in to_rgb(CLASS_COLOURS[1])
    )
    nearby = [
        colour for colour in region_colours(figure)
        if sum(abs(a - b) for a, b in zip(colour, class_one_tint)) < 12
    ]
    assert nearby == []


def test_a_figure_displays_as_png_in_ipython_without_any_magic() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    figure = decision_boundary(MLP(2, [4, 1], seed=0), X, Y_SIGNED, resolution=8)
    data, _ = shell.display_formatter.format(figure)
    assert data["image/png"][:4] == b"\x89PNG"
    history = History(loss=[1.0, 0.5], accuracy=[0.5, 1.0], learning_rate=[0.1] * 2)
    curves = training_curves(history)
    data, _ = shell.display_formatter.format(curves)
    assert "image/png" in data


# ---------------------------------------------------------------------- which colour goes where


def set_parameters(model: MLP, numbers: dict[str, float]) -> MLP:
    """Give the named parameters of `model` these numbers (the rest stay)."""
    parameters = dict(model.named_parameters())
    for name, number in numbers.items():
        parameters[name].data = number
    return model


def pixel_colours(figure: Figure, points: list[tuple[float, float]]) -> list[tuple[float, ...]]:
    """The RGB colour (0 to 1) of the saved PNG at each point given in data coordinates."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")  # also lays the figure out, fixing transData
    buffer.seek(0)
    axes = figure.axes[0]
    with Image.open(buffer) as image:
        rgb = image.convert("RGB")
        height = rgb.size[1]
        colours = []
        for point in points:
            x, y = axes.transData.transform(point)
            pixel = rgb.getpixel((int(round(x)), int(round(height - y))))
            assert isinstance(pixel, tuple)
            colours.append(tuple(channel / 255 for channel in pixel))
    return colours


def region_tint(colour_index: int) -> tuple[float, ...]:
    """A class's colour as its region shows it: 30% of it over the white background."""
    return tuple(0.3 * channel + 0.7 for channel in to_rgb(CLASS_COLOURS[colour_index]))


def nearest_tint(colour: tuple[float, ...], classes: int) -> int:
    """The class whose region tint is closest to `colour` (and close enough to be it)."""
    distances = [
        max(abs(a - b) for a, b in zip(colour, region_tint(k))) for k in range(classes)
    ]
    best = distances.index(min(distances))
    assert distances[best] < 0.03, f"{colour} is no class's region colour"
    return best


def test_each_side_of_a_one_score_boundary_has_its_class_colour() -> None:
    """score = x.0: the right half is class +1 (colour 1), the left half -1 (colour 0),
    as the points of each class are drawn."""
    model = set_parameters(
        MLP(2, [1], seed=0),
        {"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.w.1": 0.0,
         "layers.0.neurons.0.b": 0.0},
    )
    corners = [[-3.0, -3.0], [-3.0, 3.0], [3.0, -3.0], [3.0, 3.0]]
    figure = decision_boundary(model, corners, [-1, -1, 1, 1], resolution=20)
    left, right = pixel_colours(figure, [(-1.5, -1.5), (1.5, -1.5)])
    assert nearest_tint(left, 2) == 0 and nearest_tint(right, 2) == 1


def test_each_region_of_a_three_class_model_has_its_class_colour() -> None:
    """Outputs x.0, -x.0 and x.1: class 0 wins on the right, 1 on the left, 2 at the top."""
    weights = {0: (1.0, 0.0), 1: (-1.0, 0.0), 2: (0.0, 1.0)}
    numbers = {}
    for k, (w0, w1) in weights.items():
        numbers |= {f"layers.0.neurons.{k}.w.0": w0, f"layers.0.neurons.{k}.w.1": w1,
                    f"layers.0.neurons.{k}.b": 0.0}
    model = set_parameters(MLP(2, [3], seed=0), numbers)
    corners = [[-3.0, -3.0], [-3.0, 3.0], [3.0, -3.0], [3.0, 3.0]]
    figure = decision_boundary(model, corners, [0, 1, 2, 0], resolution=20)
    colours = pixel_colours(figure, [(2.0, -1.0), (-2.0, -1.0), (0.0, 2.0)])
    assert [nearest_tint(colour, 3) for colour in colours] == [0, 1, 2]
