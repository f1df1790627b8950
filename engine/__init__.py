"""stepgrad's engine: scalar reverse-mode automatic differentiation in pure Python.

>>> from engine import Value
>>> x = Value(0.5, label="x")
>>> y = (x * 2).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.839949
"""

from engine.gradcheck import GradcheckReport, gradcheck
from engine.graph import backward, topological_order, zero_grad
from engine.value import Value, as_value, scope

__all__ = [
    "GradcheckReport",
    "Value",
    "as_value",
    "backward",
    "gradcheck",
    "scope",
    "topological_order",
    "zero_grad",
]
