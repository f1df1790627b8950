"""The Stepper in Jupyter: the drawing and the arithmetic together, updated in place.

A `Stepper` shown in a notebook (the last expression of a cell, or
`display(stepper)`) shows the drawing of the graph, with the node of the
step in red, the children whose grads it adds to in blue and the nodes
stepped before in orange, and above it the step's chain-rule arithmetic.
Its text takes JupyterLab's font sizes and colours, so Presentation Mode
and the dark theme reach it.

- With ipywidgets installed (`pip install ipywidgets`, or the `notebook` extra), that
  picture comes with buttons (Reset, Back, Next, Run to end) and a slider
  over the steps. `stepper.widget()` returns the widget; a Stepper displayed
  in a kernel shows it. With anywidget too (the `notebook` extra has both),
  the drawing is the browser's graph view (`engine/views/web`, the same as
  the classroom's): it zooms to the node of the step and follows it, and
  can show the whole graph.
- Without ipywidgets (or with `engine.views.notebook.prefer_widgets = False`)
  it is one HTML output, and
  `stepper.next()`, `back()`, `run()`, `reset()` and `go_to(n)`, run in any
  later cell, update that same output (an IPython display id) instead of
  adding a new picture; the cell that moved the Stepper prints one line
  saying where it is.

Either way a static picture of the step (`stepper_html()`: HTML, the drawing
in it an image, no script) goes with it, so a saved notebook shows it
without a kernel (untrusted in JupyterLab, on GitHub, in nbviewer): the HTML
output is that picture; the widget is followed by a second output that holds
it (`saved_picture_bundle()`), kept up to date after every move, a click on
the widget's buttons too, and hidden while the widget is live (a style rule
in the widget hides it). It cannot be the widget's own output: updating that
output makes JupyterLab build the widget's view again, which would restart
the live view at every click.
It also works outside Jupyter:

>>> from engine import Value
>>> from engine.views.stepper import Stepper
>>> x = Value(2.0, label="x")
>>> y = x * x
>>> y.label = "y"
>>> bundle = stepper_bundle(Stepper(y).next())
>>> sorted(bundle)
['text/html', 'text/plain']
>>> "x.grad += y.grad" in bundle["text/html"], '<img src="data:image/svg' in bundle["text/html"]
(True, True)

This module imports IPython, ipywidgets and anywidget only when a notebook asks for them.
"""

from __future__ import annotations

import functools
import html
import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable
from weakref import WeakKeyDictionary

from engine.views import web
from engine.views.render import render_dot

if TYPE_CHECKING:
    from engine.views.stepper import Stepper

# Step text in a notebook: wide enough for most steps, narrow enough for a projector.
NOTEBOOK_WIDTH = 90
# JupyterLab's own font sizes and colours (Presentation Mode enlarges them, the dark
# theme recolours them); the values after the commas serve pages without JupyterLab.
NARRATION_STYLE = (
    "font-family: var(--jp-code-font-family, 'DejaVu Sans Mono', Menlo, Consolas, monospace); "
    "font-size: calc(1.15 * var(--jp-code-font-size, 13px)); "
    "color: var(--jp-content-font-color1, inherit); "
    "line-height: 1.4; margin: 0 0 6px 0; white-space: pre-wrap"
)
NOTE_STYLE = (
    "background: #fef3c7; color: #1f2937; border-left: 4px solid #d97706; padding: 4px 8px; "
    "margin: 0 0 6px 0; font-size: var(--jp-content-font-size1, 14px); white-space: pre-wrap"
)
LEGEND_STYLE = (
    "font-size: var(--jp-content-font-size1, 14px); color: var(--jp-content-font-color2, #4b5563)"
)
LEGEND = (
    "red: the node of this step &nbsp; blue: the children whose grads it adds to "
    "&nbsp; orange: nodes already stepped"
)


# Set to False to show Steppers as plain HTML outputs even where ipywidgets is installed.
prefer_widgets = True

# ---------------------------------------------------------------------- the picture


def narration_html(stepper: Stepper) -> str:
    """Where the Stepper is and the step's chain-rule arithmetic, as HTML."""
    step = stepper.last_step
    lines = [stepper.header()]
    if step is not None:
        lines.append(step.text(NOTEBOOK_WIDTH))
    elif stepper.total:
        lines.append("Press Next (or call next()) to take the first step.")
    parts = [
        f'<pre class="stepgrad-narration" style="{NARRATION_STYLE}">'
        f"{html.escape(chr(10).join(lines))}</pre>"
    ]
    note = stepper.stale_note(NOTEBOOK_WIDTH)
    if note:
        parts.append(f'<div class="stepgrad-note" style="{NOTE_STYLE}">{html.escape(note)}</div>')
    return "\n".join(parts)


