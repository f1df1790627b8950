"""Mutation testing: plant small bugs in a module, one at a time, and count
how many the tests catch.

    python tests/mutation/run.py nn/losses.py nn/optim.py

mutmut (https://github.com/boxed/mutmut, in the `dev` extra) makes each
mutant: a `<` turned into `<=`, a `+` into `-`, a constant changed, a
keyword argument dropped... For every mutant it runs the tests that reach
the changed function. A mutant the tests fail on is "killed"; one they pass
on "survived": either a test is missing, or the mutant behaves exactly like
the original ("equivalent", see EQUIVALENT.md). This script prints, for each
module, killed / all and the surviving mutants' names.

mutmut reads its settings only from pyproject.toml, and writes a `mutants/`
folder of copies next to it. So the script copies the project (the files git
knows, with your uncommitted edits) to a work folder, adds a [tool.mutmut]
section naming the modules and tests, and runs mutmut there: your checkout
stays clean. Run it again with the same --workdir to resume or to re-check
after adding tests (mutmut re-runs what changed). To see a survivor:

    cd WORKDIR && python -m mutmut show NAME
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAUGHT = {"killed", "timeout", "caught by type check", "segfault"}


def module_name(path: str) -> str:
    """nn/losses.py -> nn.losses"""
    return path.removesuffix(".py").replace("/", ".")


def copy_project(workdir: Path) -> None:
    """The files git tracks or would track (uncommitted edits included)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def mutmut_settings(modules: list[str], tests: list[str]) -> str:
    """The [tool.mutmut] section: mutate only `modules`, run only `tests`."""

    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    return (
        "\n[tool.mutmut]\n"
        # both packages go into mutants/, since nn imports engine
        'source_paths = ["engine", "nn"]\n'
        f"only_mutate = {toml_list(modules)}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        # torch is not safe to fork after use: fork each mutant from a clean server
        'process_isolation = "forkserver"\n'
    )


def run_mutmut(workdir: Path, children: int) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environment["MPLBACKEND"] = "Agg"
    environment["STEPGRAD_MUTATION"] = "1"  # Hypothesis does not shrink (tests/conftest.py)
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children)]
    subprocess.run(command, cwd=workdir, env=environment, check=False)


def results(workdir: Path) -> dict[str, str]:
    """Each mutant's name and what became of it ("killed", "survived", ...)."""
    output = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=workdir, check=True, capture_output=True, text=True,
    ).stdout
    statuses = {}
    for line in output.splitlines():
        name, separator, status = line.strip().rpartition(": ")
        if separator:
            statuses[name] = status
    return statuses


def report(modules: list[str], statuses: dict[str, str]) -> list[str]:
    """Print a line per module (and its survivors); return the modules with none."""
    print(f"{'module':<28}{'caught':>8}{'mutants':>9}{'score':>8}   not caught")
    empty = []
    for path in modules:
        prefix = module_name(path) + "."
        mine = {name: status for name, status in statuses.items() if name.startswith(prefix)}
        if not mine:
            empty.append(path)
            continue
        caught = sum(status in CAUGHT for status in mine.values())
        missed = Counter(status for status in mine.values() if status not in CAUGHT)
        score = f"{100 * caught / len(mine):.1f}%"
        print(f"{path:<28}{caught:>8}{len(mine):>9}{score:>8}   {dict(missed) or ''}")
        for name, status in sorted(mine.items()):
            if status not in CAUGHT:
                print(f"    {status}: {name}")
    return empty


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="+", help="files to mutate, e.g. nn/losses.py")
    parser.add_argument(
        "--tests", nargs="+", default=["tests"],
        help="test files (or folders) to run against the mutants; default: all of tests/",
    )
    parser.add_argument("--workdir", type=Path, help="where to copy the project (kept)")
    parser.add_argument("--children", type=int, default=2, help="mutants run at once")
    arguments = parser.parse_args()
    if importlib.util.find_spec("mutmut") is None:
        parser.error("mutmut is not installed: pip install -e '.[dev]' (or pip install mutmut)")
    for path in arguments.modules:
        if not (ROOT / path).is_file():
            parser.error(f"no module {path} in {ROOT}")
    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="stepgrad-mutation-"))
    workdir.mkdir(parents=True, exist_ok=True)
    copy_project(workdir)
    # the doctests of the mutated modules are tests too (pytest runs them with --doctest-modules)
    tests = arguments.tests + arguments.modules
    with open(workdir / "pyproject.toml", "a") as pyproject:
        pyproject.write(mutmut_settings(arguments.modules, tests))
    print(f"mutmut in {workdir}: mutating {', '.join(arguments.modules)}; "
          f"running {' '.join(tests)}", flush=True)
    run_mutmut(workdir, arguments.children)
    empty = report(arguments.modules, results(workdir))
    if empty:
        print(f"no mutants for {', '.join(empty)}: no code mutmut can change, or no tests reach it")
    print(f"(survivors: cd {workdir} && {Path(sys.executable).name} -m mutmut show NAME)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
