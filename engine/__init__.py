"""stepgrad's engine: scalar reverse-mode automatic differentiation in pure Python.

>>> from engine import Value
>>> x = Value(0.5, label="x")
>>> y = (x * 2).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.839949

The core (`Value`, the graph walk, `gradcheck`, the formula parser) lives in
this folder and needs nothing but Python. The views (`draw`, `text_tree`, the
`Stepper`) live in `engine/views/`: the text tree and the stepper load with
the engine (they offer `Value.tree()` and `Value.backward_steps()`), and the
drawing the first time you use it, so `from engine import Value` works even
where graphviz or Pillow are not installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from engine.expression import parse_expression
from engine.gradcheck import GradcheckReport, gradcheck
from engine.graph import backward, topological_order, zero_grad
from engine.unroll import Unrolled, unroll
from engine.value import Value, as_value, scope
from engine.views.stepper import BackwardStep, Stepper, backward_steps
from engine.views.tree import text_tree

if TYPE_CHECKING:
    from engine.views.drawing import GraphDrawing, draw

# The drawing, by the module it lives in: imported on first use (see
# __getattr__), since it needs graphviz.
_VIEWS = {
    "GraphDrawing": "engine.views.drawing",
    "draw": "engine.views.drawing",
}


def __getattr__(name: str) -> Any:
    """`engine.draw` and `engine.GraphDrawing`: import the drawing the first time it is used."""
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
    "unroll",
    "Unrolled",
    "zero_grad",
]
