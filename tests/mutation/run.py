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
stays clean. To see a survivor:

    cd WORKDIR && python -m mutmut show NAME

Run it again with the same --workdir to resume, or to re-check after adding
tests: mutmut itself re-runs only mutants of functions whose code changed,
so the script then names to it the mutants it did not catch before.

mutmut switches a mutant on in a process that has imported the modules
already (its fork server does, to save time), so a function that runs while
its module is imported (engine/value.py's `_operator_pair`, which makes the
operators of Value) is never mutated where it runs, and it counts only the
first test as reaching it. So the script finds these functions (those that
run during the import) and runs each of their mutants that mutmut did not
catch once more, in a fresh Python process that imports the modules with
the mutant switched on, against all the named tests; a failure there is
"killed (fresh process)".
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAUGHT = {"killed", "timeout", "caught by type check", "segfault", "killed (fresh process)"}


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


def mutant_environment(**extra: str) -> dict[str, str]:
    """The environment the mutants' code runs in: the copy's code (no
    PYTHONPATH to this checkout), pictures without a screen, and Hypothesis
    neither shrinking nor keeping examples (tests/conftest.py); plus `extra`."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environment.update(MPLBACKEND="Agg", STEPGRAD_MUTATION="1", **extra)
    return environment


def run_mutmut(workdir: Path, children: int, mutants: list[str] | None = None) -> None:
    """mutmut run: every mutant not yet tested, or only `mutants` (again)."""
    environment = mutant_environment()
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children)]
    command += mutants or []
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


def fresh_run(workdir: Path, tests: list[str], mutant: str, timeout: float | None) -> int:
    """Run `tests` in a new process with `mutant` switched on before any
    import; pytest's exit status (124 when it ran out of time)."""
    environment = mutant_environment(MUTANT_UNDER_TEST=mutant)
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly",
               "--rootdir=.", *tests]
    try:
        return subprocess.run(
            command, cwd=workdir / "mutants", env=environment, timeout=timeout,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ).returncode
    except subprocess.TimeoutExpired:
        return 124


def not_caught(statuses: dict[str, str]) -> list[str]:
    return sorted(name for name, status in statuses.items() if status not in CAUGHT)


IMPORT_TIME = """
from mutmut.state import state
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print("\\n".join(sorted(state()._stats)))
"""


def run_at_import(workdir: Path, modules: list[str]) -> set[str]:
    """The functions (as mutmut names them) that run while `modules` are imported."""
    environment = mutant_environment(MUTANT_UNDER_TEST="stats")  # count every call
    names = [module_name(path) for path in modules]
    output = subprocess.run(
        [sys.executable, "-c", IMPORT_TIME, *names], cwd=workdir / "mutants",
        env=environment, check=True, capture_output=True, text=True,
    ).stdout
    return set(output.split())


def recheck_import_time(
    workdir: Path, modules: list[str], tests: list[str], statuses: dict[str, str]
) -> None:
    """Run each mutant mutmut did not catch in a function that runs at import
    once more, in a fresh process (see the top of this file)."""
    functions = run_at_import(workdir, modules)
    missed = [
        name for name in not_caught(statuses) if name.rsplit("__mutmut_", 1)[0] in functions
    ]
    if not missed:
        return
    start = time.monotonic()
    if fresh_run(workdir, tests, "", None) != 0:
        print("the tests fail without any mutant in a fresh process: no re-check")
        return
    timeout = 10 * (time.monotonic() - start) + 30
    print(f"re-checking {len(missed)} mutants of code run at import, in fresh processes",
          flush=True)
    for name in missed:
        status = fresh_run(workdir, tests, name, timeout)
        if status in (1, 2):  # tests failed, or the mutated module failed to import
            statuses[name] = "killed (fresh process)"
        elif status == 124:
            statuses[name] = "timeout"


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
    resumed = (workdir / "mutants").is_dir()
    before = results(workdir) if resumed else {}
    missed_before = sorted(name for name, status in before.items()
                           if status in ("survived", "no tests"))
    run_mutmut(workdir, arguments.children)
    if missed_before:  # tests may have been added since: check these again
        print(f"re-checking the {len(missed_before)} mutants not caught before", flush=True)
        run_mutmut(workdir, arguments.children, missed_before)
    statuses = results(workdir)
    recheck_import_time(workdir, arguments.modules, tests, statuses)
    empty = report(arguments.modules, statuses)
    if empty:
        print(f"no mutants for {', '.join(empty)}: no code mutmut can change, or no tests reach it")
    print(f"(survivors: cd {workdir} && {Path(sys.executable).name} -m mutmut show NAME)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
