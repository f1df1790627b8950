"""The widgets' tour runs top to bottom in a real Jupyter kernel, and shows what it should.

tests/widget_tour.ipynb (saved without outputs) is the old classroom tour of
the course's material: a neuron, its drawing, the Stepper with its buttons,
gradcheck, fit_live and the LiveTraining playground. The lessons in demos/
teach the same things with static pictures (tests/test_course.py); this
notebook keeps the widgets themselves under test, here and in a real
JupyterLab (tests/test_jupyterlab_browser.py).

The kernel is a separate process started by nbclient; it inherits this
process's environment, so PYTHONPATH (set here to the repository too) lets it
import the code under test even when stepgrad is not installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from notebooks import execute, kernel_sees_this_repository
from pictures import svgs_in

from engine.views.notebook import ipywidgets_installed

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "tests" / "widget_tour.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


@pytest.fixture(scope="module")
def tour() -> Any:
    return execute(nbformat.read(NOTEBOOK, as_version=4), timeout=120)


def cell(notebook: Any, source: str) -> Any:
    """The one code cell whose source contains `source`."""
    (found,) = [c for c in notebook.cells if c.cell_type == "code" and source in c.source]
    return found


def kinds(found: Any) -> list[tuple[str, list[str]]]:
    return [(output.output_type, sorted(output.get("data", {}))) for output in found.outputs]


def test_the_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for found in notebook.cells:
        if found.cell_type == "code":
            assert found.outputs == [] and found.execution_count is None, found.source
    assert not any(source.lstrip().startswith("%") for source in _sources(notebook))


def _sources(notebook: Any) -> list[str]:
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    return [line for source in code for line in source.splitlines()]


def test_no_cell_fails(tour: Any) -> None:
    for found in tour.cells:
        if found.cell_type == "code":
            assert not [o for o in found.outputs if o.output_type == "error"], found.source


def test_the_neuron_is_drawn(tour: Any) -> None:
    (output,) = cell(tour, "draw(o)").outputs
    assert "<svg" in output.data["image/svg+xml"]
    # JupyterLab shows the HTML: the drawing fits the cell, or scrolls in it.
    (svg,) = svgs_in(output.data["text/html"])  # an image, which untrusted notebooks keep
    assert svg == output.data["image/svg+xml"] and "overflow-x: auto" in output.data["text/html"]


def saved_picture(outputs: list[Any]) -> Any:
    """The output a saved notebook shows for a Stepper: the last (after the widget, if any)."""
    if ipywidgets_installed():
        widget, picture = outputs
        assert WIDGET in widget.data and WIDGET not in picture.data
        assert "<svg" not in widget.data["text/html"]  # one picture only, where widgets don't show
        assert picture.data["text/html"].startswith('<div class="stepgrad-saved-picture">')
        return picture
    (picture,) = outputs
    return picture


def test_the_stepper_shows_the_drawing_and_the_arithmetic(tour: Any) -> None:
    shown = cell(tour, "stepper = Stepper(o)").outputs
    picture = saved_picture(shown)
    if ipywidgets_installed():
        # The widget's models hold the arithmetic and the drawing; stepper.next() in a
        # later cell moved it to step 1 (nbclient saves the widgets' last state).
        states = tour.metadata["widgets"][WIDGET_STATE]["state"].values()
        pages = [s["state"].get("value", "") for s in states if s["model_name"] == "HTMLModel"]
        (page,) = [p for p in pages if "stepgrad-narration" in p]
        assert "step 1 of 5: o = tanh(n)" in page
        (view,) = [s["state"] for s in states if "svg" in s["state"]]
        assert 'class="node current"' in view["svg"]  # the graph view's drawing
    # The picture a saved notebook shows without a kernel: the step the cells moved it to.
    html = picture.data["text/html"]
    (svg,) = svgs_in(html)
    assert "step 1 of 5: o = tanh(n)" in html and 'class="node current"' in svg
    assert "<script" not in html and "<svg" not in html  # an untrusted notebook keeps it


def test_a_saved_notebook_keeps_the_steppers_picture(tour: Any, tmp_path: Path) -> None:
    saved = tmp_path / "saved.ipynb"
    nbformat.write(tour, saved)
    outputs = cell(nbformat.read(saved, as_version=4), "stepper = Stepper(o)").outputs
    html = saved_picture(outputs).data["text/html"]
    assert "step 1 of 5: o = tanh(n)" in html
    assert ['class="node current"' in svg for svg in svgs_in(html)] == [True]


def test_moving_the_stepper_adds_no_picture(tour: Any) -> None:
    (output,) = cell(tour, "stepper.next()").outputs
    assert list(output.data) == ["text/plain"]
    assert "the picture above shows it" in output.data["text/plain"]


def test_gradcheck_reports_every_input(tour: Any) -> None:
    outputs = cell(tour, "gradcheck(").outputs
    printed = "".join(o.text for o in outputs if o.output_type == "stream")
    assert printed.count("yes") == 5


def test_live_training_draws_two_pictures_in_place(tour: Any) -> None:
    outputs = cell(tour, "fit_live(").outputs
    assert kinds(cell(tour, "fit_live(")) == [
        ("display_data", ["image/png", "text/plain"]),  # the boundary, redrawn in place
        ("display_data", ["image/png", "text/plain"]),  # the curves, redrawn in place
        ("execute_result", ["text/plain"]),  # the History
    ]
    assert "decision boundary, History(steps=80" in outputs[0].data["text/plain"]
    assert "training curves, History(steps=80" in outputs[1].data["text/plain"]
    assert "History(steps=80" in outputs[2].data["text/plain"]


def test_the_network_learns_the_moons(tour: Any) -> None:
    shown = cell(tour, "fit_live(").outputs[2].data["text/plain"]  # History(..., accuracy=0.98)
    accuracy = float(shown.split("accuracy=")[1].split(",")[0].rstrip(")"))
    assert accuracy >= 0.97, shown


@pytest.mark.parametrize("call", ["training_curves(history)", "decision_boundary(model, X, y)"])
def test_figures_show_as_images_with_no_magic(tour: Any, call: str) -> None:
    (output,) = cell(tour, call).outputs
    assert output.data["image/png"]  # a picture, not "<Figure size 500x450 with 1 Axes>"


@pytest.mark.skipif(not ipywidgets_installed(), reason="the playground needs ipywidgets")
def test_the_playground_is_a_widget(tour: Any) -> None:
    (output,) = cell(tour, "LiveTraining(").outputs
    assert WIDGET in output.data


def test_without_widgets_next_updates_the_one_html_output() -> None:
    steps = [
        "import engine.views.notebook\nengine.views.notebook.prefer_widgets = False",
        "from engine import Stepper, Value\n"
        "x = Value(2.0, label='x'); y = x * x; y.label = 'y'\n"
        "stepper = Stepper(y)\nstepper",
        "stepper.next()",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in steps])
    execute(notebook, timeout=120)
    (shown,) = notebook.cells[1].outputs  # one output, updated by the next cell
    html = shown.data["text/html"]
    assert "step 1 of 1: y = x * x" in html and len(svgs_in(html)) == 1
    assert "image/svg+xml" not in shown.data  # one HTML output, not a bare picture
    (moved,) = notebook.cells[2].outputs
    assert list(moved.data) == ["text/plain"]


@pytest.mark.skipif(not ipywidgets_installed(), reason="the Stepper's widget needs ipywidgets")
def test_a_click_on_the_widget_updates_the_saved_picture_and_leaves_the_widget() -> None:
    import asyncio

    cells = ["from engine import Stepper, Value\n"
             "x = Value(2.0, label='x'); w = Value(-3.0, label='w')\n"
             "y = x * w + x; y.label = 'y'\nstepper = Stepper(y)\nstepper"]  # fmt: skip
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in cells])
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3")

    async def show_then_click_next() -> list[str]:
        async with client.async_setup_kernel():
            await client.async_execute_cell(notebook.cells[0], 0)
            (next_button,) = [
                comm for comm, state in client.widget_state.items()
                if state.get("_model_name") == "ButtonModel" and state["description"] == "Next"
            ]  # fmt: skip
            # What JupyterLab sends when the button is clicked: a message to its model.
            click = {"method": "custom", "content": {"event": "click"}}
            message = client.kc.session.msg("comm_msg", {"comm_id": next_button, "data": click})
            client.kc.shell_channel.send(message)
            kinds = []
            while True:
                reply = await client.kc.get_iopub_msg(timeout=60)
                if reply["parent_header"].get("msg_id") != message["header"]["msg_id"]:
                    continue
                kinds.append(reply["msg_type"])
                try:
                    client.process_message(reply, notebook.cells[0], 0)
                except nbclient.exceptions.CellExecutionComplete:
                    return kinds

    with kernel_sees_this_repository():
        kinds = asyncio.run(show_then_click_next())
    assert kinds.count("update_display_data") == 1  # the saved picture, not the widget
    widget, picture = notebook.cells[0].outputs
    assert "Press Next" not in widget.data["text/html"] and "<svg" not in widget.data["text/html"]
    html = picture.data["text/html"]
    (svg,) = svgs_in(html)
    assert "step 1 of 2: y = #2 + x" in html and svg.count('class="node current"') == 1


# ---------------------------------------------------------------------- the widget, no kernel


def neuron_stepper() -> tuple[Any, Any]:
    from engine import Stepper, Value

    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    n = x1 * w1 + x2 * w2 + Value(6.8813735870195432, label="b")
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return Stepper(o), w1


@pytest.mark.skipif(not ipywidgets_installed(), reason="the Stepper's widget needs ipywidgets")
def test_the_widget_buttons_and_slider_move_the_stepper() -> None:
    import ipywidgets

    stepper, w1 = neuron_stepper()
    box = stepper.widget()
    controls, narration, view, legend = box.children
    buttons = {c.description: c for c in controls.children if isinstance(c, ipywidgets.Button)}
    (slider,) = [c for c in controls.children if isinstance(c, ipywidgets.IntSlider)]
    assert sorted(buttons) == ["Back", "Next", "Reset", "Run to end"]
    assert buttons["Back"].disabled and not buttons["Next"].disabled
    assert "Press Next" in narration.value
    assert 'class="node current"' not in view.svg  # no step yet
    assert repr(box) == stepper.text()  # its text form, where widgets cannot show
    assert "Press Next" in box._repr_mimebundle_()["text/html"]  # and its static picture

    buttons["Next"].click()
    assert stepper.position == 1 and slider.value == 1
    assert "step 1 of 5: o = tanh(n)" in narration.value
    assert view.svg.count('class="node current"') == 1  # the graph view zooms to it
    slider.value = 4
    assert stepper.position == 4 and "step 4 of 5" in narration.value
    assert 'class="node updated"' in view.svg  # the children the step adds to
    buttons["Run to end"].click()
    assert stepper.finished and buttons["Next"].disabled and slider.value == 5
    assert w1.grad == pytest.approx(1.0)
    stepper.back()  # from code: the widget follows
    assert slider.value == 4 and "step 4 of 5" in narration.value
    assert "step 4 of 5" in box._repr_mimebundle_()["text/html"]
    buttons["Reset"].click()
    assert stepper.position == 0 and w1.grad == 0.0 and buttons["Back"].disabled


def test_the_stepper_text_follows_jupyterlabs_sizes_and_colours() -> None:
    from engine.views.notebook import stepper_html

    stepper, _ = neuron_stepper()
    page = stepper_html(stepper.next())
    assert "var(--jp-code-font-size" in page and "var(--jp-content-font-color1" in page
    assert "font-size: 15px" not in page  # not a fixed size


def test_the_widget_without_ipywidgets_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if not installed
    stepper, _ = neuron_stepper()
    with pytest.raises(ImportError, match=r"pip install ipywidgets\."):
        stepper.widget()


@pytest.mark.skipif(not ipywidgets_installed(), reason="the playground needs ipywidgets")
def test_the_playground_code_in_lesson_6s_text_trains() -> None:
    """Lesson 6 gives the playground's code in its text (a widget saves no picture): it runs."""
    from nn import MLP, SGD, moons, signed_labels

    lesson = nbformat.read(ROOT / "demos" / "6-networks.ipynb", as_version=4)
    (text,) = [c.source for c in lesson.cells if "LiveTraining(" in c.source]
    block = text.split("Try it in a cell of your own:\n\n")[1].split("\n\n")
    code = [line[4:] for part in block[:2] for line in part.splitlines()]
    X, labels = moons(n=100, noise=0.1, seed=0)  # the lesson's X and y
    names: dict[str, Any] = {"MLP": MLP, "SGD": SGD, "X": X, "y": signed_labels(labels)}
    exec("\n".join(code[:-1]), names)
    playground = eval(code[-1], names)
    playground.start()
    history = playground.wait()
    assert history.steps == 200 and history.accuracy[-1] >= 0.97, history
