"""`stepgrad demo` and `stepgrad train`: what they write, and their argparse-style refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nn.io import load, load_recipe

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m nn ...` (the same as the `stepgrad` command), headless, not on a TTY."""
    environment = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "nn", *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_trains_the_moons_and_writes_its_pictures(tmp_path: Path) -> None:
    finished = run_cli("demo", "--out", "pictures", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert "training accuracy 100%" in finished.stdout
    folder = tmp_path / "pictures"
    names = ["moons_boundary.png", "moons_loss.png", "neuron_graph.svg", "model_graph.svg",
             "moons_model.json"]
    assert sorted(os.listdir(folder)) == sorted(names)  # and no stray temporary files
    for name in names:
        assert f"pictures/{name}" in finished.stdout
    assert (folder / "moons_boundary.png").read_bytes()[:4] == b"\x89PNG"
    neuron_svg = (folder / "neuron_graph.svg").read_text()
    assert "layers.0.neurons" in neuron_svg and "relu" in neuron_svg
    model = load(folder / "moons_model.json")
    assert len(model.parameters()) == 337
    assert load_recipe(folder / "moons_model.json")["data"] == "moons"


def test_demo_default_folder_is_stepgrad_out(tmp_path: Path) -> None:
    finished = run_cli("demo", "--steps", "2", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "stepgrad-out" / "moons_loss.png").exists()


def test_train_on_iris_reports_test_accuracy_and_saves(tmp_path: Path) -> None:
    finished = run_cli("train", "--data", "iris", "--hidden", "8", "--steps", "100",
                       "--out", "run", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    test_accuracy = float(finished.stdout.split("% on 38 held-out")[0].rsplit(" ", 1)[1])
    assert test_accuracy >= 95.0
    assert sorted(os.listdir(tmp_path / "run")) == ["loss.png", "model.json"]
    recipe = load_recipe(tmp_path / "run" / "model.json")
    assert recipe["classes"] == ["setosa", "versicolor", "virginica"]
    assert len(recipe["standardize"]["means"]) == 4


@pytest.mark.parametrize("data", ["moons", "circles", "spiral", "xor", "blobs"])
def test_train_on_each_toy_data_set(tmp_path: Path, data: str) -> None:
    finished = run_cli("train", "--data", data, "--hidden", "8", "--steps", "3", "--out", "run",
                       cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "run" / "boundary.png").exists()
    assert json.loads((tmp_path / "run" / "model.json").read_text())["recipe"]["data"] == data


def test_train_on_a_csv_file_with_a_named_label_column(tmp_path: Path) -> None:
    rows = ["kind,a,b"] + [f"{'big' if i % 2 else 'small'},{i},{i % 2 * 3.5}" for i in range(20)]
    (tmp_path / "mine.csv").write_text("\n".join(rows) + "\n")
    finished = run_cli("train", "--data", "mine.csv", "--label-column", "kind", "--hidden", "4",
                       "--steps", "30", "--out", "run", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert "accuracy 100.0% on training rows" in finished.stdout


def test_a_broken_csv_file_is_named_with_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("a,b,label\n1,2,x\n3,oops,y\n")
    finished = run_cli("train", "--data", "bad.csv", "--out", "run", cwd=tmp_path)
    assert finished.returncode != 0
    assert finished.stderr.count("\n") == 1 and "Traceback" not in finished.stderr
    assert "bad.csv" in finished.stderr and "line 3" in finished.stderr and "oops" in finished.stderr


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--data", "nope"], "use one of moons, circles, spiral, xor, blobs, iris"),
        (["--data", "missing.csv"], "'missing.csv': no such file"),
        (["--hidden", "16,x"], "'x' is not a whole number"),
        (["--steps", "0"], "'0' must be at least 1"),
        (["--lr", "-1"], "'-1' must be a number above 0"),
        (["--batch-size", "many"], "'many' is not a whole number"),
        (["--batch-size", "500"], "--batch-size 500 is larger than the 75 training rows"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_train_arguments_get_one_line_errors(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    finished = run_cli("train", *arguments, cwd=tmp_path)
    assert finished.returncode == 2
    assert message in finished.stderr
    assert finished.stderr.count("\n") == 1 and "Traceback" not in finished.stderr
    assert not (tmp_path / "stepgrad-out").exists()


@pytest.mark.parametrize("command", ["demo", "train"])
def test_help(tmp_path: Path, command: str) -> None:
    finished = run_cli(command, "--help", cwd=tmp_path)
    assert finished.returncode == 0
    assert f"usage: stepgrad {command}" in finished.stdout
    assert "--out DIR" in finished.stdout


def test_an_earlier_run_is_kept_unless_forced(tmp_path: Path) -> None:
    first = run_cli("train", "--data", "moons", "--steps", "2", "--out", "run", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "run" / "boundary.png").exists()
    saved = (tmp_path / "run" / "model.json").read_bytes()

    again = run_cli("train", "--data", "iris", "--steps", "2", "--out", "run", cwd=tmp_path)
    assert again.returncode == 2
    assert "already holds model.json, loss.png, boundary.png from an earlier run" in again.stderr
    assert "--force" in again.stderr and "training" not in again.stdout  # refused before training
    assert (tmp_path / "run" / "model.json").read_bytes() == saved

    forced = run_cli("train", "--data", "iris", "--steps", "2", "--out", "run", "--force",
                     cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    # The moons boundary is gone: the folder holds only the iris run's files.
    assert sorted(os.listdir(tmp_path / "run")) == ["loss.png", "model.json"]


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    finished = run_cli("demo", "--steps", "2", "--out", "notes.txt", cwd=tmp_path)
    assert finished.returncode == 2
    assert "--out 'notes.txt' is a file; give a folder name" in finished.stderr
    assert "training" not in finished.stdout  # refused before training
    inside = run_cli("train", "--steps", "2", "--out", "notes.txt/run", cwd=tmp_path)
    assert inside.returncode == 2 and "training" not in inside.stdout
    assert "--out 'notes.txt/run' is inside 'notes.txt', a file; give a folder name" in inside.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_out_in_a_folder_that_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nn import cli

    locked = tmp_path / "locked"
    locked.mkdir()
    # Pretend `locked` is read-only (chmod alone would not stop root, who runs CI here).
    real_access = os.access
    monkeypatch.setattr(
        cli.os, "access", lambda path, mode: Path(path) != locked and real_access(path, mode)
    )
    status = cli.main(["demo", "--steps", "2", "--out", str(locked / "new" / "run")])
    captured = capsys.readouterr()
    assert status == 2 and "training" not in captured.out
    assert f"cannot write into {str(locked)!r}; choose another folder with --out" in captured.err
    assert os.listdir(locked) == []
