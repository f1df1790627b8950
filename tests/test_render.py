"""Rendering drawings (engine/views/render.py and GraphDrawing): no system Graphviz needed."""

from __future__ import annotations

import io
import os
import shutil
import sys
import sysconfig
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from cli_errors import read_error
from pictures import svgs_in
from PIL import Image

from engine import Value, draw
from engine.views import render as render_module
from engine.views.render import (
    RendererNotFound,
    RenderError,
    find_renderer,
    render_dot,
    save_drawing,
)

SMALL_DOT = "digraph { a -> b }"


def neuron_drawing() -> object:
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    b = Value(6.8813735870195432, label="b")
    output = (x * w + b).tanh()
    output.backward()
    return draw(output, edge_labels=True)


@pytest.fixture
def no_system_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH without any folder that holds a `dot` program."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    kept = [folder for folder in folders if shutil.which("dot", path=folder) is None]
    monkeypatch.setenv("PATH", os.pathsep.join(kept))
    assert shutil.which("dot") is None


@pytest.fixture
def fake_system_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `dot` on PATH that answers every request with a recognisable fake picture."""
    if sys.platform == "win32":
        pytest.skip("the fake dot is a shell script")
    folder = tmp_path / "fake-graphviz"
    folder.mkdir()
    fake = folder / "dot"
    fake.write_text("#!/bin/sh\ncat > /dev/null\necho \"<svg>fake system dot $1</svg>\"\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return fake


def assert_is_svg(picture: bytes | str) -> None:
    data = picture.encode("utf-8") if isinstance(picture, str) else picture
    assert ElementTree.fromstring(data).tag == "{http://www.w3.org/2000/svg}svg"


def assert_is_png(picture: bytes) -> None:
    with Image.open(io.BytesIO(picture)) as image:
        assert image.format == "PNG"
        assert image.width > 50 and image.height > 20


# ------------------------------------------------------------------ finding a renderer


def test_renders_svg_and_png_with_no_dot_on_path(no_system_dot: None) -> None:
    assert "graphviz-pure" in Path(find_renderer()).name
    assert_is_svg(render_dot(SMALL_DOT, "svg"))
    assert_is_png(render_dot(SMALL_DOT, "png"))


def test_a_system_dot_is_preferred(fake_system_dot: Path) -> None:
    assert find_renderer() == str(fake_system_dot)
    assert render_dot(SMALL_DOT, "svg") == b"<svg>fake system dot -Tsvg</svg>\n"
    assert neuron_drawing().pipe(format="png") == b"<svg>fake system dot -Tpng</svg>\n"


def test_no_renderer_at_all_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    with pytest.raises(RendererNotFound, match="pip install graphviz-pure"):
        render_dot(SMALL_DOT)


def test_a_renderer_failure_and_a_bad_format_are_clear_errors(no_system_dot: None) -> None:
    with pytest.raises(RenderError, match="could not render the drawing as svg"):
        render_dot("digraph { a -> }", "svg")
    with pytest.raises(ValueError, match="'pdf'.*'svg', 'png', 'jpeg', 'jpg'"):
        render_dot(SMALL_DOT, "pdf")


# ------------------------------------------------------------------ the drawing object


def test_drawing_pipe_renders_without_dot(no_system_dot: None) -> None:
    drawing = neuron_drawing()
    assert_is_svg(drawing.pipe(format="svg"))
    assert_is_png(drawing.pipe(format="png"))
    text = drawing.pipe(format="svg", encoding="utf-8")
    assert isinstance(text, str) and "data 0.7071" in text
    assert drawing.pipe() == drawing.pipe(format="svg")  # svg by default
    with pytest.raises(TypeError, match="renderer"):  # graphviz's other options are not taken
        drawing.pipe(format="svg", renderer="cairo")


def test_a_drawing_in_the_repl_says_how_to_see_it(tmp_path: Path) -> None:
    drawing = neuron_drawing()
    shown = repr(drawing)
    assert shown == '<GraphDrawing, 6 Values: to see it, .save("graph.png")>'
    assert len(shown) <= 80
    assert drawing.save(tmp_path / "graph.png") == tmp_path / "graph.png"
    assert_is_png((tmp_path / "graph.png").read_bytes())


def test_a_png_is_never_bigger_than_a_4k_screen() -> None:
    # 300 boxes in a row: about 300 inches wide at its natural size.
    dot = "digraph { rankdir=LR; " + " -> ".join(f"n{i}" for i in range(300)) + " }"
    with Image.open(io.BytesIO(render_dot(dot, "png"))) as image:
        assert max(image.size) <= render_module.RASTER_MAX_INCHES * 96
    # SVG is text: it keeps its natural size.
    assert b'width="' in render_dot(dot, "svg")


@pytest.mark.skipif(os.name != "posix", reason="memory limits are set on POSIX only")
def test_a_renderer_that_needs_too_much_memory_is_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    big_box = "digraph { a [width=50 height=50] }"  # painted at 3840 x 3840: 59 MB
    monkeypatch.setattr(render_module, "RENDER_MEMORY_LIMIT", 30 * 1024**2)
    with pytest.raises(RenderError, match="draw a smaller graph"):
        render_dot(big_box, "png")
    # Its own size and dpi cannot make a picture bigger than the cap either.
    monkeypatch.setattr(render_module, "RENDER_MEMORY_LIMIT", 2 * 1024**3)
    huge = 'digraph { size="100,100!"; dpi=300; a -> b }'
    with Image.open(io.BytesIO(render_dot(huge, "png"))) as image:
        assert max(image.size) <= 3840


def test_jupyter_display(no_system_dot: None) -> None:
    drawing = neuron_drawing()
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert_is_svg(bundle["image/svg+xml"])
    page = drawing._repr_html_()  # JupyterLab shows this: it fits the cell, or scrolls
    assert "min-width" in page and "overflow-x: auto" in page
    assert "<svg" not in page  # no inline SVG: an untrusted notebook would strip it
    assert svgs_in(page) == [bundle["image/svg+xml"]]  # an image of the same drawing
    png_bundle = drawing._repr_mimebundle_(include=["image/png"])
    assert_is_png(png_bundle["image/png"])
    assert drawing._repr_svg_() == bundle["image/svg+xml"]


# ------------------------------------------------------------------ saving


@pytest.mark.parametrize("name", ["graph.svg", "graph.png", "graph.dot", "graph.gv"])
def test_save_writes_only_the_named_file(no_system_dot: None, tmp_path: Path, name: str) -> None:
    drawing = neuron_drawing()
    written = save_drawing(drawing, tmp_path / name)
    assert written == tmp_path / name
    assert sorted(os.listdir(tmp_path)) == [name]
    content = written.read_bytes()
    if name.endswith(".svg"):
        assert_is_svg(content)
    elif name.endswith(".png"):
        assert_is_png(content)
    else:
        assert content.decode("utf-8") == drawing.source
    assert (written.stat().st_mode & 0o777) == 0o644


def test_save_refuses_an_unknown_suffix(tmp_path: Path) -> None:
    valid = r"'\.pdf'; use one of \.dot, \.gv, \.jpeg, \.jpg, \.png, \.svg"
    with pytest.raises(ValueError, match=valid):
        save_drawing(neuron_drawing(), tmp_path / "graph.pdf")
    with pytest.raises(ValueError, match="'\\(none\\)'"):
        save_drawing(neuron_drawing(), tmp_path / "graph")
    assert os.listdir(tmp_path) == []


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "graph.dot"
    target.write_text("the old drawing")

    def broken_replace(source: str, destination: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(render_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save_drawing(neuron_drawing(), target)
    assert target.read_text() == "the old drawing"
    assert os.listdir(tmp_path) == ["graph.dot"]  # no temporary file left behind


def test_render_leaves_no_source_file_behind(
    no_system_dot: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    drawing = neuron_drawing()
    assert drawing.render("neuron.svg") == "neuron.svg"
    folder = tmp_path / "pictures"
    assert drawing.render(outfile=folder / "neuron.png") == str(folder / "neuron.png")
    assert sorted(os.listdir(tmp_path)) == ["neuron.svg", "pictures"]
    assert os.listdir(folder) == ["neuron.png"]
    assert_is_svg((tmp_path / "neuron.svg").read_bytes())
    assert_is_png((folder / "neuron.png").read_bytes())


# ------------------------------------------------------------------ budgets

# 299 characters whose drawing takes the layout minutes: every + points at the one x.
SLOW_FORMULA = "+".join(["x"] * 150)


def test_a_drawing_too_slow_to_lay_out_is_stopped_with_a_plain_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nn.apps.cli import main

    monkeypatch.setattr(render_module, "RENDER_TIMEOUT", 1.0)
    status = main(["step", SLOW_FORMULA, "x=1", "--graph", str(tmp_path / "g.svg")])
    message, under = read_error(capsys.readouterr().err)
    assert status != 0 and under == []  # one message (folded at 80 columns), no traceback
    assert "too big to draw in time: 150 Values" in message
    assert os.listdir(tmp_path) == []


def renderer_children(pid: int) -> list[int]:
    """The processes started by `pid`'s threads (Linux: /proc)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def process_is_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # a zombie has stopped: only its exit status is left


