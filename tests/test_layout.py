"""The layout shows the design: no import circles, the core never imports a view.

Every import counts, including those inside functions (a circle through a
function-level import is still a circle a reader has to untangle); imports
under `if TYPE_CHECKING:` do not, since they never run.

- `engine/` (the core) never imports `engine.views` or `nn`;
- `nn/`'s library never imports its applications in `nn.apps`;
- no two modules reach each other through imports (no circle of any length).

The packages' `__init__.py` files are the front doors (`from engine import
Value, draw, Stepper`), so they may name both sides; nothing else imports
through them into a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "nn")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


def is_type_checking_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules that `path` imports at run time (anywhere in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if is_type_checking_block(node):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    found.add(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                # `from engine import graph` imports the module engine.graph;
                # `from engine import Value` imports the package engine.
                found.add(submodule if submodule in modules else node.module)
        pending.extend(ast.iter_child_nodes(node))
    return {name for name in found if name in modules}


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imported_modules(path, modules) for name, path in modules.items()}


def in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def is_engine_core(name: str) -> bool:
    return in_package(name, "engine") and name != "engine" and not in_package(name, "engine.views")


def is_nn_library(name: str) -> bool:
    entry_points = ("nn", "nn.__main__")
    return in_package(name, "nn") and name not in entry_points and not in_package(name, "nn.apps")


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle (as a list of modules, first == last), or None: iterative DFS."""
    state: dict[str, str] = {}  # "open" while on the path, "done" after
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        state[start] = "open"
        stack = [iter(sorted(graph[start]))]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                state[path.pop()] = "done"
                stack.pop()
            elif state.get(following) == "open":
                return path[path.index(following):] + [following]
            elif following not in state:
                state[following] = "open"
                path.append(following)
                stack.append(iter(sorted(graph[following])))
    return None


def test_no_module_imports_itself_round_a_circle() -> None:
    circle = find_circle(import_graph())
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def test_the_engine_core_imports_no_view_and_no_nn() -> None:
    graph = import_graph()
    wrong = sorted(
        f"{module} imports {imported}"
        for module, imports in graph.items()
        if is_engine_core(module)
        for imported in imports
        if in_package(imported, "engine.views") or in_package(imported, "nn")
    )
    assert wrong == []


def test_the_engine_never_imports_nn() -> None:
    graph = import_graph()
    wrong = sorted(
        f"{module} imports {imported}"
        for module, imports in graph.items()
        if in_package(module, "engine")
        for imported in imports
        if in_package(imported, "nn")
    )
    assert wrong == []


def test_the_nn_library_imports_no_application() -> None:
    graph = import_graph()
    wrong = sorted(
        f"{module} imports {imported}"
        for module, imports in graph.items()
        if is_nn_library(module)
        for imported in imports
        if in_package(imported, "nn.apps")
    )
    assert wrong == []


def test_the_checker_sees_circles_and_function_level_imports(tmp_path: Path) -> None:
    """The rules above can fail: a made-up circle through a function-level import is found."""
    source = tmp_path / "a.py"
    source.write_text("def f():\n    from engine.views import stepper\n", encoding="utf-8")
    modules = {"engine.views.stepper": source, "engine.value": source}
    assert imported_modules(source, modules) == {"engine.views.stepper"}
    guarded = tmp_path / "b.py"
    guarded.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from engine.value import Value\n",
        encoding="utf-8",
    )
    assert imported_modules(guarded, modules) == set()
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


def test_the_front_doors_still_open() -> None:
    from engine import Stepper, Value, draw
    from nn import MLP, fit

    assert Value(1.0).data == 1.0 and callable(draw) and callable(fit)
    assert Stepper.__module__ == "engine.views.stepper" and MLP.__module__ == "nn.layers"
