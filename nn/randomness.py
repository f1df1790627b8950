"""Where the random numbers come from: one rule for every `seed=` in `nn`.

Initial weights (`MLP`, `Layer`, `Neuron`), the toy data sets, the train/test
split and `fit()`'s mini-batches all take a `seed`, read the same way:

- an **int** starts a new generator: the same int gives the same numbers on
  every run and every computer (Python's `random.Random` promises that);
- a **`random.Random`** is used as it is, so several parts can draw, in turn,
  from one stream;
- **None** draws a seed from Python's global `random` module, so a lesson
  that starts with `random.seed(1337)`, as micrograd's does, still decides
  every number.

>>> random_source(42).uniform(-1, 1) == random_source(42).uniform(-1, 1)
True
>>> import random
>>> random.seed(1337); first = random_source(None).random()
>>> random.seed(1337); first == random_source(None).random()
True
"""

from __future__ import annotations

import random
from typing import Union

Seed = Union[int, random.Random, None]


def random_source(seed: Seed) -> random.Random:
    """A `random.Random` for `seed`, by the rule of this module's docstring."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random(random.getrandbits(64))
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(
            f"seed must be an int, a random.Random or None, not {type(seed).__name__} {seed!r}"
        )
    return random.Random(seed)
