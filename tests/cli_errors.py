"""Reading what `stepgrad` prints on stderr for a mistake.

The message is folded at 80 columns between words (`nn.apps.arguments.
error_lines`), its later lines indented two spaces; a bad formula adds two
lines under it, the formula and a caret under the mistake.
"""

from __future__ import annotations

WIDTH = 80


def read_error(stderr: str) -> tuple[str, list[str]]:
    """(the message, its folded lines joined back; the lines under it: formula and caret).

    Checks on the way that the message's lines fit WIDTH columns (but a word
    longer than that, such as a long path, is never broken: it stands alone
    on its line) and that its later lines are indented.
    """
    lines = stderr.splitlines()
    has_caret = len(lines) >= 3 and lines[-1].strip() == "^"
    details = lines[-2:] if has_caret else []
    folded = lines[: len(lines) - len(details)]
    assert folded, f"no message in {stderr!r}"
    assert all(len(line) <= WIDTH or len(line.split()) == 1 for line in folded), stderr
    assert all(line.startswith("  ") for line in folded[1:]), stderr
    return " ".join(line.strip() for line in folded), details
