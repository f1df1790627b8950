"""gradcheck: it catches wrong derivatives, reports readably, and disturbs nothing."""

from __future__ import annotations

import math

import pytest

from engine import GradcheckReport, Value, gradcheck
from engine.value import from_op


def wrong_square(x: Value) -> Value:
    """x**2 with a wrong local derivative (3x instead of 2x)."""
    return from_op(x.data**2, "square", (x,), (3 * x.data,))


def test_a_correct_gradient_passes() -> None:
    a, b = Value(0.3, label="a"), Value(-1.2, label="b")
    report = gradcheck(lambda: (a * b).tanh() + b.exp(), [a, b])
    assert isinstance(report, GradcheckReport)
    assert report.ok
    assert [row.label for row in report.rows] == ["a", "b"]
    slope = 1 - math.tanh(a.data * b.data) ** 2  # d tanh(u)/du
    expected_grads = [b.data * slope, a.data * slope + math.exp(b.data)]
    for row, expected in zip(report.rows, expected_grads):
        assert row.ok
        assert row.analytic == pytest.approx(expected, rel=1e-12)
        assert row.numeric == pytest.approx(expected, rel=1e-6)
        assert row.difference == abs(row.analytic - row.numeric)


def test_a_wrong_local_derivative_is_caught() -> None:
    x, y = Value(2.0, label="x"), Value(1.0, label="y")
    report = gradcheck(lambda: wrong_square(x) * y, [x, y])
    assert not report.ok
    assert [row.ok for row in report.rows] == [False, True]
    assert report.rows[0].analytic == pytest.approx(6.0)
    assert report.rows[0].numeric == pytest.approx(4.0)
    assert repr(report) == "GradcheckReport(2 inputs, mismatch in x)"


def test_the_report_prints_as_a_table() -> None:
    x = Value(2.0, label="x")
    lines = str(gradcheck(lambda: wrong_square(x), [x])).splitlines()
    assert lines[0].split() == ["input", "analytic", "numeric", "difference", "ok"]
    assert lines[1].split() == ["x", "6", "4", "2.0e+00", "NO"]
    # the columns line up: every line puts its verdict at the same place
    assert lines[0].index(" ok") == lines[1].index(" NO")


def test_unlabelled_inputs_are_named_by_position() -> None:
    a, b = Value(1.0), Value(2.0)
    report = gradcheck(lambda: a * b, [a, b])
    assert [row.label for row in report.rows] == ["inputs[0]", "inputs[1]"]


def test_grads_and_data_are_left_as_they_were() -> None:
    a, b = Value(0.5, label="a"), Value(1.5, label="b")
    c = a * b
    c.backward()  # the user is accumulating gradients
    before = (a.grad, b.grad, c.grad, a.data, b.data)
    report = gradcheck(lambda: (a * b + a).sigmoid(), [a, b])
    assert report.ok
    assert (a.grad, b.grad, c.grad, a.data, b.data) == before
    # and the analytic gradient did not include the grads accumulated before
    sigmoid = 1 / (1 + math.exp(-(a.data * b.data + a.data)))
    expected = sigmoid * (1 - sigmoid) * (b.data + 1)
    assert report.rows[0].analytic == pytest.approx(expected, rel=1e-12)


def test_an_input_that_f_does_not_use_has_gradient_zero() -> None:
    a, unused = Value(1.0, label="a"), Value(5.0, label="unused")
    unused.grad = 3.0
    report = gradcheck(lambda: a * 2, [a, unused])
    assert report.ok
    assert (report.rows[1].analytic, report.rows[1].numeric) == (0.0, 0.0)
    assert unused.grad == 3.0


def test_other_leaves_in_the_graph_keep_their_grads() -> None:
    a, weight = Value(1.0, label="a"), Value(2.0, label="weight")
    weight.grad = 0.25
    assert gradcheck(lambda: a * weight, [a]).ok
    assert weight.grad == 0.25


def test_data_is_restored_even_when_f_fails() -> None:
    x = Value(0.0, label="x")
    with pytest.raises(ValueError, match="log"):
        gradcheck(lambda: (x + 1e-7).log(), [x])
    assert x.data == 0.0


def test_tolerance_and_eps_are_used() -> None:
    x = Value(1.0, label="x")
    assert gradcheck(lambda: wrong_square(x), [x], tolerance=2.0).ok
    report = gradcheck(lambda: x.exp(), [x], eps=1e-3, tolerance=1e-3)
    assert (report.eps, report.tolerance) == (1e-3, 1e-3)
    assert report.ok


@pytest.mark.parametrize(
    "inputs, error, message",
    [
        ([1.0], TypeError, r"inputs\[0\] must be a Value, not float 1.0"),
        (Value(1.0), TypeError, r"list of Values"),
    ],
)
def test_bad_inputs_are_explained(inputs: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        gradcheck(lambda: Value(1.0) * 2, inputs)


def test_an_intermediate_value_is_not_an_input() -> None:
    a = Value(1.0)
    b = a * 2
    with pytest.raises(ValueError, match=r"inputs\[0\].*result of '\*'.*leaves"):
        gradcheck(lambda: b * 3, [b])


def test_f_must_return_a_fresh_value() -> None:
    a = Value(1.0)
    with pytest.raises(TypeError, match="f\\(\\) must return a Value.*float 2.0"):
        gradcheck(lambda: a.data * 2, [a])
    c = a * 2
    with pytest.raises(ValueError, match="same Value twice"):
        gradcheck(lambda: c, [a])


@pytest.mark.parametrize("eps, tolerance", [(0.0, 1e-5), (-1e-6, 1e-5), (1e-6, -1.0)])
def test_eps_and_tolerance_must_be_sensible(eps: float, tolerance: float) -> None:
    a = Value(1.0)
    with pytest.raises(ValueError, match="eps|tolerance"):
        gradcheck(lambda: a * 2, [a], eps=eps, tolerance=tolerance)


def test_a_value_instead_of_a_function_gets_the_fix() -> None:
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    with pytest.raises(TypeError, match=r"write gradcheck\(lambda: x \* w, \[x, w\]\)"):
        gradcheck(x * w, [x])


def test_no_inputs_is_refused() -> None:
    x = Value(2.0)
    with pytest.raises(ValueError, match="inputs is empty"):
        gradcheck(lambda: x * x, [])


def test_a_nudge_out_of_the_domain_names_the_input_and_eps() -> None:
    z = Value(1e-7, label="z")
    with pytest.raises(ValueError, match=r"nudging z from 1e-07 by eps=1e-06 leaves the domain"):
        gradcheck(lambda: z.log(), [z])
    assert z.data == 1e-7
