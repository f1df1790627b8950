"""Running a notebook of demos/ as a student would: every cell, in a fresh kernel.

Shared by the notebook tests (test_notebook.py, test_course.py); each of them
skips first when nbclient is not installed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEMOS = ROOT / "demos"


def execute(notebook: Any, timeout: int = 300) -> Any:
    """Run every cell in a fresh kernel, in demos/ (as JupyterLab would); return the notebook.

    `timeout` is the most seconds one cell may take.
    """
    import nbclient

    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = path  # the kernel subprocess inherits os.environ
    try:
        client = nbclient.NotebookClient(
            notebook, timeout=timeout, kernel_name="python3",
            resources={"metadata": {"path": str(DEMOS)}},
        )  # fmt: skip
        client.execute()
    finally:
        if previous is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = previous
    return notebook
