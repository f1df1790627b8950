"""Losses against their formulas, against PyTorch, and their input checks."""

from __future__ import annotations

import math
from typing import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, topological_order
from nn import (
    binary_cross_entropy,
    hinge_loss,
    l2_penalty,
    mean_squared_error,
    softmax_cross_entropy,
)

logits = st.floats(-30.0, 30.0, allow_nan=False)


def _values(numbers: list[float]) -> list[Value]:
    return [Value(number) for number in numbers]


# ---------------------------------------------------------------------- formulas


def test_mean_squared_error_formula_and_gradient() -> None:
    predictions = _values([1.0, 2.0, 4.0])
    loss = mean_squared_error(predictions, [0.0, 2.0, 1.0])
    assert loss.data == pytest.approx((1 + 0 + 9) / 3)
    loss.backward()
    assert [p.grad for p in predictions] == pytest.approx([2 / 3, 0.0, 2.0])


def test_mean_squared_error_accepts_plain_numbers_and_rows() -> None:
    assert mean_squared_error([1.0, 3.0], [1.0, 1.0]).data == 2.0
    rows = [_values([1.0, 2.0]), _values([0.0, 0.0])]
    assert mean_squared_error(rows, [[1.0, 0.0], [0.0, 2.0]]).data == pytest.approx(8 / 4)


@settings(max_examples=50)
@given(z=st.lists(logits, min_size=1, max_size=5), data=st.data())
def test_binary_cross_entropy_formula_and_gradient(z: list[float], data: st.DataObject) -> None:
    labels = data.draw(st.lists(st.sampled_from([0, 1]), min_size=len(z), max_size=len(z)))
    inputs = _values(z)
    loss = binary_cross_entropy(inputs, labels)
    loss.backward()
    # -(y*log(p) + (1-y)*log(1-p)) with p = sigmoid(z) is log(1 + e**z) - y*z
    expected = sum(math.log1p(math.exp(a)) - y * a for a, y in zip(z, labels)) / len(z)
    assert loss.data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    for value, a, y in zip(inputs, z, labels):
        assert value.grad == pytest.approx((1 / (1 + math.exp(-a)) - y) / len(z), abs=1e-12)


def test_binary_cross_entropy_is_stable_for_huge_logits() -> None:
    loss = binary_cross_entropy(_values([800.0, -800.0]), [0, 1])
    assert loss.data == pytest.approx(800.0)
    assert binary_cross_entropy(_values([800.0, -800.0]), [1, 0]).data == 0.0


def test_hinge_loss_formula_and_gradient() -> None:
    scores = _values([2.0, 0.5, -0.25])
    loss = hinge_loss(scores, [1, -1, 1])
    assert loss.data == pytest.approx((0.0 + 1.5 + 1.25) / 3)
    loss.backward()
    assert [s.grad for s in scores] == pytest.approx([0.0, 1 / 3, -1 / 3])


def test_softmax_cross_entropy_formula_and_gradient() -> None:
    row = _values([1.0, 2.0, 0.5])
    loss = softmax_cross_entropy([row], [1])
    exps = [math.exp(v.data) for v in row]
    assert loss.data == pytest.approx(math.log(sum(exps)) - 2.0)
    loss.backward()
    softmax = [e / sum(exps) for e in exps]
    assert [v.grad for v in row] == pytest.approx([softmax[0], softmax[1] - 1, softmax[2]])


def test_softmax_cross_entropy_is_stable_for_huge_logits() -> None:
    loss = softmax_cross_entropy([_values([1000.0, 0.0])], [1])
    assert loss.data == pytest.approx(1000.0)


def test_l2_penalty_formula_and_gradient() -> None:
    parameters = _values([1.0, -2.0, 0.5])
    penalty = l2_penalty(parameters, alpha=1e-4)
    assert penalty.data == pytest.approx(1e-4 * 5.25)
    penalty.backward()
    assert [p.grad for p in parameters] == pytest.approx([2e-4, -4e-4, 1e-4])


# ---------------------------------------------------------------------- PyTorch


@settings(max_examples=30)
@given(z=st.lists(logits, min_size=1, max_size=4), data=st.data())
def test_losses_match_pytorch(z: list[float], data: st.DataObject) -> None:
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    n = len(z)
    labels01 = data.draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n))
    targets = data.draw(st.lists(logits, min_size=n, max_size=n))
    classes = data.draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n))

    def compare(ours: Value, inputs: list[Value], theirs: object, tensor: object) -> None:
        ours.backward()
        theirs.backward()
        assert ours.data == pytest.approx(theirs.item(), rel=1e-9, abs=1e-12)
        expected = tensor.grad.flatten().tolist()
        assert [v.grad for v in inputs] == pytest.approx(expected, rel=1e-9, abs=1e-12)

    inputs, tensor = _values(z), torch.tensor(z, dtype=torch.float64, requires_grad=True)
    compare(
        binary_cross_entropy(inputs, labels01),
        inputs,
        functional.binary_cross_entropy_with_logits(tensor, torch.tensor(labels01, dtype=torch.float64)),
        tensor,
    )
    inputs, tensor = _values(z), torch.tensor(z, dtype=torch.float64, requires_grad=True)
    compare(
        mean_squared_error(inputs, targets),
        inputs,
        functional.mse_loss(tensor, torch.tensor(targets, dtype=torch.float64)),
        tensor,
    )
    rows = [_values(z) for _ in range(n)]
    flat = [v for row in rows for v in row]
    tensor = torch.tensor([z] * n, dtype=torch.float64, requires_grad=True)
    compare(
        softmax_cross_entropy(rows, classes),
        flat,
        functional.cross_entropy(tensor, torch.tensor(classes)),
        tensor,
    )


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "loss", [mean_squared_error, binary_cross_entropy, hinge_loss, softmax_cross_entropy]
)
def test_length_mismatch_and_empty_batch(loss: object) -> None:
    with pytest.raises(ValueError, match="got 2 outputs but 1 labels"):
        loss([Value(1.0), Value(1.0)], [1])
    with pytest.raises(ValueError, match="empty batch"):
        loss([], [])
    with pytest.raises(TypeError, match="whole batch"):
        loss(Value(1.0), [1])


