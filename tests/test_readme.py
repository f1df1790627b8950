"""The README's set-up commands are the ones CI runs.

(The README's `>>>` examples run as doctests: see `--doctest-glob` in pyproject.toml.)
"""

from pathlib import Path

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


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    test_command = bash_blocks((ROOT / "README.md").read_text())[1]
    ci_script = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci_script.splitlines()[-20:] or any(
        line.startswith(test_command) for line in ci_script.splitlines()
    )
    assert "pip install --quiet torch==2.13.0" in ci_script
