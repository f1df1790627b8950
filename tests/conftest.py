"""Test-wide settings: headless matplotlib, patient Hypothesis, no benchmarks."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

from hypothesis import settings  # noqa: E402

# Shared, noisy machines: no per-example deadline; a fixed number of examples.
settings.register_profile("stepgrad", deadline=None, max_examples=100, print_blob=True)
settings.load_profile("stepgrad")

# Benchmarks are run by hand (python tests/benchmarks/...), never collected.
collect_ignore = ["benchmarks"]
