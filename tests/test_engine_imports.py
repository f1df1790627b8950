"""The engine's core needs nothing but Python; the drawing loads when first used."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter where the third-party packages cannot be imported.
BLOCKED = ("graphviz", "matplotlib", "PIL", "tqdm", "numpy", "torch")


def run_without_third_party(code: str) -> subprocess.CompletedProcess[str]:
    blocker = textwrap.dedent(
        f"""
        import sys
        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {BLOCKED!r}:
                    raise ImportError(f"{{name}} is blocked for this test")
                return None
        sys.meta_path.insert(0, Blocker())
        """
    )
    return subprocess.run(
        [sys.executable, "-c", blocker + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )


def test_the_core_imports_and_works_with_nothing_but_python() -> None:
    finished = run_without_third_party(
        """
        from engine import Value, backward, gradcheck, parse_expression, topological_order
        x = Value(0.5, label="x")
        y = (x * 2).tanh() + x ** 2
        y.backward()
        assert gradcheck(lambda: (x * 2).tanh() + x ** 2, [x]).ok
        assert len(topological_order(y)) == 6
        assert parse_expression("tanh(a * 2)").build({"a": 1.0}).data > 0
        print(x.tree().splitlines()[0])
        import sys
        loaded = sorted(name for name in sys.modules if name.split(".")[0] in {BLOCKED!r})
        print("loaded:", loaded)
        """.replace("{BLOCKED!r}", repr(BLOCKED))
    )
    assert finished.returncode == 0, finished.stderr
    assert "loaded: []" in finished.stdout


def test_a_view_says_which_package_it_needs() -> None:
    finished = run_without_third_party(
        """
        from engine import Value, draw
        """
    )
    assert finished.returncode != 0
    assert "graphviz" in finished.stderr


def test_the_drawing_loads_on_first_use() -> None:
    import engine

    assert engine.draw.__module__ == "engine.views.drawing"
    assert engine.Stepper.__module__ == "engine.views.stepper"
    assert engine.text_tree.__module__ == "engine.views.tree"
