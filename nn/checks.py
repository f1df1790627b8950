"""The argument checks of `nn`: the engine's shared checks, and two of its own.

Every public function of `nn` checks what it is given with these, so that one
kind of mistake is always told in the same words (see `engine.checks`):

>>> check_count("steps", 0)
Traceback (most recent call last):
...
ValueError: steps must be a whole number >= 1, not 0
>>> check_layer_sizes([16, 0, 1])
Traceback (most recent call last):
...
ValueError: nouts[1] must be a whole number >= 1, not 0
"""

from __future__ import annotations

from typing import Sized

from engine.checks import check_choice, check_count, check_flag, check_number, shown

__all__ = [
    "check_choice",
    "check_count",
    "check_flag",
    "check_layer_sizes",
    "check_number",
    "check_one_label_per_row",
    "shown",
]


def check_layer_sizes(nouts: object) -> list[int]:
    """Return `nouts` as a list if it is a non-empty list of sizes >= 1, else raise naming it."""
    if not isinstance(nouts, (list, tuple)) or not nouts:
        raise TypeError(
            f"nouts must be a non-empty list of layer sizes such as [16, 16, 1], not {shown(nouts)}"
        )
    return [check_count(f"nouts[{i}]", size) for i, size in enumerate(nouts)]


def check_one_label_per_row(X: Sized, y: Sized) -> None:
    """Raise ValueError unless there are rows and exactly one label per row."""
    if len(X) != len(y):
        raise ValueError(
            f"X has {len(X)} rows but y has {len(y)} labels: they must have one label per row"
        )
    if len(X) == 0:
        raise ValueError("there is no data: X and y are empty")