def started_renderers(pid: int) -> list[int]:
    """The renderers `pid` has started, once there is one (20 s at most)."""
    deadline = time.monotonic() + 20
    while not (renderers := renderer_children(pid)):
        assert time.monotonic() < deadline, "the renderer never started"
        time.sleep(0.05)
    return renderers


def wait_until_gone(renderers: list[int], what: str) -> None:
    """Wait (5 s at most) until every renderer has stopped; `what` says after what."""
    deadline = time.monotonic() + 5
    while not all(process_is_gone(pid) for pid in renderers):
        assert time.monotonic() < deadline, f"the renderer outlived {what}"
        time.sleep(0.05)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_renderer_never_outlives_its_python(signal_name: str) -> None:
    import signal
    import subprocess

    script = (
        "import threading\n"
        "from engine.expression import parse_expression\n"
        "from engine.views.drawing import draw\n"
        "from engine.views.render import render_dot\n"
        f"root = parse_expression({SLOW_FORMULA!r}).build({{'x': 1.0}})\n"
        "source = draw(root).source\n"
        "thread = threading.Thread(target=render_dot, args=(source,), daemon=True)\n"
        "thread.start()\n"
        "print('rendering', flush=True)\n"
        "thread.join()\n"
    )
    root = Path(__file__).resolve().parents[1]
    python = subprocess.Popen(
        [sys.executable, "-c", script], cwd=root, env=dict(os.environ, PYTHONPATH=str(root)),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    renderers: list[int] = []
    try:
        assert python.stdout is not None and python.stdout.readline() == b"rendering\n"
        renderers = started_renderers(python.pid)
        python.send_signal(getattr(signal, signal_name))
        python.wait(timeout=20)
        wait_until_gone(renderers, f"Python ({signal_name})")
    finally:
        python.kill()
        python.wait()
        for pid in renderers:  # if the test failed: leave nothing running
            if not process_is_gone(pid):
                os.kill(pid, signal.SIGKILL)
