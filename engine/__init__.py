"""stepgrad's engine: scalar reverse-mode automatic differentiation in pure Python.

>>> from engine import Value
>>> x = Value(0.5, label="x")
>>> y = (x * 2).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.839949
"""

from engine.draw import GraphDrawing, draw, text_tree
from engine.gradcheck import GradcheckReport, gradcheck
from engine.graph import backward, topological_order, zero_grad
from engine.stepper import BackwardStep, Stepper, backward_steps
from engine.value import Value, as_value, scope

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
    "scope",
    "text_tree",
    "topological_order",
    "zero_grad",
]
