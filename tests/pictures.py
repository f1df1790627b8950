"""The drawings in a page of HTML: `web.drawing_html` puts each in an <img> as a data: URI.

Shared by the tests that look inside a notebook's or a Stepper's HTML.
"""

from __future__ import annotations

import base64
import re

# (Attributes in any order: nbconvert's pages write them sorted.)
_IMAGE = re.compile(r'<img\b[^>]*?\bsrc="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


def svgs_in(page: str) -> list[str]:
    """The SVG text of every drawing in `page`, decoded from its image's data: URI."""
    return [base64.b64decode(found).decode("utf-8") for found in _IMAGE.findall(page)]
