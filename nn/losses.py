"""Loss functions: how wrong a whole batch of predictions is, as one Value.

Each loss takes the model's outputs for a batch and the right answers, and
returns the **mean** loss over the batch as a single Value, so that
`loss.backward()` fills in every parameter's gradient at once.

>>> from engine import Value
>>> predictions = [Value(2.5), Value(0.0)]
>>> mean_squared_error(predictions, [3.0, -1.0])
Value(data=0.625, grad=0.0)
"""

from __future__ import annotations

import math
import numbers
from typing import Iterable, Sequence, Union

from engine import Value, as_value
from engine.value import from_op

Number = Union[int, float]
Output = Union[Value, Number]


def _as_value(x: object, what: str) -> Value:
    """`x` as a Value, or a TypeError naming `what` it was."""
    value = as_value(x)
    if value is NotImplemented:
        raise TypeError(f"{what} must be a Value or a number, not {type(x).__name__} {x!r}")
    return value


def _check_batch(name: str, outputs: Sequence[object], labels: Sequence[object]) -> None:
    """The batch must be non-empty and have one label per output."""
    for what, batch in (("the outputs", outputs), ("the labels", labels)):
        if isinstance(batch, (Value, str)) or not isinstance(batch, Sequence):
            raise TypeError(
                f"{name}() takes a whole batch: {what} must be a list, "
                f"not {type(batch).__name__} {batch!r}"
            )
    if len(outputs) != len(labels):
        raise ValueError(
            f"{name}() got {len(outputs)} outputs but {len(labels)} labels; "
            "give one label per example"
        )
    if not outputs:
        raise ValueError(f"{name}() got an empty batch; the mean of nothing is undefined")


