"""Every demo script runs, headless, and writes what it says it writes."""

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

DEMOS = Path(__file__).resolve().parents[1] / "demos"


def run_demo(name: str, folder: Path, *arguments: str) -> str:
    """Run demos/<name> as a student would (python demos/<name>) in `folder`."""
    environment = dict(os.environ, MPLBACKEND="Agg")
    finished = subprocess.run(
        [sys.executable, str(DEMOS / name), *arguments],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def test_every_demo_has_a_test() -> None:
    tested = {"neuron.py", "backprop_steps.py", "iris.py", "activations.py", "moons.py",
              "stepgrad_out.py"}  # (stepgrad_out.py: the scripts' output folder, tested below)
    assert {path.name for path in DEMOS.glob("*.py")} == tested
    pictures = sorted(path.name for path in (DEMOS / "pictures").glob("*.py"))
    assert pictures == ["classroom_shot.py", "make.py"]


def test_the_classroom_screenshot_is_remade_in_a_real_browser(tmp_path: Path) -> None:
    """classroom_shot.py photographs the projector page (Debian's chromium, as in CI)."""
    output = run_demo("pictures/classroom_shot.py", tmp_path, str(tmp_path))
    assert "classroom.png" in output
    with Image.open(tmp_path / "classroom.png") as picture:
        assert picture.size == (1280, 720)


def test_the_readme_pictures_are_remade_from_the_demos(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    screenshot = (DEMOS / "pictures" / "classroom.png").read_bytes()
    (tmp_path / "out" / "classroom.png").write_bytes(screenshot)  # not make.py's to touch
    output = run_demo("pictures/make.py", tmp_path, str(tmp_path / "out"), "2")
    made = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert made == ["activations.png", "classroom.png", "moons_boundary.png", "moons_loss.png",
                    "moons_network.png", "neuron.png"]
    assert (tmp_path / "out" / "classroom.png").read_bytes() == screenshot
    assert "classroom.png" not in output
    assert "moons_network.png: " in output and " px (" in output
    committed = {path.name for path in (DEMOS / "pictures").glob("*.png")}
    assert set(made) <= committed  # the README shows each of them


def test_making_the_pictures_leaves_the_classroom_screenshot_alone(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    screenshot = folder / "classroom.png"
    screenshot.write_bytes((DEMOS / "pictures" / "classroom.png").read_bytes())
    before = screenshot.stat().st_mtime_ns, screenshot.read_bytes()
    run_demo("pictures/make.py", tmp_path, str(folder), "2")
    assert (screenshot.stat().st_mtime_ns, screenshot.read_bytes()) == before


def test_neuron_demo_draws_the_neuron(tmp_path: Path) -> None:
    output = run_demo("neuron.py", tmp_path, "out")
    assert "d(o)/d(x1) = -1.5000" in output
    assert "d(o)/d(w1) = +1.0000" in output
    assert (tmp_path / "out" / "neuron.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "out" / "neuron.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(os.listdir(tmp_path / "out")) == ["neuron.png", "neuron.svg"]


def test_a_demo_replaces_earlier_pictures_only_with_force(tmp_path: Path) -> None:
    """As `stepgrad demo` does: moons.py finds stepgrad demo's moons_loss.png and stops
    before training, naming the file and --force; neuron.py likewise, then --force."""
    (tmp_path / "out").mkdir()
    earlier = tmp_path / "out" / "moons_loss.png"
    earlier.write_bytes(b"stepgrad demo's picture")
    environment = dict(os.environ, MPLBACKEND="Agg")
    for script in ("moons.py", "neuron.py"):
        if script == "neuron.py":
            run_demo("neuron.py", tmp_path, "out")
        finished = subprocess.run(
            [sys.executable, str(DEMOS / script), "out"], cwd=tmp_path, env=environment,
            capture_output=True, text=True, timeout=300,
        )
        assert finished.returncode == 1 and finished.stdout == ""
        assert "already holds" in finished.stderr and "--force" in finished.stderr
    assert earlier.read_bytes() == b"stepgrad demo's picture"
    output = run_demo("neuron.py", tmp_path, "out", "--force")
    assert "wrote out/neuron.png" in output


def test_backprop_steps_demo_ends_quietly_when_its_reader_stops(tmp_path: Path) -> None:
    """`python3 demos/backprop_steps.py | head`: no BrokenPipeError traceback."""
    process = subprocess.Popen(
        [sys.executable, str(DEMOS / "backprop_steps.py")], cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line
    error = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "BrokenPipeError" not in error and "Traceback" not in error, error


def test_backprop_steps_demo_prints_each_chain_rule_step(tmp_path: Path) -> None:
    output = run_demo("backprop_steps.py", tmp_path)
    assert "a.grad += e.grad * d(e)/d(a) = -2 * -3 = 6" in output
    assert "same grads as L.backward(): [6.0, -4.0, -2.0, 4.0]" in output


def test_iris_demo_generalises(tmp_path: Path) -> None:
    output = run_demo("iris.py", tmp_path)
    accuracy = float(output.split("test accuracy:")[1].strip().rstrip("%"))
    assert accuracy >= 95.0


def test_activations_demo_plots_derivatives_from_backward(tmp_path: Path) -> None:
    output = run_demo("activations.py", tmp_path, "out")
    assert "sigmoid  largest slope 0.250 at x = +0.00" in output
    assert (tmp_path / "out" / "activations.png").stat().st_size > 10_000


def test_moons_demo_is_the_loop_that_fit_runs(tmp_path: Path) -> None:
    """The plain loop of demos/moons.py, a few steps: the same losses as `fit` with
    the same recipe. (That recipe reaches 100% in 100 steps: see the classic demo
    tests in tests/test_train.py and tests/test_cli_train.py.)"""
    from nn import MLP, SGD, LinearDecay
    from nn.data import moons, signed_labels
    from nn.train import fit

    steps = 4
    output = run_demo("moons.py", tmp_path, "out", str(steps))
    printed = [line.split() for line in output.splitlines() if line.startswith("step")]
    assert [int(words[1]) for words in printed] == [0, steps - 1]
    X, labels = moons(n=100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=1, fused=True)
    optimizer = SGD(model.parameters(), lr=1.0)
    history = fit(
        model, X, signed_labels(labels), loss="hinge", l2=1e-4, optimizer=optimizer,
        schedule=LinearDecay(optimizer, start=1.0, end=0.1, steps=steps), steps=steps,
        progress=False,
    )
    assert [words[3] for words in printed] == [f"{history.loss[0]:.4f}", f"{history.loss[-1]:.4f}"]
    assert history.loss[-1] < history.loss[0]
    assert "after training: accuracy" in output
    for name in ("moons_boundary.png", "moons_loss.png"):
        assert (tmp_path / "out" / name).stat().st_size > 10_000
