"""Check `backward()` against the definition of the derivative.

The derivative of f with respect to an input x is the slope of f when only x
moves. Central differences measure that slope directly:

    df/dx  ~  (f(x + eps) - f(x - eps)) / (2 * eps)

`gradcheck` computes this **numeric** gradient for each input you choose and
compares it with the **analytic** gradient that `backward()` finds with the
chain rule. If they disagree, a local derivative is wrong somewhere.

>>> from engine import Value
>>> a = Value(2.0, label="a")
>>> b = Value(-3.0, label="b")
>>> report = gradcheck(lambda: a * b + a * a, [a, b])
>>> report.ok
True
>>> print(report)
input  analytic  numeric  difference  ok
a             1        1     1.4e-10  yes
b             2        2     2.8e-10  yes

`gradcheck` leaves your Values as it found them: each input's `data` is put
back after it is nudged, and every `grad` in the graph is restored after the
analytic gradients are read (so it never adds to gradients you are
accumulating, and you do not need to call `zero_grad()` before or after it).

>>> a.grad, b.grad
(0.0, 0.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from engine.checks import check_number, described
from engine.graph import topological_order
from engine.value import Value


@dataclass(frozen=True)
class GradcheckRow:
    """The check of one input: its gradient found both ways, and whether they agree."""

    label: str
    analytic: float  # from backward(): the chain rule
    numeric: float  # from central differences: the definition
    ok: bool

    @property
    def difference(self) -> float:
        """|analytic - numeric|"""
        return abs(self.analytic - self.numeric)


@dataclass(frozen=True)
class GradcheckReport:
    """What `gradcheck` found: one row per input, and `ok` when every row agrees.

    `str(report)` is a small table to print; `report.rows` has the numbers.
    """

    rows: tuple[GradcheckRow, ...]
    eps: float
    tolerance: float

    @property
    def ok(self) -> bool:
        """True when the analytic and numeric gradient agree for every input."""
        return all(row.ok for row in self.rows)

    def __str__(self) -> str:
        header = ("input", "analytic", "numeric", "difference", "ok")
        cells = [
            (
                row.label,
                f"{row.analytic:.10g}",
                f"{row.numeric:.10g}",
                f"{row.difference:.1e}",
                "yes" if row.ok else "NO",
            )
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in [header, *cells]) for i in range(4)]
        lines = []
        for label, analytic, numeric, difference, ok in [header, *cells]:
            lines.append(
                f"{label:<{widths[0]}}  {analytic:>{widths[1]}}  {numeric:>{widths[2]}}"
                f"  {difference:>{widths[3]}}  {ok}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        failed = [row.label for row in self.rows if not row.ok]
        verdict = "ok" if not failed else f"mismatch in {', '.join(failed)}"
        return f"GradcheckReport({len(self.rows)} inputs, {verdict})"


def gradcheck(
    f: Callable[[], Value],
    inputs: Sequence[Value],
    eps: float = 1e-6,
    tolerance: float = 1e-5,
) -> GradcheckReport:
    """Compare backward()'s gradient of `f()` with central differences, for each input.

    - `f`: a function of no arguments that computes a scalar Value from the
      inputs, building a fresh graph on every call (usually a lambda, as in
      `lambda: (a * b).tanh()`).
    - `inputs`: the Values to check the gradient for. They must be inputs
      you created (leaves), since gradcheck nudges their `data`.
    - `eps`: the nudge: each input is moved to x + eps and x - eps.
    - `tolerance`: a row is ok when
      |analytic - numeric| <= tolerance * max(1, |analytic|, |numeric|),
      an absolute error for small gradients and a relative one for large.

    Grads and data are left as they were (see the module docstring).

    >>> x = Value(0.5, label="x")
    >>> gradcheck(lambda: x.tanh(), [x])
    GradcheckReport(1 inputs, ok)

    A wrong local derivative shows up at once. Here d(x**2)/dx is written
    as 3x instead of 2x:

    >>> from engine.value import from_op
    >>> square = lambda: from_op(x.data ** 2, "square", (x,), (3 * x.data,))
    >>> print(gradcheck(square, [x]))
    input  analytic  numeric  difference  ok
    x           1.5        1     5.0e-01  NO
    """
    if isinstance(f, Value) or not callable(f):
        raise TypeError(
            f"gradcheck() needs a function that builds the output, not {f!r}: "
            "write gradcheck(lambda: x * w, [x, w])"
        )
    inputs = _checked_inputs(inputs)
    if not inputs:
        raise ValueError("inputs is empty: name the Values to check, e.g. gradcheck(f, [x, w])")
    check_number("eps", eps, above=0.0, hint="a small step such as 1e-6")
    check_number("tolerance", tolerance, at_least=0.0)

    analytic = _analytic_gradients(f, inputs)
    rows = []
    for index, (value, analytic_grad) in enumerate(zip(inputs, analytic)):
        numeric_grad = _numeric_gradient(f, value, eps)
        scale = max(1.0, abs(analytic_grad), abs(numeric_grad))
        ok = abs(analytic_grad - numeric_grad) <= tolerance * scale
        label = value.label or f"inputs[{index}]"
        rows.append(GradcheckRow(label, analytic_grad, numeric_grad, ok))
    return GradcheckReport(tuple(rows), eps, tolerance)


def _checked_inputs(inputs: Sequence[Value]) -> list[Value]:
    """The inputs as a list, after checking that each is a leaf Value."""
    if isinstance(inputs, Value):
        raise TypeError("inputs must be a list of Values, such as [a, b]; wrap one Value as [a]")
    checked = list(inputs)
    for index, value in enumerate(checked):
        if not isinstance(value, Value):
            raise TypeError(f"inputs[{index}] must be a Value, not {described(value)}")
        if not value.is_leaf:
            raise ValueError(
                f"inputs[{index}] ({value!r}) is the result of {value.op!r}; gradcheck "
                "nudges the data of its inputs, so pass the Values you created (leaves)"
            )
    return checked


def _call(f: Callable[[], Value]) -> Value:
    """f(), checked to be a Value."""
    output = f()
    if not isinstance(output, Value):
        raise TypeError(
            f"f() must return a Value (the scalar to differentiate), "
            f"not {described(output)}"
        )
    return output


def _analytic_gradients(f: Callable[[], Value], inputs: list[Value]) -> list[float]:
    """d f / d input for each input, by backward(), leaving every grad as it was."""
    output = _call(f)
    if _call(f) is output:
        raise ValueError(
            "f() returned the same Value twice; f must compute its output anew on "
            "each call (write `lambda: a * b`, not `lambda: c` for a c built earlier)"
        )
    order = topological_order(output)
    saved = [node.grad for node in order]
    for node in order:
        node.grad = 0.0
    output.backward()
    in_graph = set(order)
    # An input that f() does not use has gradient 0.
    gradients = [value.grad if value in in_graph else 0.0 for value in inputs]
    for node, grad in zip(order, saved):
        node.grad = grad
    return gradients


def _numeric_gradient(f: Callable[[], Value], value: Value, eps: float) -> float:
    """(f(x + eps) - f(x - eps)) / (2 * eps), with `value.data` put back after."""
    original = value.data
    try:
        value.data = original + eps
        above = _call(f).data
        value.data = original - eps
        below = _call(f).data
    except (ArithmeticError, ValueError) as error:
        name = value.label or "an input"
        raise ValueError(
            f"nudging {name} from {original!r} by eps={eps!r} leaves the domain of f "
            f"({error}); use a smaller eps, or check a point further from the edge"
        ) from None
    finally:
        value.data = original
    return (above - below) / (2.0 * eps)