def step_svg(stepper: Stepper) -> tuple[str, str]:
    """The drawing of the Stepper's step as SVG text, or "" and why there is none.

    The node of the step is the SVG group with class `current`, the children
    it adds to have class `updated` (the web view zooms to them).
    """
    try:
        return _rendered(stepper.show().source), ""
    except (ValueError, RuntimeError) as error:  # too big to draw, or no renderer
        return "", f"(no drawing: {error})"


@functools.lru_cache(maxsize=8)
def _rendered(source: str) -> str:
    """DOT text as SVG text, kept: the widget and its saved picture draw each step once."""
    return render_dot(source, "svg").decode("utf-8")


def stepper_html(stepper: Stepper) -> str:
    """The Stepper's arithmetic and its drawing (an SVG image) as one piece of HTML.

    Plain HTML and CSS, no script, no inline SVG (`web.drawing_html`): a
    saved notebook shows it without a kernel, even untrusted.
    The drawing fits the output's width, or scrolls sideways inside it when
    that would make its text smaller than 11 px. A graph too big to draw (see
    `engine.views.drawing.draw`, `max_nodes`) shows the arithmetic alone, with
    a line saying why.
    """
    parts = ['<div class="stepgrad-stepper-view">', narration_html(stepper)]
    svg, why_not = step_svg(stepper)
    if svg:
        parts.append(web.drawing_html(svg))
        parts.append(f'<div style="{LEGEND_STYLE}">{LEGEND}</div>')
    else:
        parts.append(f"<p>{html.escape(why_not)}</p>")
    parts.append("</div>")
    return "\n".join(parts)


def stepper_bundle(stepper: Stepper) -> dict[str, str]:
    """What Jupyter shows for a Stepper: the HTML (drawing + arithmetic), and text."""
    return {"text/html": stepper_html(stepper), "text/plain": stepper.text()}


# The class of the saved picture that follows a Stepper's widget. A live
# widget hides it (with a style rule in its legend), so it shows only where
# the widget cannot: in a saved notebook.
SAVED_PICTURE_CLASS = "stepgrad-saved-picture"
HIDE_SAVED_PICTURE = f"<style>.{SAVED_PICTURE_CLASS} {{ display: none; }}</style>"
# The widget's own output, where widgets cannot show: nothing (the picture is the next output).
WIDGET_PLACEHOLDER = "<!-- the Stepper's buttons need a kernel; its picture is the next output -->"


def saved_picture_bundle(stepper: Stepper) -> dict[str, str]:
    """The output after a Stepper's widget: its step's static picture, for a saved notebook.

    >>> from engine import Value
    >>> from engine.views.stepper import Stepper
    >>> bundle = saved_picture_bundle(Stepper(Value(2.0, label="x") * 3.0))
    >>> bundle["text/html"].startswith('<div class="stepgrad-saved-picture">')
    True
    """
    html_picture = f'<div class="{SAVED_PICTURE_CLASS}">{stepper_html(stepper)}</div>'
    return {"text/html": html_picture, "text/plain": stepper.text()}


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
    """How one Stepper is shown in this kernel: the output redrawn when it moves."""

    display_id: str | None = None  # that output (never a widget's own: see _moved)
    # What it holds: `stepper_bundle`, or after a widget `saved_picture_bundle`
    bundle: Callable[[Stepper], dict[str, str]] | None = None
    moved_by: str | None = None  # the request (cell) that moved it last


_shown: WeakKeyDictionary[Stepper, _Shown] = WeakKeyDictionary()


