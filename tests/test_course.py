"""The course in demos/: one notebook per lesson, each run top to bottom in a fresh kernel.

The notebooks are saved with their outputs, so that GitHub shows the pictures.
Here each is run again and compared with what was saved: the same cells, the
same kinds of output in each (a picture where a picture was saved), the same
printed text (numbers compared to 3 significant digits), and every exercise's
check saying "right" for the worked answer the notebook holds. A second run
with wrong answers shows that the checks can say "wrong".

(Remake a lesson's saved outputs with `jupyter nbconvert --to notebook --execute
--inplace --ExecutePreprocessor.record_timing=False
--ExecutePreprocessor.store_widget_state=False demos/N-NAME.ipynb` from a shell
where `import engine` works: no timings or widget models saved in the file.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from notebooks import DRAWN, execute
from pictures import svgs_in

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
DEMOS = ROOT / "demos"
LESSONS = [
    "1-neuron",
    "2-activations",
    "3-loss",
    "4-gradient-descent",
    "5-backprop",
    "6-networks",
    "classroom",  # lesson 7, for the teacher: running a lesson with `stepgrad serve`
]
CHECK = "# Check exercise"
PICTURES = {"image/png", "image/svg+xml"}


def read(name: str) -> Any:
    return nbformat.read(DEMOS / f"{name}.ipynb", as_version=4)


def code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def kinds(cell: Any) -> list[tuple[str, bool]]:
    """Each output of a cell: its type, and whether it holds a picture. (Text printed at
    once may arrive in one stream output or in two in a row: they count as one.)"""
    found: list[tuple[str, bool]] = []
    for output in cell.outputs:
        kind = (output.output_type, bool(PICTURES & set(output.get("data", {}))))
        if not (kind[0] == "stream" and found and found[-1] == kind):
            found.append(kind)
    return found


def text(cell: Any) -> str:
    """What a cell printed and its text results, numbers rounded to 3 significant digits."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "execute_result":
            parts.append(output.data.get("text/plain", ""))
    return re.sub(r"-?\d+\.\d+(?:e[-+]?\d+)?", rounded, "".join(parts))


def rounded(number: re.Match[str]) -> str:
    value = float(number.group())
    return "0" if abs(value) < 1e-6 else f"{value:.3g}"


def checks(notebook: Any) -> list[str]:
    """The text each exercise's check cell printed."""
    return ["".join(o.get("text", "") for o in c.outputs) for c in code_cells(notebook)
            if c.source.startswith(CHECK)]


@pytest.fixture(scope="module", params=LESSONS)
def lesson(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """(the saved notebook, the same notebook run again in a fresh kernel)."""
    return read(request.param), execute(read(request.param))


def test_the_course_is_the_lessons_in_order() -> None:
    notebooks = sorted(path.stem for path in DEMOS.glob("*.ipynb"))
    assert notebooks == LESSONS
    for number, name in enumerate(LESSONS, start=1):
        title = read(name).cells[0].source.splitlines()[0]
        assert title.startswith(f"# Lesson {number}: "), title


@pytest.mark.parametrize("name", LESSONS)
def test_a_lesson_is_saved_run_with_its_pictures_and_small(name: str) -> None:
    notebook = read(name)
    nbformat.validate(notebook)
    assert (DEMOS / f"{name}.ipynb").stat().st_size < 500_000
    cells = code_cells(notebook)
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1))
    assert not [o for cell in cells for o in cell.outputs if o.output_type == "error"]
    assert any(picture for cell in cells for _, picture in kinds(cell))
    # It ends with exercises, each checked, and the saved checks say "right".
    assert notebook.cells[-1].source.startswith(CHECK)
    saved = checks(notebook)
    assert len(saved) >= 2
    assert all(printed.startswith("right") for printed in saved), saved


def test_a_lesson_runs_top_to_bottom_as_it_was_saved(lesson: tuple[Any, Any]) -> None:
    saved, fresh = lesson
    assert [c.source for c in fresh.cells] == [c.source for c in saved.cells]
    for saved_cell, fresh_cell in zip(code_cells(saved), code_cells(fresh)):
        assert not [o for o in fresh_cell.outputs if o.output_type == "error"], fresh_cell.source
        assert kinds(fresh_cell) == kinds(saved_cell), saved_cell.source
        assert text(fresh_cell) == text(saved_cell), saved_cell.source
    assert all(printed.startswith("right") for printed in checks(fresh)), checks(fresh)


@pytest.mark.parametrize("name", [*LESSONS[:5], "classroom"])
def test_a_wrong_answer_is_called_wrong(name: str) -> None:
    """Every `answer_... = ...` line of the exercises set to 12345: each check so fed says "wrong"."""
    notebook = read(name)
    cells = notebook.cells
    changed = 0
    for index, cell in enumerate(cells[1:], start=1):
        if cell.cell_type == "code" and cell.source.startswith(CHECK):
            exercise = cells[index - 1]
            lines = exercise.source.splitlines()
            wrong = [re.sub(r"^(answer_\w+) = .*", r"\1 = 12345.0", line) for line in lines]
            wrong = [re.sub(r"^(answer_\w+), (answer_\w+) = .*", r"\1, \2 = 12345.0, 12345.0",
                            line) for line in wrong]
            if wrong != lines:
                exercise.source = "\n".join(wrong)
                changed += 1
    assert changed >= 2
    printed = checks(execute(notebook))
    called_wrong = [p for p in printed if p.startswith("wrong")]
    assert len(called_wrong) >= changed, printed


@pytest.mark.parametrize("name", DRAWN)
def test_a_saved_lessons_drawings_are_pictures_in_a_static_page(name: str) -> None:
    """nbconvert's HTML page of the saved lesson shows each drawing as an image of its SVG.

    Never inline SVG, which JupyterLab strips from a notebook it does not
    trust yet (one opened, not run): that leaves a run of words.
    """
    exporter = pytest.importorskip("nbconvert").HTMLExporter()
    notebook = read(name)
    pages = [output.data["text/html"] for cell in code_cells(notebook) for output in cell.outputs
             if "stepgrad-drawing" in output.get("data", {}).get("text/html", "")]
    assert pages and not [page for page in pages if "<svg" in page]
    page, _ = exporter.from_notebook_node(notebook)
    drawings = svgs_in(page)
    assert len(drawings) == len(pages)
    assert all("<svg" in svg and "grad" in svg for svg in drawings)
    assert page.count("min-width: ") >= len(pages)  # each keeps its size: text >= 11 px
