"""The command line's words: a mistake in them, and `NAME=VALUE` inputs.

Shared by the `stepgrad` command (`cli.py`), its run folders (`runfolder.py`)
and `stepgrad serve` (`classroom/`), so that each of them reports a mistake
the same way: `main()` prints a `CommandLineError` (folded at 80 columns by
`error_lines()`) and exits 2.
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from typing import Sequence


class CommandLineError(Exception):
    """A mistake on the command line; `main()` prints it and exits 2.

    `details` are extra lines printed under the message (e.g. a formula
    with a caret under the mistake).
    """

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


ERROR_WIDTH = 80  # terminal text fits 80 columns, whatever the terminal


def error_lines(message: str, width: int = ERROR_WIDTH) -> str:
    """`message` folded between words to lines of at most `width` columns.

    Lines after the first are indented two spaces, so the eye sees one
    message; a word is never broken (not even `--hidden` at its hyphen), so
    a word longer than a line stands alone on its line.

    >>> print(error_lines("stepgrad train: error: argument --steps: '0' must be at least 1", 40))
    stepgrad train: error: argument --steps:
      '0' must be at least 1
    >>> error_lines("short enough")
    'short enough'
    """
    return textwrap.fill(
        message,
        width,
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def parse_assignments(texts: Sequence[str]) -> dict[str, float]:
    """`["x=2", "w=-3"]` -> `{"x": 2.0, "w": -3.0}`, naming any bad argument.

    >>> parse_assignments(["x=2", "w=-3.5"])
    {'x': 2.0, 'w': -3.5}
    >>> parse_assignments(["x2"])
    Traceback (most recent call last):
    ...
    nn.apps.arguments.CommandLineError: bad input 'x2': write NAME=VALUE, e.g. x=2.0
    """
    values: dict[str, float] = {}
    for text in texts:
        name, equals, number = text.partition("=")
        # Python reads names in a formula in NFKC form (a full-width x is x): so do we.
        name, number = unicodedata.normalize("NFKC", name.strip()), number.strip()
        if not equals or not name:
            raise CommandLineError(f"bad input {text!r}: write NAME=VALUE, e.g. x=2.0")
        if not name.isidentifier():
            raise CommandLineError(f"bad input {text!r}: {name!r} is not a name like x or w1")
        if name in values:
            raise CommandLineError(f"bad input {text!r}: {name} is given twice")
        try:
            value = float(number)
        except ValueError:
            raise CommandLineError(f"bad input {text!r}: {number!r} is not a number") from None
        if not math.isfinite(value):
            raise CommandLineError(f"bad input {text!r}: the value must be a finite number")
        values[name] = value
    return values
