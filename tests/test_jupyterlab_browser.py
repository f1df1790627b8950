"""The notebooks in a real JupyterLab, in a real browser.

A teacher's run of the widgets' tour (tests/widget_tour.ipynb):

The test starts JupyterLab on 127.0.0.1 (a free port, a random token, a
temporary folder holding a copy of the notebook), opens the notebook in
headless Chromium (Debian's `chromium`, driven by Playwright), runs all
cells, clicks Next on the Stepper and checks that the red node of the
drawing and the arithmetic both move on, then starts and stops the
training playground.

A student's first look at a notebook saved with its outputs, opened but not
run (so JupyterLab does not trust it, and cleans its HTML): the drawings of
draw() and of the Stepper still show, as pictures of a readable size.

Screenshots go to pytest's tmp_path. The server, its kernels and the browser
are stopped at the end.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS, keep_screenshots
from notebooks import DRAWN, execute

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "tests" / "widget_tour.ipynb"
# Screenshots of JupyterLab wait forever for its endless CSS animations to settle
# unless they are stopped for the picture.
STILL: dict = {"animations": "disabled", "caret": "initial", "timeout": 15_000}
CURRENT_COLOUR = "#fca5a5"  # the red of the Stepper's current node (engine/views/drawing.py)

if CHROMIUM is None:
    pytest.skip(
        "no chromium on PATH: install Debian's chromium (apt-get install chromium), "
        "as .ci/run does",
        allow_module_level=True,
    )
playwright_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("jupyterlab")
pytest.importorskip("ipywidgets")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class JupyterLab:
    """A JupyterLab server in its own process group, serving `folder`."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        home = folder.parent / "jupyter-home"
        environment = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTER_DATA_DIR=str(home / "data"),  # the lab extensions stay found in sys.prefix
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            IPYTHONDIR=str(home / "ipython"),
        )
        # No "get notified about Jupyter news?" question over the screenshots.
        settings = home / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        self.log = (folder.parent / "jupyterlab.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyterlab",
                "--no-browser",
                "--ServerApp.open_browser=False",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                "--allow-root",  # CI runs as root
                "--ServerApp.terminals_enabled=False",
                f"--ServerApp.root_dir={folder}",
                f"--LabApp.workspaces_dir={home / 'workspaces'}",
                "--LabApp.expose_app_in_browser=True",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.news_url=",
                "--LabApp.extension_manager=readonly",  # no look-ups on PyPI
            ],
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its kernels too: stop() ends the whole group
        )

    def wait_until_up(self, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/status?token={self.token}") as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"JupyterLab did not answer on {self.base} in {seconds} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server shuts its kernels down
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


@contextmanager
def laptop_page() -> Iterator[Any]:
    """A page of headless Chromium in a 1280x720 window; the browser closes after."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 720})
        finally:
            browser.close()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[JupyterLab]:
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(NOTEBOOK, folder / "widget_tour.ipynb")
    yield from serving(folder)


# A notebook as a student gets it: run once and saved with its outputs.
SAVED_CELLS = [
    "from engine import Stepper, Value, draw\n"
    "x1, x2 = Value(2.0, label='x1'), Value(0.0, label='x2')\n"
    "w1, w2 = Value(-3.0, label='w1'), Value(1.0, label='w2')\n"
    "b = Value(6.8813735870195432, label='b')\n"
    "o = (x1 * w1 + x2 * w2 + b).tanh()\n"
    "o.label = 'o'\n"
    "draw(o)",
    "stepper = Stepper(o)\nstepper.next()\nstepper",
    "chain = x1\nfor _ in range(12):\n    chain = chain.tanh()\ndraw(chain)",  # scrolls in its cell
]


@pytest.fixture
def saved_lab(tmp_path: Path) -> Iterator[JupyterLab]:
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    folder = tmp_path / "saved"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in SAVED_CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(execute(notebook, timeout=120), folder / "saved.ipynb")  # not signed: untrusted
    yield from serving(folder)


def serving(folder: Path) -> Iterator[JupyterLab]:
    server = JupyterLab(folder)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


RED_NODE = """() => {
    const node = document.querySelector('.stepgrad-stepper .stepgrad-drawing g.current');
    if (!node || node.querySelector('polygon, path').getAttribute('fill') !== '%s') {
        return null;
    }
    return node.querySelector('text').textContent;
}""" % CURRENT_COLOUR

# Text on screen, in CSS px: the SVG font size times the scale the page shows it at.
# The Stepper's current node: its size, and whether it is inside the view and the window.
CURRENT_NODE = """() => {
    const view = document.querySelector('.stepgrad-stepper .stepgrad-drawing');
    const text = view.querySelector('g.current text');
    const box = view.getBoundingClientRect(), onScreen = text.getBoundingClientRect();
    return {
        px: parseFloat(text.getAttribute('font-size')) * onScreen.height / text.getBBox().height,
        inView: onScreen.left >= box.left && onScreen.right <= box.right
            && onScreen.top >= box.top && onScreen.bottom <= box.bottom
            && onScreen.top >= 0 && onScreen.bottom <= window.innerHeight,
    };
}"""
# A drawing's picture (an <img> of the SVG, engine/views/web drawing_html): its size on
# screen, its smallest text (the SVG's smallest font size times the scale the image is
# shown at: on-screen width / the SVG's viewBox width), and whether it is wider than its
# cell (it scrolls there).
DRAWING = """(image) => {
    const svg = new DOMParser().parseFromString(
        atob(image.src.slice(image.src.indexOf(',') + 1)), 'image/svg+xml').documentElement;
    const sizes = Array.from(svg.querySelectorAll('text'), (t) => parseFloat(t.getAttribute('font-size')));
    const shown = image.getBoundingClientRect();
    const box = image.parentElement;
    const cell = image.closest('.jp-OutputArea-output').getBoundingClientRect();
    return {
        loaded: image.complete && image.naturalWidth > 0,
        width: shown.width,
        px: Math.min(...sizes) * shown.width / svg.viewBox.baseVal.width,
        fits: shown.width <= cell.width + 1,
        scrolls: box.scrollWidth > box.clientWidth && getComputedStyle(box).overflowX === 'auto',
        pageSideways: document.scrollingElement.scrollWidth > window.innerWidth,
    };
}"""


def readable_drawing(page: Any, image: Any, where: str) -> dict[str, Any]:
    """DRAWING's measure of `image` once it is in view and loaded, checked: it
    loaded, is at least 300 px wide, its text is at least 11 px, and it fits
    its cell or scrolls inside it without the page scrolling sideways."""
    image.scroll_into_view_if_needed()
    page.wait_for_function("(image) => image.complete", arg=image.element_handle())
    shown: dict[str, Any] = image.evaluate(DRAWING)
    print(f"{where}:", shown)
    assert shown["loaded"] and shown["width"] >= 300, shown
    assert shown["px"] >= 11 and (shown["fits"] or shown["scrolls"]), shown
    assert not shown["pageSideways"], shown
    return shown


NARRATION_STYLE = """() => {
    const style = getComputedStyle(document.querySelector('.stepgrad-stepper .stepgrad-narration'));
    return {size: parseFloat(style.fontSize), colour: style.color};
}"""


def saved_steppers_picture(path: Path, step: str, seconds: float = 20.0) -> bool:
    """Whether the Stepper's saved picture in the notebook file shows `step` (once saved)."""
    import nbformat

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        notebook = nbformat.read(path, as_version=4)
        (cell,) = [c for c in notebook.cells if c.source.startswith("stepper = Stepper(o)")]
        if cell.outputs and step in cell.outputs[-1].get("data", {}).get("text/html", ""):
            return True
        time.sleep(0.3)
    return False


def test_a_teacher_runs_the_notebook_and_steps_in_jupyterlab(
    lab: JupyterLab, tmp_path: Path
) -> None:
    with laptop_page() as page:
        page.set_default_timeout(20_000)
        page.goto(f"{lab.base}/lab/tree/widget_tour.ipynb?token={lab.token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=30_000)
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.commands"
            ".isEnabled('notebook:run-all-cells')",
            timeout=30_000,
        )
        # A fresh JupyterLab may ask which kernel to start: the notebook's own, python3.
        dialog = page.locator(".jp-Dialog .jp-mod-accept")
        try:
            dialog.click(timeout=5_000)
        except playwright_api.TimeoutError:
            pass  # no question asked: the kernel started by itself
        # (Not awaited: the command's promise settles only when every cell has run.)
        page.evaluate(
            "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"
        )

        # The last cell's playground appears once every cell before it has run.
        page.wait_for_selector(".stepgrad-live-training", timeout=90_000)  # a loaded machine
        stepper = page.locator(".stepgrad-stepper")
        narration = stepper.locator(".stepgrad-narration")
        # JupyterLab skips painting cells outside the window (content-visibility),
        # so their text reads as empty: look at the Stepper as a teacher would.
        stepper.scroll_into_view_if_needed()
        # Widgets render their views a moment after the cell's output arrives.
        page.wait_for_function(
            "() => { const n = document.querySelector('.stepgrad-stepper .stepgrad-narration');"
            " return n && n.textContent.includes('step 1 of'); }",
            timeout=15_000,
        )
        assert "step 1 of 5: o = tanh(n)" in (narration.text_content() or "")  # stepper.next() ran
        page.wait_for_selector(".stepgrad-stepper .stepgrad-drawing g.current")
        before = page.evaluate(RED_NODE)
        assert before == "o"  # the step of o: the output is red
        page.locator(".stepgrad-stepper .stepgrad-drawing").scroll_into_view_if_needed()
        page.wait_for_timeout(800)  # the view moves to the step in 350 ms
        measured = page.evaluate(CURRENT_NODE)
        print("Stepper, step 1, current node:", measured)
        assert measured["px"] >= 14 and measured["inView"], measured
        page.screenshot(path=str(tmp_path / "stepper-step-1.png"), **STILL)

        stepper.locator("button.stepgrad-next").click()
        page.wait_for_function(
            "() => document.querySelector('.stepgrad-stepper .stepgrad-narration')"
            ".textContent.includes('step 2 of 5')",
            timeout=15_000,
        )
        page.wait_for_function("() => (%s)() === 'n'" % RED_NODE)
        after = page.evaluate(RED_NODE)
        assert after == "n" and after != before  # the red node moved down to n
        page.wait_for_timeout(800)
        measured = page.evaluate(CURRENT_NODE)
        print("Stepper, step 2, current node:", measured)
        assert measured["px"] >= 14 and measured["inView"], measured
        text = narration.text_content() or ""
        assert "step 2 of 5: n = " in text and "b.grad += n.grad" in text
        assert stepper.locator(".stepgrad-drawing svg").count() == 1
        # The output after the widget, the picture a saved notebook shows, follows the
        # click; it is hidden while the widget is live (no second picture on screen).
        saved = page.locator(".stepgrad-saved-picture")
        playwright_api.expect(saved).to_contain_text("step 2 of 5: n = ")
        assert saved.count() == 1 and not saved.is_visible()
        # Saved now, the notebook file keeps that picture: the step clicked to.
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        assert saved_steppers_picture(tmp_path / "class" / "widget_tour.ipynb", "step 2 of 5")
        stepper.screenshot(path=str(tmp_path / "stepper-step-2.png"), **STILL)
        page.screenshot(path=str(tmp_path / "notebook-step-2.png"), **STILL)

        # In a notebook the wheel scrolls the notebook; Ctrl + wheel zooms the graph.
        # "Whole graph" shows it all, the current node still marked.
        view = stepper.locator(".stepgrad-drawing")
        view.scroll_into_view_if_needed()
        box = view.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        before = page.evaluate(CURRENT_NODE)["px"]
        page.mouse.wheel(0, 120)
        page.wait_for_timeout(300)
        assert page.evaluate(CURRENT_NODE)["px"] == pytest.approx(before)
        page.keyboard.down("Control")
        page.mouse.wheel(0, 300)
        page.keyboard.up("Control")
        page.wait_for_timeout(300)
        assert page.evaluate(CURRENT_NODE)["px"] < before
        view.locator(".stepgrad-graph-whole").click()
        page.wait_for_timeout(800)
        stepper.screenshot(path=str(tmp_path / "stepper-whole-graph.png"), **STILL)
        assert page.evaluate(RED_NODE) == "n"
        view.locator(".stepgrad-graph-whole").click()  # back to following the step

        # Presentation Mode enlarges the Stepper's text and its graph's; the dark
        # theme recolours the text.
        plain = page.evaluate(NARRATION_STYLE)
        page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-presentation-mode')")
        page.wait_for_function(
            "(size) => parseFloat(getComputedStyle(document.querySelector("
            "'.stepgrad-stepper .stepgrad-narration')).fontSize) > size",
            arg=plain["size"],
        )
        page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-presentation-mode')")
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        page.wait_for_function(
            "(colour) => getComputedStyle(document.querySelector("
            "'.stepgrad-stepper .stepgrad-narration')).color !== colour",
            arg=plain["colour"],
            timeout=20_000,
        )
        stepper.scroll_into_view_if_needed()
        stepper.screenshot(path=str(tmp_path / "stepper-dark.png"), **STILL)
        page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")

        # draw(o) fits its cell, or scrolls inside it, with text of 11 px or more.
        drawing = page.locator(".jp-OutputArea-output .stepgrad-drawing > img").first
        drawing.scroll_into_view_if_needed()
        shown = drawing.evaluate(DRAWING)
        print("draw(o) in its cell:", shown)
        assert shown["loaded"] and shown["px"] >= 11, shown
        assert shown["fits"] or shown["scrolls"], shown
        assert not shown["pageSideways"], shown
        page.screenshot(path=str(tmp_path / "draw-in-cell.png"), **STILL)

        # The playground trains in the background, so its Stop button is heard.
        playground = page.locator(".stepgrad-live-training")
        playground.scroll_into_view_if_needed()
        # Before Start: no broken image (the curves are hidden until there are some).
        broken = playground.evaluate(
            "(element) => Array.from(element.querySelectorAll('img')).filter((image) =>"
            " image.offsetParent !== null && !(image.complete && image.naturalWidth > 0))"
            ".length"
        )
        assert broken == 0
        playground.locator("button", has_text="Start").click()
        page.wait_for_function(
            "() => document.querySelector('.stepgrad-live-training')"
            ".textContent.includes('step ')",
            timeout=20_000,
        )
        playground.locator("button", has_text="Stop").click()
        page.wait_for_function(
            "() => document.querySelector('.stepgrad-live-training')"
            ".textContent.includes('stopped at step')",
            timeout=20_000,
        )
        text = playground.inner_text()
        assert "loss" in text and "History(" not in text  # a status line for people
        # After Stop the same network can go on training.
        playwright_api.expect(
            playground.locator("button", has_text="Continue")
        ).to_be_enabled()
        playground.screenshot(path=str(tmp_path / "playground-stopped.png"), **STILL)
    shots = ("stepper-step-1.png", "stepper-step-2.png", "notebook-step-2.png",
             "stepper-whole-graph.png", "stepper-dark.png", "draw-in-cell.png", "playground-stopped.png")
    for name in shots:
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    keep_screenshots(tmp_path)


def test_a_saved_notebook_shows_its_drawings_before_it_runs(
    saved_lab: JupyterLab, tmp_path: Path
) -> None:
    with laptop_page() as page:
        page.set_default_timeout(20_000)
        page.goto(f"{saved_lab.base}/lab/tree/saved.ipynb?token={saved_lab.token}")
        page.wait_for_selector(".jp-Notebook .jp-OutputArea-output", timeout=30_000)
        # Opened, not run: JupyterLab trusts none of its outputs.
        trusted = page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.widgets"
            ".map((cell) => cell.model.trusted)"
        )
        assert trusted == [False] * len(SAVED_CELLS), trusted
        images = page.locator(".jp-OutputArea-output .stepgrad-drawing > img")
        # draw(o)'s drawing, the Stepper's (its static picture: an untrusted
        # output shows no widget) and a drawing too wide for the cell.
        playwright_api.expect(images).to_have_count(3)
        assert page.locator(".jp-OutputArea-output .stepgrad-stepper-view img").count() == 1
        for index, name in enumerate(["draw", "stepper", "wide"]):
            where = f"{name} in a saved notebook, untrusted"
            shown = readable_drawing(page, images.nth(index), where)
            assert shown["scrolls"] == (name == "wide"), shown  # its min-width was kept
            page.screenshot(path=str(tmp_path / f"saved-{name}.png"), **STILL)
    for name in ("saved-draw.png", "saved-stepper.png", "saved-wide.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    keep_screenshots(tmp_path, "saved-*.png")


@pytest.mark.parametrize("name", DRAWN)
def test_a_lessons_static_page_shows_its_drawings(name: str, tmp_path: Path) -> None:
    """nbconvert's HTML page of a saved lesson (no Jupyter, no kernel) in a 1280x720 window."""
    nbformat = pytest.importorskip("nbformat")
    exporter = pytest.importorskip("nbconvert").HTMLExporter()
    page_file = tmp_path / f"{name}.html"
    notebook = nbformat.read(ROOT / "demos" / f"{name}.ipynb", as_version=4)
    page_file.write_text(exporter.from_notebook_node(notebook)[0], encoding="utf-8")
    with laptop_page() as page:
        page.route("http*://**", lambda route: route.abort())  # offline: no CDN scripts
        page.goto(page_file.as_uri())
        images = page.locator(".jp-OutputArea-output .stepgrad-drawing > img")
        assert images.count() >= 2
        for index in range(images.count()):
            readable_drawing(page, images.nth(index), f"{name}, drawing {index + 1}, static page")
            page.screenshot(path=str(tmp_path / f"static-{name}-{index + 1}.png"))
    keep_screenshots(tmp_path, "static-*.png")
