"""`stepgrad demo` and `stepgrad train`: what they write, and their argparse-style refusals.

Most tests call `nn.apps.cli.main` in this process (the same code as the command,
without starting Python and importing matplotlib again for each); Ctrl-C is
also tried on the real command in a terminal. (tests/test_cli_step.py runs
`python -m nn` as a real command too.)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Callable, NamedTuple

import pytest
from cli_errors import read_error

from nn.apps import cli, runfolder
from nn.io import load, load_recipe

ROOT = Path(__file__).resolve().parent.parent


class Finished(NamedTuple):
    returncode: int
    stdout: str
    stderr: str

    @property
    def message(self) -> str:
        """The error message on stderr, its folded lines joined back (see cli_errors.py)."""
        return read_error(self.stderr)[0]


@pytest.fixture
def stepgrad(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Finished]:
    """`stepgrad(*arguments)` runs the command in this process, in `tmp_path`."""
    monkeypatch.chdir(tmp_path)

    def run(*arguments: str) -> Finished:
        try:
            status = cli.main(list(arguments))  # stderr is not a terminal: no progress bar
        except SystemExit as exit_:  # argparse's refusals
            status = int(exit_.code or 0)
        except KeyboardInterrupt:  # escaped main(): not the one line and status 130 wanted
            status = -1
        captured = capsys.readouterr()
        return Finished(status, captured.out, captured.err)

    return run


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_demo_trains_the_moons_and_writes_its_pictures(demo_run) -> None:
    assert demo_run.status == 0
    assert "training accuracy" in demo_run.stdout
    folder = demo_run.folder
    names = ["moons_boundary.png", "moons_loss.png", "neuron_graph.svg", "model_graph.svg",
             "model_graph.png", "moons_model.json"]
    assert listing(folder) == sorted(names)  # and no stray temporary files
    assert listing(folder.parent) == ["pictures"]  # nor a staging folder beside it
    for name in names:
        assert f"pictures/{name}" in demo_run.stdout
    assert (folder / "moons_boundary.png").read_bytes()[:4] == b"\x89PNG"
    neuron_svg = (folder / "neuron_graph.svg").read_text()
    # Inside the neuron's cluster its parameters have short names (w.0, not layers.0...).
    assert "neurons." in neuron_svg and ">w.0<" in neuron_svg and "relu" in neuron_svg
    model = load(folder / "moons_model.json")
    assert len(model.parameters()) == 337
    assert load_recipe(folder / "moons_model.json")["data"] == "moons"


def test_demo_trains_with_the_classic_recipe(demo_run) -> None:
    """The demo's loss is `fit`'s with micrograd's recipe, which reaches 100% in
    100 steps (tests/test_train.py::test_classic_moons_demo_reaches_full_training_accuracy)."""
    from nn import MLP, SGD, LinearDecay
    from nn.data import moons, signed_labels
    from nn.train import fit

    X, labels = moons(n=100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=1, fused=True)
    optimizer = SGD(model.parameters(), lr=1.0)
    history = fit(
        model, X, signed_labels(labels), loss="hinge", l2=1e-4, optimizer=optimizer,
        schedule=LinearDecay(optimizer, start=1.0, end=0.1, steps=demo_run.steps),
        steps=demo_run.steps, progress=False,
    )
    assert f"final loss {history.loss[-1]:.4f}," in demo_run.stdout
    assert f"for {demo_run.steps} steps" in demo_run.stdout


def test_demo_default_folder_is_stepgrad_out(stepgrad, tmp_path: Path) -> None:
    finished = stepgrad("demo", "--steps", "2")
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "stepgrad-out" / "moons_loss.png").exists()
    assert listing(tmp_path) == ["stepgrad-out"]


def test_train_on_iris_reports_test_accuracy_and_saves(stepgrad, tmp_path: Path) -> None:
    finished = stepgrad("train", "--data", "iris", "--hidden", "8", "--steps", "100",
                        "--out", "run")
    assert finished.returncode == 0, finished.stderr
    test_accuracy = float(finished.stdout.split("% on 38 held-out")[0].rsplit(" ", 1)[1])
    assert test_accuracy >= 95.0
    assert listing(tmp_path / "run") == ["loss.png", "model.json"]
    recipe = load_recipe(tmp_path / "run" / "model.json")
    assert recipe["classes"] == ["setosa", "versicolor", "virginica"]
    assert len(recipe["standardize"]["means"]) == 4


@pytest.mark.parametrize("data", ["moons", "circles", "spiral", "xor", "blobs"])
def test_train_on_each_toy_data_set(stepgrad, tmp_path: Path, data: str) -> None:
    finished = stepgrad("train", "--data", data, "--hidden", "8", "--steps", "3", "--out", "run")
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "run" / "boundary.png").exists()
    assert json.loads((tmp_path / "run" / "model.json").read_text())["recipe"]["data"] == data


def test_train_plots_are_titled_with_the_loss_and_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    titles: list[str] = []

    def record(figure, path: Path) -> Path:
        titles.extend(axes.get_title() for axes in figure.axes)
        return path

    monkeypatch.setattr(cli, "save_figure", record)
    arguments = ["train", "--data", "spiral", "--steps", "2", "--no-progress"]
    assert cli.main([*arguments, "--out", str(tmp_path)]) == 0
    assert titles == [
        "cross-entropy loss (training data)",
        "accuracy (training data)",
        "decision boundary, spiral training points",
    ]


def test_train_on_a_csv_file_with_a_named_label_column(stepgrad, tmp_path: Path) -> None:
    rows = ["kind,a,b"] + [f"{'big' if i % 2 else 'small'},{i},{i % 2 * 3.5}" for i in range(20)]
    (tmp_path / "mine.csv").write_text("\n".join(rows) + "\n")
    finished = stepgrad("train", "--data", "mine.csv", "--label-column", "kind", "--hidden", "4",
                        "--steps", "30", "--out", "run")
    assert finished.returncode == 0, finished.stderr
    assert "accuracy 100.0% on training rows" in finished.stdout


def test_a_broken_csv_file_is_named_with_line_and_column(stepgrad, tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("a,b,label\n1,2,x\n3,oops,y\n")
    finished = stepgrad("train", "--data", "bad.csv", "--out", "run")
    assert finished.returncode != 0
    assert read_error(finished.stderr)[1] == [] and "Traceback" not in finished.stderr
    assert "bad.csv" in finished.message and "line 3" in finished.message
    assert "oops" in finished.message


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
        (["--frobnicate"], "unrecognized arguments: --frobnicate (see stepgrad train --help)"),
        # Sizes: refused at once, before any data is made or any model built.
        (["--hidden", "1000000"], "a layer of 1,000,000 neurons is too large"),
        (["--hidden", "200,200"], "2-200-200-1 network has 41,001 parameters; the limit is 20,000"),
        (["--steps", "100001"], "more than the limit of 100,000 steps"),
        (["--hidden", "64,64", "--steps", "50000"], "fewer --steps, a --batch-size"),
    ],
)
def test_bad_train_arguments_get_one_message(
    stepgrad, tmp_path: Path, arguments: list[str], message: str
) -> None:
    finished = stepgrad("train", *arguments)
    assert finished.returncode == 2
    assert message in finished.message
    assert read_error(finished.stderr)[1] == [] and "Traceback" not in finished.stderr
    assert "training" not in finished.stdout
    assert listing(tmp_path) == [name for name in ["bad.csv"] if (tmp_path / name).exists()]


def test_a_csv_file_with_too_many_rows_is_refused(
    stepgrad, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "MAX_ROWS", 10)
    rows = ["a,b,label"] + [f"{i},{i % 3},{i % 2}" for i in range(11)]
    (tmp_path / "big.csv").write_text("\n".join(rows) + "\n")
    finished = stepgrad("train", "--data", "big.csv")
    assert finished.returncode == 2
    assert "'big.csv' has 11 rows; the limit is 10" in finished.message


def test_demo_steps_are_bounded(stepgrad, tmp_path: Path) -> None:
    finished = stepgrad("demo", "--steps", "20000")
    assert finished.returncode == 2 and "use fewer --steps" in finished.message
    assert "training" not in finished.stdout and listing(tmp_path) == []


@pytest.mark.parametrize("command", ["demo", "train"])
def test_help(stepgrad, command: str) -> None:
    finished = stepgrad(command, "--help")
    assert finished.returncode == 0
    assert f"usage: stepgrad {command}" in finished.stdout
    assert "--out DIR" in finished.stdout
    if command == "train":  # the limits are documented
        assert "at most 20,000 parameters, 100,000 steps" in " ".join(finished.stdout.split())


def test_an_earlier_run_is_kept_unless_forced(stepgrad, tmp_path: Path) -> None:
    first = stepgrad("train", "--data", "moons", "--steps", "2", "--out", "run")
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "run" / "boundary.png").exists()
    saved = (tmp_path / "run" / "model.json").read_bytes()

    again = stepgrad("train", "--data", "iris", "--steps", "2", "--out", "run")
    assert again.returncode == 2
    assert "already holds model.json, loss.png, boundary.png from an earlier run" in again.message
    assert "--force" in again.message and "training" not in again.stdout  # refused before training
    assert (tmp_path / "run" / "model.json").read_bytes() == saved

    (tmp_path / "run" / "notes.txt").write_text("mine")
    forced = stepgrad("train", "--data", "iris", "--steps", "2", "--out", "run", "--force")
    assert forced.returncode == 0, forced.stderr
    # The moons boundary is gone: the folder holds only the iris run's files (and the notes).
    assert listing(tmp_path / "run") == ["loss.png", "model.json", "notes.txt"]


def test_out_must_be_a_folder(stepgrad, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    finished = stepgrad("demo", "--steps", "2", "--out", "notes.txt")
    assert finished.returncode == 2
    assert "--out 'notes.txt' is a file; give a folder name" in finished.message
    assert "training" not in finished.stdout  # refused before training
    inside = stepgrad("train", "--steps", "2", "--out", "notes.txt/run")
    assert inside.returncode == 2 and "training" not in inside.stdout
    inside_a_file = "--out 'notes.txt/run' is inside 'notes.txt', a file; give a folder name"
    assert inside_a_file in inside.message
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_folder_where_a_file_goes_is_found_before_training(stepgrad, tmp_path: Path) -> None:
    (tmp_path / "run" / "model.json").mkdir(parents=True)
    finished = stepgrad("train", "--steps", "2", "--out", "run", "--force")
    assert finished.returncode == 2 and "training" not in finished.stdout
    assert "'run/model.json' is a folder" in finished.message


def test_a_file_of_the_run_that_is_a_link_is_written_through(stepgrad, tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "real.json").write_text("the earlier model")
    (tmp_path / "run" / "model.json").symlink_to(tmp_path / "kept" / "real.json")
    finished = stepgrad("train", "--steps", "2", "--out", "run", "--force")
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "run" / "model.json").is_symlink()  # still the link
    assert load_recipe(tmp_path / "kept" / "real.json")["data"] == "moons"  # its target is new


def test_a_link_to_another_disk_is_refused_before_training(stepgrad, tmp_path: Path) -> None:
    other_disk = Path("/dev/shm")
    if not other_disk.is_dir() or other_disk.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another file system than the temporary folder")
    target = Path(tempfile.mkdtemp(dir=other_disk)) / "model.json"
    try:
        target.write_text("the earlier model")
        (tmp_path / "run").mkdir()
        (tmp_path / "run" / "model.json").symlink_to(target)
        finished = stepgrad("train", "--steps", "2", "--out", "run", "--force")
        assert finished.returncode == 2 and "training" not in finished.stdout
        assert "on another disk" in finished.message and "remove the link" in finished.message
        assert target.read_text() == "the earlier model"
    finally:
        shutil.rmtree(target.parent)


def test_a_pipe_where_a_file_goes_is_refused(stepgrad, tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    os.mkfifo(tmp_path / "run" / "loss.png")
    finished = stepgrad("train", "--steps", "2", "--out", "run", "--force")
    assert finished.returncode == 2 and "training" not in finished.stdout
    assert "'run/loss.png' is not a regular file" in finished.message


def test_out_in_a_folder_that_cannot_be_written(
    stepgrad, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    # Pretend `locked` is read-only (chmod alone would not stop root, who runs CI here).
    real_access = os.access
    monkeypatch.setattr(
        runfolder.os, "access", lambda path, mode: Path(path) != locked and real_access(path, mode)
    )
    finished = stepgrad("demo", "--steps", "2", "--out", str(locked / "new" / "run"))
    assert finished.returncode == 2 and "training" not in finished.stdout
    choose = f"cannot write into {str(locked)!r}; choose another folder with --out"
    assert choose in finished.message
    assert os.listdir(locked) == []


# ---------------------------------------------------------------------- a run's files, as a set


def earlier_run(demo_run, folder: Path) -> dict[str, bytes]:
    """Copy the session's demo run to `folder`; return its files' contents."""
    shutil.copytree(demo_run.folder, folder)
    return {name: (folder / name).read_bytes() for name in listing(folder)}


def test_ctrl_c_while_writing_keeps_the_earlier_run_whole(
    stepgrad, demo_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = earlier_run(demo_run, tmp_path / "pictures")
    real_save_figure = cli.save_figure
    saved = []

    def save_then_interrupt(figure, path):
        saved.append(real_save_figure(figure, path))
        if len(saved) == 2:  # the boundary and the loss curve are written: Ctrl-C
            raise KeyboardInterrupt

    monkeypatch.setattr(cli, "save_figure", save_then_interrupt)
    finished = stepgrad("demo", "--steps", "2", "--seed", "5", "--out", "pictures", "--force")
    assert finished.returncode == 130
    assert finished.stderr == "stepgrad demo: interrupted (Ctrl-C)\n"
    after = {name: (tmp_path / "pictures" / name).read_bytes() for name in before}
    assert after == before and listing(tmp_path / "pictures") == sorted(before)
    assert listing(tmp_path) == ["pictures"]  # no staging folder left


def test_ctrl_c_during_the_swap_waits_for_the_whole_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    for name in ("model.json", "loss.png", "boundary.png"):
        (folder / name).write_text("old")
    output = runfolder.OutputFolder(folder, ["model.json", "loss.png", "boundary.png"])
    for name in ("model.json", "loss.png"):
        output.path(name).write_text("new")
    real_replace = os.replace

    def replace_then_ctrl_c(source, target):
        real_replace(source, target)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C after the first file

    monkeypatch.setattr(runfolder.os, "replace", replace_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):  # raised once the set is in place
        output.commit()
    assert {name: (folder / name).read_text() for name in listing(folder)} == {
        "loss.png": "new", "model.json": "new"
    }
    assert listing(tmp_path) == ["run"]


def test_a_staging_folder_left_by_a_killed_run_is_removed(stepgrad, tmp_path: Path) -> None:
    stale = tmp_path / "run" / f"{runfolder.STAGING_PREFIX}999999999-x"  # no such process
    stale.mkdir(parents=True)
    (stale / "model.json").write_text("half")
    finished = stepgrad("train", "--steps", "2", "--out", "run")
    assert finished.returncode == 0, finished.stderr
    assert listing(tmp_path / "run") == ["boundary.png", "loss.png", "model.json"]


def test_a_staging_folder_named_with_an_impossible_process_number_is_left_alone(
    tmp_path: Path,
) -> None:
    odd = tmp_path / f"{runfolder.STAGING_PREFIX}{10**30}-x"  # too large for os.kill
    odd.mkdir()
    with runfolder.OutputFolder(tmp_path / "run", ["model.json"]):
        pass
    assert odd.is_dir()


def test_ctrl_c_in_a_real_terminal_is_one_line_and_exit_130(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "model.json").write_text("the earlier run")
    environment = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    child = pexpect.spawn(
        sys.executable, ["-m", "nn", "train", "--steps", "5000", "--out", "run", "--force"],
        cwd=str(tmp_path), env=environment, encoding="utf-8", dimensions=(24, 80), timeout=60,
    )
    child.expect_exact("training on")  # it trains (with a progress bar: this is a terminal)
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    after = child.before.replace("\r\n", "\n").split("\n", 1)[1]
    assert "Traceback" not in after and "Error" not in after
    assert after.rstrip().endswith("\rstepgrad train: interrupted (Ctrl-C)")
    assert after.count("stepgrad") == 1
    assert listing(tmp_path / "run") == ["model.json"]
    assert (tmp_path / "run" / "model.json").read_text() == "the earlier run"
    assert listing(tmp_path) == ["run"]


def test_a_run_whose_loss_rose_says_so(
    stepgrad, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nn.train

    real_fit = nn.train.fit

    def fit_that_went_the_wrong_way(*arguments: object, **options: object) -> nn.train.History:
        history = real_fit(*arguments, **options)  # type: ignore[arg-type]
        history.loss[-1] = history.loss[0] * 1e4  # as a too-large learning rate leaves it
        return history

    monkeypatch.setattr(nn.train, "fit", fit_that_went_the_wrong_way)
    finished = stepgrad("train", "--data", "xor", "--hidden", "4", "--steps", "3",
                        "--lr", "2", "--out", "run")
    assert finished.returncode == 0, finished.stderr
    assert "loss rose" in finished.stdout and "--lr (e.g. 0.2)" in finished.stdout
    monkeypatch.setattr(nn.train, "fit", real_fit)
    plain = stepgrad("train", "--data", "xor", "--hidden", "4", "--steps", "3",
                     "--out", "run2")
    assert "loss rose" not in plain.stdout


# ---------------------------------------------------------------------- two runs, one folder


@pytest.mark.parametrize("existing", [False, True], ids=["new-folder", "existing-folder"])
def test_a_second_run_into_a_folder_in_use_is_refused(
    stepgrad, tmp_path: Path, existing: bool
) -> None:
    if existing:
        (tmp_path / "run").mkdir()
    with runfolder.OutputFolder(tmp_path / "run", cli.TRAIN_FILES):  # the first run
        finished = stepgrad("train", "--steps", "2", "--out", "run", "--force")
        assert finished.returncode == 2
        assert finished.message.startswith(
            f"stepgrad train: error: --out 'run': another stepgrad run (process {os.getpid()}) "
            "is writing into this folder"
        )
    assert listing(tmp_path) == (["run"] if existing else [])  # its lock file is gone
    if existing:
        assert listing(tmp_path / "run") == []


def test_two_real_runs_into_one_new_folder_the_second_is_refused(tmp_path: Path) -> None:
    environment = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "nn", "train", "--no-progress", "--out", "new"]
    first = subprocess.Popen(
        [*command, "--steps", "9000"], cwd=tmp_path, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lock = tmp_path / f"{runfolder.LOCK_PREFIX}-new"
        for _ in range(600):  # until the first run holds its lock (at most 60 s)
            if lock.exists() or first.poll() is not None:
                break
            time.sleep(0.1)
        assert lock.exists(), first.communicate()
        second = subprocess.run(
            [*command, "--steps", "2", "--force"], cwd=tmp_path, env=environment,
            capture_output=True, text=True, timeout=120,
        )
        assert first.poll() is None, "the first run ended too soon for this test"
        assert second.returncode == 2
        message = read_error(second.stderr)[0]
        assert f"another stepgrad run (process {first.pid}) is writing" in message
    finally:
        first.send_signal(signal.SIGINT)
        _, first_errors = first.communicate(timeout=60)
    assert first.returncode == 130, first_errors
    assert listing(tmp_path) == []  # no folder, no staging folder, no lock left


def test_the_lock_of_a_killed_run_is_taken_over(stepgrad, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from nn.apps.runfolder import FolderLock\n"
         "lock = FolderLock(Path('run'), Path('.')); print('locked', flush=True); time.sleep(60)"],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        refused = stepgrad("train", "--steps", "2", "--out", "run")
        assert refused.returncode == 2 and f"(process {holder.pid})" in refused.message
    finally:
        holder.kill()  # SIGKILL: no cleanup, the lock file stays
        holder.wait(timeout=30)
    assert listing(tmp_path) == [f"{runfolder.LOCK_PREFIX}-run"]
    finished = stepgrad("train", "--steps", "2", "--out", "run")
    assert finished.returncode == 0, finished.stderr
    assert listing(tmp_path) == ["run"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o755), (0o077, 0o700), (0o002, 0o775)])
def test_a_new_output_folder_follows_the_umask(
    stepgrad, tmp_path: Path, umask: int, mode: int
) -> None:
    previous = os.umask(umask)
    try:
        finished = stepgrad("train", "--steps", "2", "--out", "new/run")
    finally:
        os.umask(previous)
    assert finished.returncode == 0, finished.stderr
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "new" / "run").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "new" / "run" / "model.json").stat().st_mode) == mode & 0o666


# ---------------------------------------------------------------------- Ctrl-C at any moment

# The installed `stepgrad` script runs `from nn.__main__ import run; sys.exit(run())`.
STEPGRAD_SCRIPT = "import sys; from nn.__main__ import run; sys.exit(run())"


def python_startup_seconds() -> float:
    """How long Python takes to start (and stop) on this machine now, the longest of 3.

    Before the first line of stepgrad runs, Ctrl-C gets Python's own treatment
    (exit status -2, or a traceback from its startup): no program can change
    that. The tests send Ctrl-C after this much time, plus their delay.
    """
    durations = []
    for _ in range(3):
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", "import signal"], check=True, timeout=60)
        durations.append(time.monotonic() - start)
    return max(durations)


def interrupt_after(tmp_path: Path, delay: float | None, command: list[str]) -> Finished:
    """Start the real command, send SIGINT once Python has started and `delay`
    seconds more (None: as soon as its output folder `out` appears), and
    return how it ended."""
    startup = python_startup_seconds()
    environment = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", STEPGRAD_SCRIPT, *command, "--no-progress", "--out", "out"],
        cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    if delay is None:
        deadline = time.monotonic() + 120
        while not (tmp_path / "out").exists() and child.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.001)
    else:
        time.sleep(startup + delay)
    child.send_signal(signal.SIGINT)
    out, errors = child.communicate(timeout=120)
    return Finished(child.returncode, out, errors)


@pytest.mark.parametrize(
    "delay", [0.0, 0.3, 1.0, 2.5, None],
    ids=lambda delay: "as-the-files-land" if delay is None else f"{delay}s-after-python-started",
)
def test_ctrl_c_at_any_moment_is_one_line_and_exit_130(tmp_path: Path, delay: float | None) -> None:
    # Starting up, importing the command and matplotlib, training, writing,
    # just after the files landed (until the run exits, Python shutting down).
    # 300 steps: the run is still going 2.5 s after start on a quiet machine.
    finished = interrupt_after(tmp_path, delay, ["demo", "--steps", "300"])
    if delay is None and finished.returncode == 0:
        # Ctrl-C came while Python was shutting down, the command done: it is
        # ignored (see nn/apps/interrupts.py), never a crash.
        assert finished.stderr == ""
    else:
        assert finished.returncode == 130, finished.stderr
        assert finished.stderr in (
            "stepgrad: interrupted (Ctrl-C)\n", "stepgrad demo: interrupted (Ctrl-C)\n"
        ), finished.stderr
    if delay is None:  # the run was complete: its files are all there
        assert listing(tmp_path / "out") == sorted(cli.DEMO_FILES)
    else:  # nothing half-done is left behind (no staging folder, no lock)
        assert listing(tmp_path) in ([], ["out"])
        if listing(tmp_path):
            assert listing(tmp_path / "out") == sorted(cli.DEMO_FILES)


def _run_script(tmp_path: Path, script: str) -> Finished:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path, capture_output=True,
        text=True, timeout=120, env=dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path}"),
    )
    return Finished(done.returncode, done.stdout, done.stderr)


def test_ctrl_c_during_an_import_exits_at_once_after_the_cleanups(tmp_path: Path) -> None:
    # An exception raised inside a module's import can leave an extension module
    # half set up (it once gave "Fatal Python error"): exit at once instead.
    (tmp_path / "slow_module.py").write_text(
        "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\nprint('still importing')\n"
    )
    finished = _run_script(tmp_path, """
        from nn.apps import interrupts
        interrupts.catch_ctrl_c()
        interrupts.name_command("stepgrad demo")
        interrupts.cleanups.append(lambda: print("cleaned up", flush=True))
        print("training on ...")  # still in stdout's buffer (a pipe): kept, not lost
        import slow_module
        print("not reached")
    """)
    assert (finished.returncode, finished.stderr) == (130, "stepgrad demo: interrupted (Ctrl-C)\n")
    assert finished.stdout == "training on ...\ncleaned up\n"


def test_ctrl_c_after_the_command_is_done_exits_at_once(tmp_path: Path) -> None:
    finished = _run_script(tmp_path, """
        import os, signal
        from nn.apps import interrupts
        interrupts.catch_ctrl_c()
        try:
            os.kill(os.getpid(), signal.SIGINT)  # while it works: an exception to catch
        except KeyboardInterrupt:
            print("caught", flush=True)
        interrupts.finished()
        os.kill(os.getpid(), signal.SIGINT)  # while Python shuts down: nothing would catch it
        print("not reached")
    """)
    assert (finished.returncode, finished.stdout) == (130, "caught\n")
    assert finished.stderr == "stepgrad: interrupted (Ctrl-C)\n"


# ---------------------------------------------------------------------- a full disk


def test_a_full_disk_names_the_file_of_the_run_not_the_staging_folder(
    stepgrad, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(descriptor: int) -> None:  # simulated: where a full disk fails a write
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    finished = stepgrad("train", "--steps", "2", "--out", "run")
    assert finished.returncode == 1
    assert read_error(finished.stderr) == (
        "stepgrad train: error: [Errno 28] cannot write run/model.json: No space left on "
        "device (the run's files were not written)",
        [],
    )
    assert listing(tmp_path) == []


def test_a_really_full_disk_names_the_file_of_the_run(tmp_path: Path) -> None:
    # A real 40 KiB tmpfs in a private mount namespace (as in tests/test_files.py).
    mount = ["unshare", "--map-root-user", "--mount", "sh", "-c"]
    try:
        usable = subprocess.run(
            [*mount, f"mount -t tmpfs -o size=40k tmpfs {tmp_path}"], capture_output=True, timeout=30
        ).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        usable = False
    if not usable:
        pytest.skip("cannot mount a small tmpfs here (unshare or mount refused)")
    command = (
        f"mount -t tmpfs -o size=40k tmpfs {tmp_path} && cd {tmp_path} && "
        f"{sys.executable} -m nn train --steps 2 --no-progress --out run; echo status $?; ls -A"
    )
    done = subprocess.run(
        [*mount, command], capture_output=True, text=True, timeout=300,
        env=dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT)),
    )
    message = read_error(done.stderr)[0]
    assert message.endswith(": No space left on device (the run's files were not written)")
    assert "error: [Errno 28] cannot write run/" in message
    assert done.stdout.endswith("status 1\n")  # and nothing is left on the disk


def test_the_entry_point_catches_ctrl_c_before_importing_the_command(tmp_path: Path) -> None:
    # Everything imported before catch_ctrl_c() runs is a moment where Ctrl-C
    # would still print a traceback: only these small modules, no engine, no nn.
    finished = _run_script(tmp_path, """
        import sys
        before = set(sys.modules)
        import nn.__main__
        print(sorted(name for name in set(sys.modules) - before if name.startswith(("nn", "engine"))))
        import nn
        print(nn.MLP.__name__, nn.data.moons.__name__)  # the library's names still load
    """)
    assert finished.stdout.splitlines() == [
        "['nn', 'nn.__main__', 'nn.apps', 'nn.apps.interrupts']", "MLP moons"
    ], finished.stderr