@pytest.mark.parametrize("label", [-1, 2, 0.5, True])
def test_binary_cross_entropy_needs_labels_0_or_1(label: object) -> None:
    with pytest.raises(ValueError, match=rf"y\[0\] = {label!r}, .*labels 0 and 1"):
        binary_cross_entropy([Value(0.0)], [label])


@pytest.mark.parametrize("label", [0, 2, 0.5])
def test_hinge_loss_needs_labels_plus_minus_one(label: object) -> None:
    with pytest.raises(ValueError, match=rf"y\[0\] = {label!r}, .*labels -1 and \+1.*signed_labels"):
        hinge_loss([Value(0.0)], [label])


def test_softmax_cross_entropy_label_range_and_rows() -> None:
    with pytest.raises(ValueError, match=r"y\[0\] = 3, .*2 outputs.* from 0 to 1"):
        softmax_cross_entropy([_values([1.0, 2.0])], [3])
    with pytest.raises(TypeError, match="row 0 must be a non-empty list"):
        softmax_cross_entropy([Value(1.0)], [0])


def test_other_input_errors() -> None:
    with pytest.raises(TypeError, match="target 0 must be a Value or a number, not str '1'"):
        mean_squared_error([Value(1.0)], ["1"])
    with pytest.raises(ValueError, match="prediction 0 has 2 outputs"):
        mean_squared_error([_values([1.0, 2.0])], [1.0])
    with pytest.raises(TypeError, match="prediction 0 must be a Value or a number"):
        mean_squared_error(["x"], [1.0])
    with pytest.raises(ValueError, match="alpha must be .*>= 0, not -1.0"):
        l2_penalty([Value(1.0)], alpha=-1.0)


# ------------------------------------------- what the messages name (found by mutation testing)

# Each loss with a batch of one it accepts: (function, outputs, labels).
ONE_EXAMPLE = [
    (mean_squared_error, [1.0], [1.0]),
    (binary_cross_entropy, [Value(0.0)], [1]),
    (hinge_loss, [Value(0.0)], [1]),
    (softmax_cross_entropy, [[1.0, 2.0]], [0]),
]


@pytest.mark.parametrize("loss, outputs, labels", ONE_EXAMPLE)
def test_batch_errors_name_the_loss_what_is_wrong_and_the_value(
    loss: Callable[..., Value], outputs: list[object], labels: list[object]
) -> None:
    name = loss.__name__
    with pytest.raises(TypeError, match=rf"{name}\(\) takes a whole batch: the outputs must "
                       r"be a list, not float 5\.0"):
        loss(5.0, labels)
    with pytest.raises(TypeError, match=rf"{name}\(\) .* the labels must be a list, not int 1$"):
        loss(outputs, 1)
    with pytest.raises(ValueError, match=rf"{name}\(\) got 2 outputs but 1 labels; "
                       "give one label per example$"):
        loss(outputs * 2, labels)
    with pytest.raises(ValueError, match=rf"{name}\(\) got an empty batch"):
        loss([], [])


def test_a_bad_output_is_named_by_its_place_in_the_batch() -> None:
    with pytest.raises(TypeError, match=r"logit 1 must be a Value or a number, not str 'x'"):
        binary_cross_entropy([Value(0.0), "x"], [0, 1])
    with pytest.raises(TypeError, match=r"score 1 must be a Value or a number, not str 'x'"):
        hinge_loss([Value(0.0), "x"], [1, -1])
    with pytest.raises(TypeError, match=r"logit 0 must be a Value or a number, not str 'x'"):
        softmax_cross_entropy([[1.0, "x"]], [0])
    with pytest.raises(TypeError, match=r"row 0 must be a non-empty list of logits .*not 1\.5"):
        softmax_cross_entropy([1.5], [0])
    with pytest.raises(ValueError, match=r"prediction 0 has 2 outputs.* not 3\.0"):
        mean_squared_error([_values([1.0, 2.0])], [3.0])


@pytest.mark.parametrize("label", [-1, 1.5, True])
def test_softmax_cross_entropy_needs_class_numbers(label: object) -> None:
    with pytest.raises(ValueError, match=rf"y\[0\] = {label!r}, .*class numbers 0, 1, 2"):
        softmax_cross_entropy([_values([1.0, 2.0])], [label])


def test_softmax_cross_entropy_refuses_the_label_one_past_the_last_class() -> None:
    with pytest.raises(ValueError, match=r"y\[0\] = 2, .*2 outputs.* from 0 to 1"):
        softmax_cross_entropy([_values([1.0, 2.0])], [2])
    softmax_cross_entropy([_values([1.0, 2.0])], [1])  # the last class itself is fine


def test_binary_cross_entropy_makes_one_bce_node_per_example() -> None:
    z = _values([0.5, -1.0, 2.0])
    loss = binary_cross_entropy(z, [1, 0, 1])
    nodes = [node for node in topological_order(loss) if node.op == "bce"]
    assert [node.children for node in nodes] == [(z[0],), (z[1],), (z[2],)]


def test_l2_penalty_of_no_parameters_is_a_value() -> None:
    """A model may have no parameters yet: the penalty is still a Value to add."""
    penalty = l2_penalty([], alpha=0.1)
    assert isinstance(penalty, Value) and penalty.data == 0.0
