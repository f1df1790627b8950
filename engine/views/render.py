"""Turning DOT text into a picture (SVG or PNG), with or without a system Graphviz.

A drawing (see `engine/views/drawing.py`) is DOT text: a description of boxes and
arrows. Something has to lay it out and paint it. This module finds that
something and runs it:

1. a system Graphviz `dot` on your PATH, if you installed one, else
2. `graphviz-pure`, a standalone port of Graphviz that installing stepgrad
   (`pip install .`) brings along, so pictures work on a fresh laptop with nothing else installed.

Both read DOT on stdin and write the picture on stdout (`dot -Tsvg`), so the
rest of stepgrad never needs to know which one it got.

>>> svg = render_dot("digraph { a -> b }", "svg")
>>> svg.lstrip().startswith(b"<?xml")
True
>>> render_dot("digraph { a -> b }", "png")[:8]
b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Protocol, Union

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
RENDER_TIMEOUT = 120.0

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


def render_dot(source: str, format: str = "svg", *, engine: str | None = None) -> bytes:
    """Render DOT text to picture bytes in `format` ("svg" or "png", also "jpeg").

    `engine` picks a Graphviz layout engine ("dot", the default, draws
    graphs in ranks; "neato" and friends place nodes by physics).
    """
    check_choice("format", format, RENDER_FORMATS)
    command = [find_renderer(), f"-T{format}"]
    if format != "svg":
        command.append(f"-Gsize={RASTER_MAX_INCHES},{RASTER_MAX_INCHES}")
        command.append(f"-Gdpi={RASTER_DPI}")
    if engine is not None:
        command.append(f"-K{engine}")
    try:
        finished = subprocess.run(
            command,
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=RENDER_TIMEOUT,
            check=False,
            preexec_fn=_limit_memory if os.name == "posix" else None,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"{command[0]} took more than {RENDER_TIMEOUT:g} s to render the drawing; "
            "draw a smaller graph (e.g. draw(root, collapse=True))"
        ) from None
    if finished.returncode != 0:
        message = finished.stderr.decode("utf-8", errors="replace").strip()
        if finished.returncode < 0 or "memory" in message.lower():
            first_line = message.splitlines()[0] if message else "stopped"
            message = (
                f"{first_line} (the renderer may use at most "
                f"{RENDER_MEMORY_LIMIT / 1024**2:.0f} MB: draw a smaller graph, "
                "e.g. draw(root, collapse=True))"
            )
        raise RenderError(
            f"{command[0]} could not render the drawing as {format} "
            f"(exit status {finished.returncode}): {message}"
        )
    return finished.stdout


def _limit_memory() -> None:
    """Run in the renderer's process before it starts: cap its memory."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (RENDER_MEMORY_LIMIT, RENDER_MEMORY_LIMIT))


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
        content = render_dot(source, format)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, content)
    return target
