"""The README's set-up commands are the ones CI runs.

(The README's `>>>` examples run as doctests: see `--doctest-glob` in pyproject.toml.)
"""

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bash_blocks(markdown: str) -> list[str]:
    """The contents of the ```bash blocks of a Markdown text."""
    blocks = []
    for chunk in markdown.split("```bash\n")[1:]:
        blocks.append(chunk.split("```", 1)[0].strip())
    return blocks


def test_readme_has_exactly_two_setup_commands() -> None:
    blocks = bash_blocks((ROOT / "README.md").read_text())
    setup = [b for b in blocks if b.startswith("python3 -m venv .venv")]
    assert len(setup) == 2, setup
    assert all("\n" not in command for command in setup)
    assert setup[0].endswith("stepgrad demo")
    assert setup[1].endswith("-m pytest")


def test_the_readme_is_a_front_page_that_lists_every_lesson() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 300
    lessons = sorted(path.name for path in (ROOT / "demos").glob("*.ipynb"))
    assert lessons and all(f"(demos/{name})" in text for name in lessons)


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    test_command = bash_blocks((ROOT / "README.md").read_text())[1]
    ci_script = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci_script.splitlines()[-20:] or any(
        line.startswith(test_command) for line in ci_script.splitlines()
    )
    assert "pip install --quiet torch==2.13.0" in ci_script


def shell_examples(markdown: str, fence: str = "text") -> list[tuple[str, str]]:
    """(command, expected output) for each `$ stepgrad ...` line in the ```{fence} blocks."""
    examples = []
    for chunk in markdown.split(f"```{fence}\n")[1:]:
        block = chunk.split("```", 1)[0]
        command, output = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    examples.append((command, "\n".join(output)))
                command, output = line[2:], []
            elif command is not None:
                output.append(line)
        if command is not None:
            examples.append((command, "\n".join(output)))
    return examples


README_COMMANDS = shell_examples((ROOT / "README.md").read_text())
NO_COLUMNS_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "COLUMNS"}


def test_readme_shows_command_examples() -> None:
    assert len(README_COMMANDS) >= 3
    assert any(command.startswith('stepgrad step "tanh(') for command, _ in README_COMMANDS)
    assert all(command.startswith("stepgrad ") for command, _ in README_COMMANDS)


@pytest.mark.parametrize("command, expected", README_COMMANDS, ids=[c for c, _ in README_COMMANDS])
def test_readme_command_output_is_real(command: str, expected: str, tmp_path: Path) -> None:
    arguments = shlex.split(command)[1:]
    finished = subprocess.run(
        [sys.executable, "-m", "nn", *arguments],
        cwd=tmp_path,
        # Not a terminal and no COLUMNS: the output is fitted to 80 columns, as shown.
        env=dict(NO_COLUMNS_ENVIRONMENT, PYTHONPATH=str(ROOT), MPLBACKEND="Agg"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    shown = (finished.stdout + finished.stderr).rstrip("\n")
    assert shown == expected.rstrip("\n")


def test_readme_serve_example_is_what_the_command_prints() -> None:
    """The ```console block: `stepgrad serve` as the README starts it, stopped with Ctrl-C.

    Each run has its own port and token; the README shows one run's port
    (41873) and the start of its token ("Q2v0..."), so any port and token match.
    """
    ((command, expected),) = shell_examples((ROOT / "README.md").read_text(), fence="console")
    process = subprocess.Popen(
        [sys.executable, "-m", "nn", *shlex.split(command)[1:]],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        shown = [process.stdout.readline().rstrip("\n") for _ in expected.splitlines()]
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait(timeout=30)
    for line, example in zip(shown, expected.splitlines()):
        pattern = re.escape(example).replace("41873", r"\d+").replace(r"Q2v0\.\.\.", r"[\w-]+")
        assert re.fullmatch(pattern, line), (line, example)
    assert process.returncode == 0


def test_the_installed_stepgrad_command_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "stepgrad"
    if not script.exists():
        pytest.skip("stepgrad is not installed in this environment (pip install . installs it)")
    finished = subprocess.run(
        [str(script), "demo", "--steps", "2", "--no-progress", "--out", "pictures"],
        cwd=tmp_path,
        env=dict(os.environ, MPLBACKEND="Agg"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "pictures" / "moons_boundary.png").exists()


def module_map() -> str:
    """The text block under the README's "How the code is organised"."""
    section = (ROOT / "README.md").read_text().split("## How the code is organised", 1)[1]
    return section.split("```", 2)[1]


def test_readme_module_map_names_every_module_and_only_real_ones() -> None:
    """The map stays in step with the files: each module is named in it, and
    each file it names exists (a module added, moved or renamed fails here)."""
    text = module_map()
    named = set(re.findall(r"[\w/]*\w+\.(?:py|ipynb)\b", text))
    folders = ["engine", "engine/views", "nn", "nn/apps", "nn/apps/classroom", "tests/benchmarks"]
    modules = {
        path.name
        for folder in folders
        for path in (ROOT / folder).glob("*.py")
        if path.name != "__init__.py" or folder == "nn/apps/classroom"
    }
    missing = sorted(name for name in modules if name not in named)
    assert not missing, f"the README's module map does not name {missing}"
    # (Not ROOT.glob("**/*"): CI's .venv inside the clone holds thousands of files.)
    existing = {
        path.name for folder in folders + ["tests", "demos"] for path in (ROOT / folder).iterdir()
    }
    ghosts = sorted(name for name in named if Path(name).name not in existing)
    assert not ghosts, f"the README's module map names files that do not exist: {ghosts}"
