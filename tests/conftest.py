"""Test-wide settings: headless matplotlib, patient Hypothesis, no benchmarks."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

from hypothesis import settings  # noqa: E402

# Shared, noisy machines: no per-example deadline; a fixed number of examples.
settings.register_profile("stepgrad", deadline=None, max_examples=100, print_blob=True)
settings.load_profile("stepgrad")
if os.environ.get("STEPGRAD_MUTATION"):
    # Mutation testing (tests/mutation/run.py) asks only whether a test fails: new
    # examples for each mutant (no database: an example saved for one mutant would be
    # replayed on all), without the search for the smallest failing one (slow).
    from hypothesis import Phase  # noqa: E402

    settings.register_profile(
        "mutation", settings.get_profile("stepgrad"),
        phases=[Phase.explicit, Phase.generate], database=None,
    )
    settings.load_profile("mutation")

# Benchmarks are run by hand (python tests/benchmarks/...), never collected.
collect_ignore = ["benchmarks"]


# ---------------------------------------------------------------------- shared runs

import gc  # noqa: E402
import io  # noqa: E402
from contextlib import redirect_stderr, redirect_stdout  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NamedTuple  # noqa: E402

import pytest  # noqa: E402


class DemoRun(NamedTuple):
    status: int
    stdout: str
    folder: Path
    steps: int


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`stepgrad demo --steps 5 --out pictures`, run once per session.

    Tests read its output and copy its folder (as an earlier run); none may
    change it. (Five steps check what the command does; that its recipe
    reaches 100% in the default 100 steps is tested on `fit` in test_train.py.)
    """
    from nn.apps import cli

    steps = 5
    folder = tmp_path_factory.mktemp("demo") / "pictures"
    printed = io.StringIO()
    with redirect_stdout(printed), redirect_stderr(io.StringIO()):
        status = cli.main(["demo", "--steps", str(steps), "--out", str(folder), "--no-progress"])
    return DemoRun(status, printed.getvalue(), folder, steps)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Leave out of garbage collection what the collection imported.

    Collecting imports torch, Hypothesis and matplotlib: some 200,000 objects
    that live until the end. Python's cyclic garbage collector would walk all
    of them each time a test's graphs of Values fill a generation, which
    makes training in this process about twice as slow as in a fresh one.
    `gc.freeze()` moves them to a generation it never walks (nothing is
    disabled: new objects are collected as usual).
    """
    gc.freeze()
