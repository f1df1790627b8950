"""Running a notebook as a student would: every cell, in a fresh kernel.

Shared by the notebook tests (test_notebook.py with tests/widget_tour.ipynb,
test_course.py with the lessons of demos/, test_jupyterlab_browser.py); each
of them skips first when nbclient is not installed.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
DEMOS = ROOT / "demos"
DRAWN = ["1-neuron", "5-backprop"]  # the lessons with drawings (draw(), a Stepper)


def execute(notebook: Any, timeout: int = 300) -> Any:
    """Run every cell in a fresh kernel, in demos/ (as JupyterLab would); return the notebook.

    `timeout` is the most seconds one cell may take.
    """
    import nbclient

    with kernel_sees_this_repository():
        client = nbclient.NotebookClient(
            notebook, timeout=timeout, kernel_name="python3",
            resources={"metadata": {"path": str(DEMOS)}},
        )  # fmt: skip
        client.execute()
    return notebook


@contextmanager
def kernel_sees_this_repository() -> Iterator[None]:
    """PYTHONPATH for the kernel (a subprocess, which inherits os.environ): the
    code under test, stepgrad not installed."""
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), previous]))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = previous
