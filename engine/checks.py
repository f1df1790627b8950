"""The checks at the boundaries: one wording per kind of mistake.

Public functions check their arguments where they enter, with these helpers,
and trust them inside. Every error names the argument, shows the bad value
and says what it must be, so a typo is fixed without reading the source.

>>> check_count("steps", 0)
Traceback (most recent call last):
...
ValueError: steps must be a whole number >= 1, not 0
>>> check_number("lr", -0.1, at_least=0.0)
Traceback (most recent call last):
...
ValueError: lr must be a finite number >= 0, not -0.1
>>> check_choice("activation", "tahn", ("relu", "tanh"))
Traceback (most recent call last):
...
ValueError: unknown activation 'tahn'; choose one of 'relu', 'tanh'

A wrong type raises TypeError with the same words: `check_count("steps",
"10")` says `steps must be a whole number >= 1, not str '10'`.
"""

from __future__ import annotations

import math
import numbers
from typing import Sequence, TypeVar

Choice = TypeVar("Choice")

# Longer reprs are cut in the middle: an error message stays readable even
# when the bad value is a 5000-digit number or the contents of a whole file.
SHOWN_CHARACTERS = 60


def shown(value: object) -> str:
    """`repr(value)`, cut to about 60 characters, for error messages.

    >>> shown("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxx ... xxxxxxxxxxxxxxxxxxxxxxxxxxx'"
    >>> shown(10**5000)
    'an int of 5001 digits'
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**SHOWN_CHARACTERS:
        # (Python refuses to write an int of more than 4300 digits.)
        digits = math.floor(abs(value).bit_length() * math.log10(2)) + 1
        if abs(value) < 10 ** (digits - 1):
            digits -= 1
        return f"an int of {digits} digits"
    text = repr(value)
    if len(text) <= SHOWN_CHARACTERS:
        return text
    half = SHOWN_CHARACTERS // 2 - 2
    return f"{text[:half]} ... {text[-half:]}"


def described(value: object) -> str:
    """The bad value with its type, for a TypeError: "str '10'".

    >>> described([1.0] * 100)
    'list [1.0, 1.0, 1.0, 1.0, 1.0, 1. ... .0, 1.0, 1.0, 1.0, 1.0, 1.0]'
    """
    return f"{type(value).__name__} {shown(value)}"


def check_count(
    name: str, value: object, minimum: int = 1, maximum: int | None = None, hint: str = ""
) -> int:
    """Return `value` if it is a whole number from `minimum` to `maximum`, else raise naming it.

    A `hint` is added to the message after a semicolon.

    >>> check_count("hidden", 10**6, maximum=1000)
    Traceback (most recent call last):
    ...
    ValueError: hidden must be a whole number from 1 to 1000, not 1000000
    """
    rule = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
    ending = f"; {hint}" if hint else ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number {rule}, not {described(value)}{ending}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be a whole number {rule}, not {shown(value)}{ending}")
    return value


def check_number(
    name: str,
    value: object,
    *,
    at_least: float | None = None,
    above: float | None = None,
    below: float | None = None,
    hint: str = "",
) -> float:
    """Return `value` as a float if it is a finite number in the range, else raise naming it.

    The range is given by `at_least` (>=), `above` (>) and `below` (<); a
    `hint` is added to the message after a semicolon.

    >>> check_number("momentum", 1.0, at_least=0.0, below=1.0)
    Traceback (most recent call last):
    ...
    ValueError: momentum must be a finite number >= 0 and < 1, not 1.0
    >>> check_number("noise", "0.1", at_least=0.0)
    Traceback (most recent call last):
    ...
    TypeError: noise must be a finite number >= 0, not str '0.1'
    """
    rules = []
    if at_least is not None:
        rules.append(f">= {at_least:g}")
    if above is not None:
        rules.append(f"> {above:g}")
    if below is not None:
        rules.append(f"< {below:g}")
    rule = "a finite number" + (" " + " and ".join(rules) if rules else "")
    ending = f"; {hint}" if hint else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {rule}, not {described(value)}{ending}")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    if (
        not math.isfinite(number)
        or (at_least is not None and not number >= at_least)
        or (above is not None and not number > above)
        or (below is not None and not number < below)
    ):
        raise ValueError(f"{name} must be {rule}, not {shown(value)}{ending}")
    return number


def check_choice(
    kind: str, value: Choice, choices: Sequence[Choice], hint: str = ""
) -> Choice:
    """Return `value` if it is one of `choices`, else raise a ValueError listing them.

    (Membership in a sequence compares with ==, so even a list or a dict as
    `value` gets this message, not "unhashable type".)
    """
    if value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        ending = f", {hint}" if hint else ""
        raise ValueError(f"unknown {kind} {shown(value)}; choose one of {listed}{ending}")
    return value


def check_flag(name: str, value: object) -> bool:
    """Return `value` if it is True or False, else raise a TypeError naming it.

    >>> check_flag("fused", "no")
    Traceback (most recent call last):
    ...
    TypeError: fused must be True or False, not str 'no'
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {described(value)}")
    return value


def check_scale(scale: object) -> float:
    """Return the projector option `scale=` if it is a number from 0.25 to 4, else raise.

    Drawings, GIF frames and plots all take it: 1.0 is the default text size
    (14 pt in a drawing's boxes), 2.0 twice that.

    >>> check_scale(0)
    Traceback (most recent call last):
    ...
    ValueError: scale=0: use a number from 0.25 to 4 (1.0 is the default text size)
    """
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0.25 <= scale <= 4:
        raise ValueError(
            f"scale={shown(scale)}: use a number from 0.25 to 4 (1.0 is the default text size)"
        )
    return float(scale)
