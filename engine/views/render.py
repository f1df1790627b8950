"""Turning DOT text into a picture (SVG or PNG), with or without a system Graphviz.

A drawing (see `engine/views/drawing.py`) is DOT text: a description of boxes and
arrows. Something has to lay it out and paint it. This module finds that
something and runs it:

1. a system Graphviz `dot` on your PATH, if you installed one, else
2. `graphviz-pure`, a standalone port of Graphviz that installing stepgrad
   (`pip install .`) brings along, so pictures work on a fresh laptop with nothing else installed.

Both read DOT on stdin and write the picture on stdout (`dot -Tsvg`), so the
rest of stepgrad never needs to know which one it got.

A short formula can be an expensive drawing (`x+x+...+x` with 150 terms
takes the layout minutes), so every render has a budget: it runs in a child
process that is stopped after `timeout` seconds (`TooBigToDraw`, a plain
message) or when it takes too much memory, and that never outlives this
Python: on Linux the system stops it when its parent dies, and everywhere
`stop_renderers()` (called at exit) stops any still running.

>>> svg = render_dot("digraph { a -> b }", "svg")
>>> svg.lstrip().startswith(b"<?xml")
True
>>> render_dot("digraph { a -> b }", "png")[:8]
b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path
from typing import Callable, Protocol, Union

from engine.checks import check_choice
from engine.files import write_atomic

# Formats both renderers can produce.
RENDER_FORMATS = ("svg", "png", "jpeg", "jpg")

# What `save_drawing()` writes for each file suffix: a rendered picture, or the DOT text itself.
SAVE_FORMATS = {
    ".svg": "svg",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".dot": "dot",
    ".gv": "dot",
}

# Seconds before a renderer is stopped: a lecture should never hang on a drawing.
# A layout that takes longer than this is too big to read anyway.
RENDER_TIMEOUT = 30.0

# The most memory a renderer may take (on Linux and macOS): a drawing too big
# to read must not take the laptop's memory with it.
RENDER_MEMORY_LIMIT = 2 * 1024**3

# A PNG or JPEG is at most this many inches on a side, at 96 dots per inch:
# 3840 pixels, a 4K screen. A bigger layout is scaled down to fit, so that no
# picture takes gigabytes to paint; SVG is not limited (it is text).
RASTER_MAX_INCHES = 40
RASTER_DPI = 96


class RendererNotFound(RuntimeError):
    """Neither a system `dot` nor the bundled `graphviz-pure` could be found."""


class RenderError(RuntimeError):
    """The renderer ran but could not turn the DOT text into a picture."""


class TooBigToDraw(ValueError):
    """The renderer did not finish within its time budget, so it was stopped.

    A ValueError: the graph given is too big (as `draw()` refuses one with
    more than `max_nodes` Values); the fix is a smaller graph.
    """


class HasDotSource(Protocol):
    """Anything with DOT text in `.source`, such as a drawing from `engine.views.drawing`."""

    @property
    def source(self) -> str: ...


def find_renderer() -> str:
    """The path of the program that will render DOT: system `dot` first.

    Looks for `dot` on PATH, then for `graphviz-pure` next to this Python
    (the scripts folder of the virtual environment it was installed into),
    then for `graphviz-pure` on PATH.
    """
    system_dot = shutil.which("dot")
    if system_dot is not None:
        return system_dot
    scripts_folder = sysconfig.get_path("scripts")
    for search_path in (scripts_folder, None):
        bundled = shutil.which("graphviz-pure", path=search_path)
        if bundled is not None:
            return bundled
    raise RendererNotFound(
        "cannot draw a picture: no Graphviz renderer found (neither 'dot' on PATH "
        f"nor 'graphviz-pure' in {scripts_folder}). Reinstall stepgrad with "
        "`pip install .` in its folder (it brings graphviz-pure), or `pip install graphviz-pure`, "
        "or install Graphviz from https://graphviz.org/download/"
    )


def render_dot(
    source: str,
    format: str = "svg",
    *,
    engine: str | None = None,
    timeout: float | None = None,
    what: str = "this drawing",
) -> bytes:
    """Render DOT text to picture bytes in `format` ("svg" or "png", also "jpeg").

    `engine` picks a Graphviz layout engine ("dot", the default, draws
    graphs in ranks; "neato" and friends place nodes by physics). The
    renderer is stopped after `timeout` seconds (default `RENDER_TIMEOUT`),
    raising `TooBigToDraw` with a message that names `what` (e.g. "150 Values").
    """
    check_choice("format", format, RENDER_FORMATS)
    seconds = RENDER_TIMEOUT if timeout is None else timeout
    command = [find_renderer(), f"-T{format}"]
    if format != "svg":
        command.append(f"-Gsize={RASTER_MAX_INCHES},{RASTER_MAX_INCHES}")
        command.append(f"-Gdpi={RASTER_DPI}")
    if engine is not None:
        command.append(f"-K{engine}")
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_prepare_child() if os.name == "posix" else None,
    )
    with _RUNNING_LOCK:
        _RUNNING.add(process)
    try:
        picture, errors = process.communicate(source.encode("utf-8"), timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise TooBigToDraw(
            f"too big to draw in time: {what} (over {seconds:g} s); draw a smaller graph"
        ) from None
    except BaseException:  # Ctrl-C, or anything else: the renderer stops with us
        process.kill()
        process.wait()
        raise
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(process)
    if process.returncode != 0:
        message = errors.decode("utf-8", errors="replace").strip()
        if process.returncode < 0 or "memory" in message.lower():
            first_line = message.splitlines()[0] if message else "stopped"
            message = (
                f"{first_line} (the renderer may use at most "
                f"{RENDER_MEMORY_LIMIT / 1024**2:.0f} MB: draw a smaller graph, "
                "e.g. draw(root, collapse=True))"
            )
        raise RenderError(
            f"{command[0]} could not render the drawing as {format} "
            f"(exit status {process.returncode}): {message}"
        )
    return picture


# The renderers running now, so that none outlives this Python (see stop_renderers).
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()


def stop_renderers() -> None:
    """Stop every renderer this Python started that is still running.

    Called at exit, and by the classroom server when it stops: a drawing
    that is no longer wanted must not go on taking a core.
    """
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for process in running:
        if process.poll() is None:
            process.kill()


atexit.register(stop_renderers)


# Linux's prctl() option that sends the child a signal when its parent dies.
PR_SET_PDEATHSIG = 1


def _prepare_child() -> Callable[[], None]:
    """What the renderer's process does before it starts (on POSIX): cap its
    memory and, on Linux, ask to be killed when its parent dies.

    Everything is looked up here, before the fork, so that the child only
    makes system calls.
    """
    import resource

    limit = RENDER_MEMORY_LIMIT
    parent = os.getpid()
    prctl = None
    if sys.platform.startswith("linux"):
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl

    def prepare() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return prepare


def save_drawing(drawing: HasDotSource | str, path: Union[str, os.PathLike[str]]) -> Path:
    """Write a drawing to `path`; the suffix picks the format (.svg, .png, .dot, ...).

    `drawing` is a drawing from `engine.draw()` (or any object with DOT text
    in `.source`, or the DOT text itself). Only the file you name is written:
    no DOT file is left beside the picture. The write is atomic: the picture
    goes to a temporary file in the same folder and is then renamed over
    `path`, so a reader never sees half a file.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> save_drawing("digraph { a -> b }", os.path.join(folder, "graph.svg")).name
    'graph.svg'
    >>> os.listdir(folder)
    ['graph.svg']
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SAVE_FORMATS:
        raise ValueError(
            f"cannot save a drawing as {str(target)!r}: unknown suffix {suffix or '(none)'!r}; "
            f"use one of {', '.join(sorted(SAVE_FORMATS))}"
        )
    source = drawing if isinstance(drawing, str) else drawing.source
    format = SAVE_FORMATS[suffix]
    if format == "dot":
        content = source.encode("utf-8")
    else:
        values = getattr(drawing, "values_drawn", 0)
        content = render_dot(source, format, what=f"{values} Values" if values else "this drawing")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, content)
    return target