def _check_number(name: str, x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise TypeError(f"{name}(): {what} must be a finite number, not {x!r}")
    return float(x)


def mean_squared_error(predictions: Sequence[Output], targets: Sequence[Number]) -> Value:
    """mean over the batch of (prediction - target)**2.

    A prediction may also be a list of Values (a model with several outputs),
    with a list of targets of the same length; then every output counts as
    one term of the mean.

    >>> mean_squared_error([Value(1.0)], [4.0])
    Value(data=9.0, grad=0.0)
    >>> mean_squared_error([[Value(1.0), Value(2.0)]], [[1.0, 0.0]])
    Value(data=2.0, grad=0.0)
    """
    _check_batch("mean_squared_error", predictions, targets)
    errors: list[Value] = []
    for index, (prediction, target) in enumerate(zip(predictions, targets)):
        if isinstance(prediction, (list, tuple)):
            if not isinstance(target, (list, tuple)) or len(target) != len(prediction):
                raise ValueError(
                    f"mean_squared_error(): prediction {index} has {len(prediction)} "
                    f"outputs, so its target must be a list of {len(prediction)} numbers, "
                    f"not {target!r}"
                )
            pairs = list(zip(prediction, target))
        else:
            pairs = [(prediction, target)]
        for output, wanted in pairs:
            value = _as_value(output, f"prediction {index}")
            number = _check_number("mean_squared_error", wanted, f"target {index}")
            # d((p - t)**2)/dp = 2 * (p - t)
            errors.append((value - number) ** 2)
    return sum(errors, Value(0.0)) / len(errors)


def binary_cross_entropy(logits: Sequence[Output], labels: Sequence[Number]) -> Value:
    """Mean cross-entropy of labels 0/1 given logits z (scores before the sigmoid).

    For one example, with p = sigmoid(z):

        loss = -(y * log(p) + (1 - y) * log(1 - p))
             = max(z, 0) - y * z + log(1 + exp(-|z|))     (never overflows)

    and its derivative is the famous `d(loss)/dz = sigmoid(z) - y`. Each
    example becomes one "bce" node holding exactly that local derivative.

    >>> round(binary_cross_entropy([Value(0.0)], [1]).data, 6)    # log 2
    0.693147
    >>> binary_cross_entropy([Value(1000.0)], [1])                # no overflow
    Value(data=0.0, grad=0.0)
    """
    _check_batch("binary_cross_entropy", logits, labels)
    losses: list[Value] = []
    for index, (logit, label) in enumerate(zip(logits, labels)):
        z = _as_value(logit, f"logit {index}")
        if isinstance(label, bool) or label not in (0, 1):
            raise ValueError(
                f"binary_cross_entropy(): label {index} is {label!r}; labels must be 0 or 1 "
                "(for labels -1/+1 use hinge_loss)"
            )
        y = float(label)
        a = z.data
        loss = max(a, 0.0) - y * a + math.log1p(math.exp(-abs(a)))
        probability = 1.0 / (1.0 + math.exp(-a)) if a >= 0.0 else math.exp(a) / (1.0 + math.exp(a))
        # d(loss)/dz = sigmoid(z) - y
        losses.append(from_op(loss, "bce", (z,), (probability - y,)))
    return sum(losses, Value(0.0)) / len(losses)


def hinge_loss(scores: Sequence[Output], labels: Sequence[Number]) -> Value:
    """mean over the batch of relu(1 - y * s), for labels y of -1 or +1.

    The loss of micrograd's moons demo: zero once an example is on the right
    side with a margin of 1, growing linearly otherwise.

    >>> hinge_loss([Value(2.0), Value(0.5)], [1, -1])
    Value(data=0.75, grad=0.0)
    """
    _check_batch("hinge_loss", scores, labels)
    losses: list[Value] = []
    for index, (score, label) in enumerate(zip(scores, labels)):
        s = _as_value(score, f"score {index}")
        if isinstance(label, bool) or label not in (-1, 1):
            raise ValueError(
                f"hinge_loss(): label {index} is {label!r}; labels must be -1 or +1 "
                "(for labels 0/1 use binary_cross_entropy)"
            )
        # d(relu(1 - y*s))/ds = -y where 1 - y*s > 0, else 0
        losses.append((1 - label * s).relu())
    return sum(losses, Value(0.0)) / len(losses)


def softmax_cross_entropy(
    logits_rows: Sequence[Sequence[Output]], labels: Sequence[int]
) -> Value:
    """Mean cross-entropy of integer class labels given a row of logits per example.

    For one row z and its class c:

        loss = log(sum_j exp(z_j)) - z_c
             = m + log(sum_j exp(z_j - m)) - z_c      with m = max_j z_j

    Subtracting the largest logit m keeps every exp() at most 1 (no
    overflow) and does not change the value or the gradient,
    d(loss)/dz_j = softmax(z)_j - [j == c].

    >>> rows = [[Value(2.0), Value(0.0)], [Value(0.0), Value(0.0)]]
    >>> round(softmax_cross_entropy(rows, [0, 1]).data, 6)
    0.410038
    """
    _check_batch("softmax_cross_entropy", logits_rows, labels)
    losses: list[Value] = []
    for index, (row, label) in enumerate(zip(logits_rows, labels)):
        if isinstance(row, (Value, str)) or not isinstance(row, Sequence) or not row:
            raise TypeError(
                f"softmax_cross_entropy(): row {index} must be a non-empty list of "
                f"logits (one per class), not {row!r}"
            )
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < len(row):
            raise ValueError(
                f"softmax_cross_entropy(): label {index} is {label!r}; with "
                f"{len(row)} classes it must be an int from 0 to {len(row) - 1}"
            )
        z = [_as_value(logit, f"logit {index}") for logit in row]
        largest = max(v.data for v in z)  # a constant: shifting does not change the loss
        total = sum(((v - largest).exp() for v in z), Value(0.0))
        losses.append(total.log() + largest - z[label])
    return sum(losses, Value(0.0)) / len(losses)


def l2_penalty(parameters: Iterable[Value], alpha: float) -> Value:
    """alpha * sum(p**2): weight decay, which pulls every parameter towards 0.

    Add it to a loss to prefer small weights. d(penalty)/dp = 2 * alpha * p.

    >>> l2_penalty([Value(1.0), Value(-2.0)], alpha=0.1)
    Value(data=0.5, grad=0.0)
    """
    alpha = _check_number("l2_penalty", alpha, "alpha")
    if alpha < 0:
        raise ValueError(f"l2_penalty(): alpha must be >= 0, got {alpha!r}")
    squares: list[Value] = []
    for parameter in parameters:
        if not isinstance(parameter, Value):
            raise TypeError(
                f"l2_penalty() needs Values (model.parameters()), "
                f"not {type(parameter).__name__} {parameter!r}"
            )
        squares.append(parameter * parameter)
    return alpha * sum(squares, Value(0.0))
