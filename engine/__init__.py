"""stepgrad's engine: scalar reverse-mode automatic differentiation in pure Python.

>>> from engine import Value
>>> x = Value(0.5, label="x")
>>> y = (x * 2).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.839949

The core (`Value`, the graph walk, `gradcheck`, the formula parser) needs
nothing but Python. The views (`draw`, `text_tree`, the `Stepper`) are loaded
the first time you use them, so `from engine import Value` works even where
graphviz or Pillow are not installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from engine.expression import parse_expression
from engine.gradcheck import GradcheckReport, gradcheck
from engine.graph import backward, topological_order, zero_grad
from engine.value import Value, as_value, scope

if TYPE_CHECKING:
    from engine.drawing import GraphDrawing, draw
    from engine.stepper import BackwardStep, Stepper, backward_steps
    from engine.tree import text_tree

# The views, by the module each one lives in: imported on first use (see __getattr__).
_VIEWS = {
    "GraphDrawing": "engine.drawing",
    "draw": "engine.drawing",
    "text_tree": "engine.tree",
    "BackwardStep": "engine.stepper",
    "Stepper": "engine.stepper",
    "backward_steps": "engine.stepper",
}


def __getattr__(name: str) -> Any:
    """`engine.draw` and the other views: import their module the first time they are used."""
    if name not in _VIEWS:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    return getattr(importlib.import_module(_VIEWS[name]), name)


__all__ = [
    "BackwardStep",
    "GradcheckReport",
    "GraphDrawing",
    "Stepper",
    "Value",
    "as_value",
    "backward",
    "backward_steps",
    "draw",
    "gradcheck",
    "parse_expression",
    "scope",
    "text_tree",
    "topological_order",
    "zero_grad",
]
