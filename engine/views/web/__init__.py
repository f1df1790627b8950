"""The graph view for the browser: one front end for the classroom and the notebook.

`graph-view.js` shows a Graphviz drawing as inline SVG and follows the
step: it zooms to the node of the current step (the SVG group with class
`current`) and the children it adds to (class `updated`), so their text is as
big as the view's font-size, and moves there as the steps go on. A button
(or the key W) shows the whole graph; pinch, wheel and drag zoom and pan,
with Panzoom (MIT licence, vendored in `vendor/panzoom/`, no CDN).

- The classroom's page loads `page.js`, served under `/graph/` by
  `nn/apps/classroom/server.py`. The server draws each step twice, left
  to right and top to bottom (the output on top, narrow boxes); page.js
  shows the second on a screen held upright (a phone), and switches when
  the screen turns.
- The Stepper's widget in Jupyter (`engine/views/notebook.py`) hands the same
  files to an anywidget as text.

>>> sorted(FILES)[:3]
['graph-view.css', 'graph-view.js', 'page.js']
>>> read("graph-view.js").startswith(b"// stepgrad's graph view")
True
"""

from __future__ import annotations

import base64
import math
import re
from importlib import resources

# The files a page may ask for, and their content types. Nothing else is served.
FILES = {
    "graph-view.css": "text/css; charset=utf-8",
    "graph-view.js": "text/javascript; charset=utf-8",
    "page.js": "text/javascript; charset=utf-8",
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "vendor/panzoom/panzoom.es.js": "text/javascript; charset=utf-8",
    "vendor/panzoom/LICENSE.txt": "text/plain; charset=utf-8",
}


def read(name: str) -> bytes:
    """The bytes of one of the view's `FILES` (a KeyError for any other name)."""
    if name not in FILES:
        raise KeyError(f"{name!r} is not a file of the graph view; the files: {sorted(FILES)}")
    folder = resources.files(__name__)
    for part in name.split("/"):
        folder = folder / part
    return folder.read_bytes()


# The smallest text a drawing shown in a page may have, in CSS px: below it, it scrolls.
SMALLEST_TEXT_PX = 11.0
DRAWING_ALT = "a drawing of the computation graph"
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([0-9.]+)pt"')
_FONT_SIZE = re.compile(r'font-size="([0-9.]+)"')


def drawing_html(svg: str, smallest_text: float = SMALLEST_TEXT_PX) -> str:
    """A Graphviz SVG drawing as HTML that fits its box's width, or scrolls in it.

    The drawing shrinks to the width of the page (a notebook cell, say) but
    never so far that its smallest text is under `smallest_text` px; a wider
    drawing scrolls sideways inside its own box, so the page never does.

    The SVG goes in an `<img>`, as a `data:` URI, not inline: a notebook
    saved with its outputs and opened again is untrusted until it runs, and
    JupyterLab then cleans its HTML of any inline `<svg>`, leaving a run of
    words; an image with its size in plain CSS is kept. So it shows the same
    with or without a kernel, and in a page made by nbconvert.

    >>> svg = '<?xml version="1.0"?>\\n<svg width="1500pt" height="90pt" viewBox="0 0 1500 90">'
    >>> html = drawing_html(svg + '<text font-size="14.00">x</text></svg>')
    >>> "max-width: 2000px" in html, "min-width: 1179px" in html  # 1179 px: 11 px text
    (True, True)
    >>> source = html[html.find("base64,") + 7:html.find('" alt=')]
    >>> base64.b64decode(source).decode("utf-8") == svg + '<text font-size="14.00">x</text></svg>'
    True
    """
    width = _SVG_SIZE.search(svg)
    sizes = [float(size) for size in _FONT_SIZE.findall(svg)]
    if width is not None and sizes:
        natural = float(width.group(1)) * 4 / 3  # CSS px: 1pt = 4/3 px
        text_at_natural = min(sizes) * 4 / 3
        smallest_scale = min(1.0, smallest_text / text_at_natural)
        style = (
            f"width: 100%; max-width: {natural:.0f}px; "
            f"min-width: {math.ceil(natural * smallest_scale)}px; height: auto"
        )
    else:
        style = "max-width: 100%; height: auto"
    source = base64.b64encode(svg.encode("utf-8")).decode("ascii")  # the whole SVG file
    image = f'<img src="data:image/svg+xml;base64,{source}" alt="{DRAWING_ALT}" style="{style}">'
    return f'<div class="stepgrad-drawing" style="overflow-x: auto; max-width: 100%">{image}</div>'
