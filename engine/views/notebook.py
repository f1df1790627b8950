"""The Stepper in Jupyter: the drawing and the arithmetic together, updated in place.

A `Stepper` shown in a notebook (the last expression of a cell, or
`display(stepper)`) shows the drawing of the graph, with the node of the
step in red, the children whose grads it adds to in blue and the nodes
stepped before in orange, and above it the step's chain-rule arithmetic.

- With ipywidgets installed (`pip install ipywidgets`, or the `notebook` extra), that
  picture comes with buttons (Reset, Back, Next, Run to end) and a slider
  over the steps. `stepper.widget()` returns the widget; a Stepper displayed
  in a kernel shows it.
- Without ipywidgets (or with `engine.views.notebook.prefer_widgets = False`,
  say to keep the pictures in a saved notebook) it is one HTML output, and
  `stepper.next()`, `back()`, `run()`, `reset()` and `go_to(n)`, run in any
  later cell, update that same output (an IPython display id) instead of
  adding a new picture; the cell that moved the Stepper prints one line
  saying where it is.

Both read the same `stepper_html()`, which also works outside Jupyter:

>>> from engine import Value
>>> from engine.views.stepper import Stepper
>>> x = Value(2.0, label="x")
>>> y = x * x
>>> y.label = "y"
>>> bundle = stepper_bundle(Stepper(y).next())
>>> sorted(bundle)
['text/html', 'text/plain']
>>> "x.grad += y.grad" in bundle["text/html"], "<svg" in bundle["text/html"]
(True, True)

This module imports IPython and ipywidgets only when a notebook asks for them.
"""

from __future__ import annotations

import html
import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from engine.views.stepper import Stepper

# Step text in a notebook: wide enough for most steps, narrow enough for a projector.
NOTEBOOK_WIDTH = 90
NARRATION_STYLE = (
    "font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 15px; "
    "line-height: 1.4; margin: 0 0 6px 0; white-space: pre-wrap"
)
NOTE_STYLE = (
    "background: #fef3c7; border-left: 4px solid #d97706; padding: 4px 8px; "
    "margin: 0 0 6px 0; font-size: 14px; white-space: pre-wrap"
)
LEGEND = (
    "red: the node of this step &nbsp; blue: the children whose grads it adds to "
    "&nbsp; orange: nodes already stepped"
)


# Set to False to show Steppers as plain HTML outputs even where ipywidgets is installed.
prefer_widgets = True

# ---------------------------------------------------------------------- the picture


def stepper_html(stepper: Stepper) -> str:
    """The Stepper's arithmetic and its drawing (inline SVG) as one piece of HTML.

    A graph too big to draw (see `engine.views.drawing.draw`, `max_nodes`) shows the
    arithmetic alone, with a line saying why.
    """
    step = stepper.last_step
    lines = [stepper.header()]
    if step is not None:
        lines.append(step.text(NOTEBOOK_WIDTH))
    elif stepper.total:
        lines.append("Press Next (or call next()) to take the first step.")
    parts = [
        '<div class="stepgrad-stepper-view">',
        f'<pre class="stepgrad-narration" style="{NARRATION_STYLE}">'
        f"{html.escape(chr(10).join(lines))}</pre>",
    ]
    note = stepper.stale_note(NOTEBOOK_WIDTH)
    if note:
        parts.append(f'<div class="stepgrad-note" style="{NOTE_STYLE}">{html.escape(note)}</div>')
    try:
        svg = stepper.show().pipe(format="svg", encoding="utf-8")
    except (ValueError, RuntimeError) as error:  # too big to draw, or no renderer
        parts.append(f"<p>(no drawing: {html.escape(str(error))})</p>")
    else:
        svg = svg[svg.find("<svg"):]  # drop the XML prologue: this is HTML
        # As wide as the output at most, so the whole graph is on the screen at once.
        svg = svg.replace("<svg", '<svg style="max-width: 100%; height: auto"', 1)
        parts.append(f'<div class="stepgrad-drawing">{svg}</div>')
        parts.append(f'<div style="font-size: 13px; color: #4b5563">{LEGEND}</div>')
    parts.append("</div>")
    return "\n".join(parts)


def stepper_bundle(stepper: Stepper) -> dict[str, str]:
    """What Jupyter shows for a Stepper: the HTML (drawing + arithmetic), and text."""
    return {"text/html": stepper_html(stepper), "text/plain": stepper.text()}


# ---------------------------------------------------------------------- in a notebook