def _request() -> str | None:
    """The id of the kernel request being handled: a cell's run, or a button's click."""
    from IPython import get_ipython

    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None:
        return None
    return kernel.get_parent().get("header", {}).get("msg_id")


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
    elif shown.moved_by is not None and shown.moved_by == _request():
        display({"text/plain": f"{stepper.header()}: the picture above shows it"}, raw=True)
        return
    if prefer_widgets and ipywidgets_installed():
        widget = stepper_widget(stepper)
        # The widget's own bundle (its class's would add its stand-in picture)
        bundle = super(type(widget), widget)._repr_mimebundle_()
        bundle["text/html"] = WIDGET_PLACEHOLDER
        display(bundle, raw=True)
        # Its static picture, for saved notebooks: a second output, updated at every move.
        shown.bundle = saved_picture_bundle
    else:
        shown.bundle = stepper_bundle
    handle = display(shown.bundle(stepper), raw=True, display_id=True)
    shown.display_id = getattr(handle, "display_id", None)


def _moved(stepper: Stepper) -> None:
    """After a move (in a cell, or a click on the widget): update the picture.

    The HTML output is redrawn; a widget updates itself, and the saved
    picture after it is redrawn (the widget's own output is left alone:
    redrawing it would restart the live view).
    """
    from IPython.display import update_display

    shown = _shown[stepper]
    shown.moved_by = _request()
    if shown.display_id is not None and shown.bundle is not None:
        update_display(shown.bundle(stepper), raw=True, display_id=shown.display_id)


# ---------------------------------------------------------------------- the widget


def anywidget_installed() -> bool:
    """Whether anywidget (part of the optional extra `notebook`) is installed."""
    return importlib.util.find_spec("anywidget") is not None


def graph_view_widget() -> Any:
    """The browser's graph view (`engine/views/web`) as a widget: an anywidget.

    Set its `svg` to a drawing (`step_svg(stepper)`): it shows it inline and
    zooms to the node of the step. The same JavaScript as the classroom's page.
    """
    return _graph_view_class()()


@functools.cache
def _graph_view_class() -> Any:
    import anywidget
    import traitlets

    class GraphView(anywidget.AnyWidget):
        _esm = web.read("widget.js").decode("utf-8")
        _css = (web.read("graph-view.css") + web.read("widget.css")).decode("utf-8")
        # The view's code and its pan-zoom library, loaded by widget.js as modules.
        _view = traitlets.Unicode(web.read("graph-view.js").decode("utf-8")).tag(sync=True)
        _panzoom = traitlets.Unicode(
            web.read("vendor/panzoom/panzoom.es.js").decode("utf-8")
        ).tag(sync=True)
        svg = traitlets.Unicode("").tag(sync=True)

    return GraphView


def stepper_widget(stepper: Stepper) -> Any:
    """An ipywidgets box: Reset, Back, Next, Run to end, a slider, the step and the graph.

    The buttons and the slider call the Stepper's own methods, and a call
    made in a cell (`stepper.next()`) updates the widget too. The graph is
    the browser's graph view (with anywidget), which follows the step. A
    Stepper shown in a notebook puts its static picture, for saved
    notebooks, in the output after the widget (`saved_picture_bundle`).
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
    narration = widgets.HTML()
    # Without anywidget: the static picture (it fits the width, or scrolls).
    drawing = graph_view_widget() if anywidget_installed() else widgets.HTML()
    legend = widgets.HTML(
        value=f'<div style="{LEGEND_STYLE}">{LEGEND}</div>{HIDE_SAVED_PICTURE}'
    )

    class StepperBox(widgets.VBox):
        """Where widgets cannot show (a saved notebook on a web page), the picture stands in.

        The Stepper shown in a notebook keeps that picture in the output
        after the widget (`saved_picture_bundle`), up to date after clicks
        too; this is the picture as it was when the widget was shown, for
        a widget shown some other way (`display(stepper.widget())`).
        """

        def __repr__(self) -> str:
            return stepper.text()

        def _repr_mimebundle_(self, **kwargs: Any) -> Any:
            bundle = super()._repr_mimebundle_(**kwargs)
            if bundle is not None:
                bundle["text/html"] = stepper_html(stepper)
            return bundle

    controls = widgets.HBox([reset, back, step, finish, slider])
    box = StepperBox([controls, narration, drawing, legend])
    box.add_class("stepgrad-stepper")

    def refresh() -> None:
        svg, why_not = step_svg(stepper)
        narration.value = narration_html(stepper)
        if why_not:
            narration.value += f"<p>{html.escape(why_not)}</p>"
        if isinstance(drawing, widgets.HTML):
            drawing.value = web.drawing_html(svg) if svg else ""
        else:
            drawing.svg = svg
        drawing.layout.display = None if svg else "none"
        legend.layout.display = None if svg else "none"
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
