"""Pictures of training: decision boundaries, loss curves, and a GIF of learning.

Every function builds a `matplotlib.figure.Figure` directly (never pyplot),
so nothing needs a screen or a GUI backend: save a figure with
`figure.savefig("boundary.png")`. In Jupyter a figure left last in a cell
shows itself as a picture, with no `%matplotlib inline` first (it is a
`PlotFigure`, whose `_repr_png_` gives Jupyter the PNG of `figure.png()`).

The pictures are made for a projector: 100 dpi, text of 12 to 14 pt,
labelled axes, and titles that say what is plotted and on which data.
`scale=` makes all text bigger (1.5 for the back row) or smaller.

>>> from nn.data import moons
>>> from nn.layers import MLP
>>> X, y = moons(n=20, seed=0)
>>> figure = decision_boundary(MLP(2, [4, 1], seed=0), X, y, resolution=10)
>>> figure.axes[0].get_title(), figure.axes[0].get_xlabel(), figure.dpi
('decision boundary', 'x.0', 100)
>>> figure._repr_png_()[:4]
b'\x89PNG'

A grid of `resolution` x `resolution` points is one forward pass per point:
a 2-16-16-1 network on the default 50 x 50 grid (2,500 forward passes)
takes about 1 s in pure Python, so keep `resolution` modest.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Mapping, Sequence, Union

from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from engine import Value
from engine.checks import check_scale
from engine.files import check_animation, write_gif
from nn.checks import check_count, check_number, check_one_label_per_row
from nn.module import Module
from nn.train import History, Snapshots

# One colour per class: points use the colour, regions a light tint of it.
CLASS_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]
REGION_ALPHA = 0.3
DEFAULT_RESOLUTION = 50
ANIMATION_RESOLUTION = 30
# Dots per inch of every picture: a 5 x 4.5 inch figure is 500 x 450 pixels.
DPI = 100
# Font sizes in points at scale 1 (matplotlib's own default is 10 everywhere).
TITLE_SIZE, LABEL_SIZE, TICK_SIZE = 14, 13, 12

StateDict = Mapping[str, float]


class PlotFigure(Figure):
    """A matplotlib `Figure` that Jupyter displays as a PNG picture by itself.

    A plain Figure made without pyplot shows in a notebook only as
    `<Figure size 500x450 with 1 Axes>` unless `%matplotlib inline` was
    typed first; this one gives Jupyter its PNG (`_repr_png_`). With the
    inline backend active, Jupyter's own Figure printer is used instead:
    still one picture, never two.
    """

    def png(self, dpi: float | None = None) -> bytes:
        """The picture as the bytes of a PNG file, at `dpi` (default: the figure's, 100)."""
        picture = io.BytesIO()
        self.savefig(picture, format="png", dpi=self.dpi if dpi is None else dpi)
        return picture.getvalue()

    def _repr_png_(self) -> bytes:
        return self.png()


def decision_boundary(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    resolution: int = DEFAULT_RESOLUTION,
    padding: float = 0.5,
    title: str = "decision boundary",
    scale: float = 1.0,
) -> PlotFigure:
    """Colour the plane by the class the model picks, and draw the data on top.

    Works for a 2-input classifier with one output (a score: positive picks
    the larger label, e.g. +1 of -1/+1 or 1 of 0/1, and the line score = 0
    is drawn) or with one output per class (the largest output wins; labels
    are 0, 1, ...). The grid spans the data plus `padding` on every side,
    with `resolution` points along each axis (one forward pass per point).
    Name the data in `title` (e.g. "decision boundary, training points").
    """
    check_scale(scale)
    grid = _grid(X, y, resolution, padding)
    figure = PlotFigure(figsize=(5.0, 4.5), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    _draw_boundary(axes, model, X, y, grid, scale)
    axes.set_title(title, fontsize=TITLE_SIZE * scale)
    return figure


def training_curves(history: History, loss: str = "", scale: float = 1.0) -> PlotFigure:
    """The loss per step, and beside it the accuracy (when the loss has one).

    Both are measured on each step's training batch, before its update (see
    `History`), so they say how well the model fits the training data, not
    how it does on new data. Name the loss in `loss` (e.g. "hinge") to have
    it in the title.

    >>> curves = training_curves(History(loss=[1.0, 0.5], accuracy=[0.5, 1.0],
    ...                                  learning_rate=[0.1, 0.1]), loss="hinge")
    >>> [axes.get_title() for axes in curves.axes]
    ['hinge loss (training data)', 'accuracy (training data)']
    """
    if not isinstance(history, History):
        raise TypeError(
            f"training_curves() needs the History that fit() returns, not {type(history).__name__}"
        )
    if history.steps == 0:
        raise ValueError("this History is empty: run fit() for at least one step first")
    check_scale(scale)
    has_accuracy = not all(math.isnan(a) for a in history.accuracy)
    width = 10.0 if has_accuracy else 5.0
    figure = PlotFigure(figsize=(width, 4.0), dpi=DPI, layout="constrained")
    steps = list(range(1, history.steps + 1))
    loss_axes = figure.add_subplot(1, 2 if has_accuracy else 1, 1)
    loss_axes.plot(steps, history.loss, color=CLASS_COLOURS[1], linewidth=2)
    name = f"{loss} loss" if loss else "loss"
    _label(loss_axes, f"{name} (training data)", "training step", name, scale)
    if has_accuracy:
        accuracy_axes = figure.add_subplot(1, 2, 2)
        accuracy_axes.plot(steps, history.accuracy, color=CLASS_COLOURS[2], linewidth=2)
        accuracy_axes.set_ylim(-0.05, 1.05)
        _label(accuracy_axes, "accuracy (training data)", "training step", "fraction right", scale)
    return figure


def boundary_animation(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    snapshots: Snapshots | Sequence[StateDict],
    path: Union[str, os.PathLike[str]],
    resolution: int = ANIMATION_RESOLUTION,
    padding: float = 0.5,
    frames_per_second: int = 4,
    scale: float = 1.0,
) -> Path:
    """Write a GIF of the decision boundary, one frame per snapshot; return its path.

    `snapshots` is a `Snapshots` callback after `fit()` (or any list of
    `model.state_dict()`s). Each frame loads one state into `model` and
    draws it like `decision_boundary` (500 x 450 pixels, titled with the
    number of updates); the model's own parameters are put back afterwards.
    The file appears only when complete (it is written to a temporary file
    first, then renamed), so a crash never leaves half a GIF.
    """
    states: list[StateDict]
    if isinstance(snapshots, Snapshots):
        states = list(snapshots.states)
        titles = [f"after {n} updates" for n in snapshots.updates]
    else:
        states = list(snapshots)
        titles = [f"snapshot {i}" for i in range(len(states))]
    if not states:
        raise ValueError(
            "no snapshots to animate: take some with fit(..., callback=Snapshots(model))"
        )
    check_count("frames_per_second", frames_per_second)
    check_scale(scale)
    check_animation(path, 1.0 / frames_per_second)  # before any frame is drawn
    grid = _grid(X, y, resolution, padding)
    original = model.state_dict()
    figure = PlotFigure(figsize=(5.0, 4.5), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    frames = []
    try:
        for state, title in zip(states, titles):
            model.load_state_dict(state)
            axes.clear()
            _draw_boundary(axes, model, X, y, grid, scale)
            axes.set_title(f"decision boundary {title}", fontsize=TITLE_SIZE * scale)
            frames.append(figure.png())
    finally:
        model.load_state_dict(original)
    return write_gif(path, frames, seconds_per_frame=1.0 / frames_per_second)


def _label(axes: Axes, title: str, xlabel: str, ylabel: str, scale: float) -> None:
    """Title, axis labels and tick labels, at sizes a projector shows."""
    axes.set_title(title, fontsize=TITLE_SIZE * scale)
    axes.set_xlabel(xlabel, fontsize=LABEL_SIZE * scale)
    axes.set_ylabel(ylabel, fontsize=LABEL_SIZE * scale)
    axes.tick_params(labelsize=TICK_SIZE * scale)
    axes.grid(alpha=0.3)


# ---------------------------------------------------------------------- drawing


class _Grid:
    """The points of a rectangular grid over the data, row by row."""

    def __init__(self, xs: list[float], ys: list[float]) -> None:
        self.xs = xs
        self.ys = ys
        self.points = [[x, y] for y in ys for x in xs]


def _grid(
    X: Sequence[Sequence[float]], y: Sequence[int], resolution: int, padding: float
) -> _Grid:
    """The grid over the points `X` (checked first, with their labels `y` and the options)."""
    check_one_label_per_row(X, y)
    for index, row in enumerate(X):
        if len(row) != 2:
            raise ValueError(
                f"row {index} has {len(row)} features; decision boundaries are drawn "
                "for 2-D data only"
            )
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution={resolution!r} must be an int >= 2 (grid points per axis)")
    padding = check_number("padding", padding, at_least=0.0)
    axes_values = []
    for column in range(2):
        low = min(row[column] for row in X) - padding
        high = max(row[column] for row in X) + padding
        axes_values.append([low + (high - low) * i / (resolution - 1) for i in range(resolution)])
    return _Grid(axes_values[0], axes_values[1])


def _draw_boundary(
    axes: Axes,
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    grid: _Grid,
    scale: float,
) -> None:
    """Fill the regions of each class, draw the boundary, scatter the points."""
    labels = sorted(set(y))
    # Keep only the numbers of each output, so that each point's graph is freed at once.
    outputs = [_output_numbers(model(point)) for point in grid.points]
    one_score = isinstance(outputs[0], float)
    # Each class's margin at each grid point: how far it is ahead of the best
    # other class (> 0 where the model picks it). One score s is two classes
    # with margins -s and s.
    rows: list[list[float]] = []
    for output in outputs:
        rows.append([-output, output] if isinstance(output, float) else output)
    classes = 2 if one_score else max(len(rows[0]), len(labels))
    if classes > len(CLASS_COLOURS):
        raise ValueError(f"{classes} classes: the plots have colours for {len(CLASS_COLOURS)}")
    size = len(grid.xs)
    for k in range(len(rows[0])):  # one region per output (two for one score)
        margins = [row[k] - max(row[:k] + row[k + 1 :]) for row in rows]
        if not max(margins) > 0.0:
            continue  # the model never picks class k here
        table = [margins[r * size : (r + 1) * size] for r in range(size)]
        # The region of class k is where its margin is above 0: its edge is the
        # boundary itself, so neighbouring regions meet with no strip between them.
        top = max(margins) + 1.0
        tint = to_rgba(CLASS_COLOURS[k], REGION_ALPHA)
        axes.contourf(grid.xs, grid.ys, table, levels=[0.0, top], colors=[tint])
        if min(margins) < 0.0:
            axes.contour(grid.xs, grid.ys, table, levels=[0.0], colors="black", linewidths=1.2)
    for label in labels:
        # With one score, labels <= 0 (-1 or 0) take colour 0 and label +1 colour 1;
        # with one output per class, class k takes colour k.
        colour_index = (1 if label > 0 else 0) if one_score else int(label)
        if not 0 <= colour_index < len(CLASS_COLOURS):
            raise ValueError(f"label {label!r}: multi-class labels must be 0, 1, 2, ...")
        xs = [row[0] for row, wanted in zip(X, y) if wanted == label]
        ys = [row[1] for row, wanted in zip(X, y) if wanted == label]
        axes.scatter(
            xs, ys, s=30 * scale, color=CLASS_COLOURS[colour_index], edgecolors="black",
            linewidths=0.5, label=str(label), zorder=3,
        )
    axes.set_xlim(grid.xs[0], grid.xs[-1])
    axes.set_ylim(grid.ys[0], grid.ys[-1])
    # The inputs, named as in the drawings of the model's graph.
    axes.set_xlabel("x.0", fontsize=LABEL_SIZE * scale)
    axes.set_ylabel("x.1", fontsize=LABEL_SIZE * scale)
    axes.tick_params(labelsize=TICK_SIZE * scale)
    legend = axes.legend(
        loc="upper right", fontsize=TICK_SIZE * scale, title="class", framealpha=0.85
    )
    legend.get_title().set_fontsize(TICK_SIZE * scale)


def _output_numbers(output: Value | list[Value]) -> float | list[float]:
    """The plain numbers of a model's output: one float, or a list of them."""
    if isinstance(output, list):
        return [value.data for value in output]
    return output.data