def ipywidgets_installed() -> bool:
    """Whether ipywidgets (the optional extra `notebook`) is installed."""
    return importlib.util.find_spec("ipywidgets") is not None


def running_in_kernel() -> bool:
    """Whether this code runs in a Jupyter kernel (not a terminal or a script)."""
    if importlib.util.find_spec("IPython") is None:
        return False
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None


@dataclass
class _Shown:
    """How one Stepper is shown in this kernel."""

    display_id: str | None = None  # its HTML output, updated on every move
    moved_by: str | None = None  # the request (cell) that moved it last


_shown: WeakKeyDictionary[Stepper, _Shown] = WeakKeyDictionary()


def _request_id() -> str | None:
    """The id of the kernel request being handled: one cell's run, or one button click."""
    from IPython import get_ipython

    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None:
        return None
    header = kernel.get_parent().get("header", {})
    return header.get("msg_id")


def display_stepper(stepper: Stepper) -> None:
    """Show `stepper` in the notebook: the widget, or the HTML output kept up to date.

    If this same cell already moved a Stepper that is shown above, the
    picture above has changed, so this shows only one line saying so.
    """
    from IPython.display import display

    if not running_in_kernel():  # a terminal IPython: the text, as in the REPL
        display({"text/plain": stepper.text()}, raw=True)
        return
    shown = _shown.get(stepper)
    if shown is None:
        shown = _shown[stepper] = _Shown()
        stepper.on_change.append(lambda: _moved(stepper))
    elif shown.moved_by is not None and shown.moved_by == _request_id():
        display({"text/plain": f"{stepper.header()}: the picture above shows it"}, raw=True)
        return
    if prefer_widgets and ipywidgets_installed():
        display(stepper_widget(stepper))
        return
    if shown.display_id is None:
        handle = display(stepper_bundle(stepper), raw=True, display_id=True)
        shown.display_id = getattr(handle, "display_id", None)
    else:
        display(stepper_bundle(stepper), raw=True, display_id=shown.display_id)


def _moved(stepper: Stepper) -> None:
    """After a move: update the HTML output (the widgets update themselves)."""
    from IPython.display import update_display

    shown = _shown[stepper]
    shown.moved_by = _request_id()
    if shown.display_id is not None:
        update_display(stepper_bundle(stepper), raw=True, display_id=shown.display_id)


# ---------------------------------------------------------------------- the widget


def stepper_widget(stepper: Stepper) -> Any:
    """An ipywidgets box: Reset, Back, Next, Run to end, a slider, and the picture.

    The buttons and the slider call the Stepper's own methods, and a call
    made in a cell (`stepper.next()`) updates the widget too.
    """
    try:
        import ipywidgets as widgets
    except ImportError:
        raise ImportError(
            "the Stepper's buttons need ipywidgets: pip install ipywidgets. "
            "Without it a Stepper still shows in Jupyter as one picture that next() updates"
        ) from None

    def button(description: str, tooltip: str) -> Any:
        made = widgets.Button(description=description, tooltip=tooltip)
        made.layout.width = "auto"
        made.add_class("stepgrad-" + description.split()[0].lower())
        return made

    reset = button("Reset", "undo every step: the grads as before the first")
    back = button("Back", "undo the last step")
    step = button("Next", "take the next step of backprop")
    finish = button("Run to end", "take every remaining step")
    slider = widgets.IntSlider(
        value=stepper.position,
        min=0,
        max=stepper.total,
        description="step",
        continuous_update=False,
    )
    picture = widgets.HTML(value=stepper_html(stepper))

    class StepperBox(widgets.VBox):
        """Where widgets cannot show (a saved notebook on a web page), the text stands in."""

        def __repr__(self) -> str:
            return stepper.text()

    box = StepperBox([widgets.HBox([reset, back, step, finish, slider]), picture])
    box.add_class("stepgrad-stepper")

    def refresh() -> None:
        picture.value = stepper_html(stepper)
        slider.value = stepper.position
        reset.disabled = back.disabled = stepper.position == 0
        step.disabled = finish.disabled = stepper.finished

    reset.on_click(lambda _: stepper.reset())
    back.on_click(lambda _: stepper.back() if stepper.position else None)
    step.on_click(lambda _: stepper.next() if not stepper.finished else None)
    finish.on_click(lambda _: stepper.run())

    def slide(change: dict[str, Any]) -> None:
        if change["new"] != stepper.position:
            stepper.go_to(change["new"])

    slider.observe(slide, names="value")
    stepper.on_change.append(refresh)
    refresh()
    return box
