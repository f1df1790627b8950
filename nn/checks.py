"""Argument checks shared across `nn`: each error names the argument, the bad
value, and what it must be, so a typo is fixed without reading the source.

>>> check_count("steps", 0)
Traceback (most recent call last):
...
ValueError: steps=0 is too small: it must be at least 1
>>> check_choice("activation", "tahn", ("relu", "tanh"))
Traceback (most recent call last):
...
ValueError: unknown activation 'tahn'; choose one of 'relu', 'tanh'
"""

from __future__ import annotations

from typing import Sequence


def check_count(name: str, value: object, minimum: int = 1) -> int:
    """Return `value` if it is a whole number >= `minimum`, else raise naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{name} must be an int >= {minimum}, not {type(value).__name__} {value!r}"
        )
    if value < minimum:
        raise ValueError(f"{name}={value} is too small: it must be at least {minimum}")
    return value


def check_layer_sizes(nouts: object) -> list[int]:
    """Return `nouts` as a list if it is a non-empty list of sizes >= 1, else raise naming it."""
    if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
        raise TypeError(
            f"nouts must be a non-empty list of layer sizes such as [16, 16, 1], not {nouts!r}"
        )
    return [check_count(f"nouts[{i}]", size) for i, size in enumerate(nouts)]


def check_choice(kind: str, value: str, choices: Sequence[str]) -> str:
    """Return `value` if it is one of `choices`, else raise a ValueError listing them."""
    if value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"unknown {kind} {value!r}; choose one of {listed}")
    return value
