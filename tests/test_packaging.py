"""What `pip install .` and a source distribution carry."""

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_sdist_ships_the_package_and_no_half_test_suite(tmp_path: Path) -> None:
    """tests/ without conftest.py, chromium.py and demos/ cannot run: ship none."""
    source = tmp_path / "source"
    shutil.copytree(
        ROOT, source,
        ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "dist",
                                      "build", "stepgrad-out"),
    )
    subprocess.run(
        [sys.executable, "-c",
         "from setuptools import build_meta; build_meta.build_sdist('dist')"],
        cwd=source, check=True, capture_output=True, timeout=300,
    )
    (archive,) = (source / "dist").glob("stepgrad-*.tar.gz")
    with tarfile.open(archive) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert not [name for name in names if name.startswith("tests")]
    assert {"README.md", "LICENSE", "pyproject.toml", "engine/value.py", "nn/apps/cli.py",
            "nn/data/iris.csv"} <= names
