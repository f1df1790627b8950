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
from typing import Iterable, Sequence, Union

from engine import Value, as_value
from engine.value import from_op
from nn.checks import check_number, shown

Number = Union[int, float]
Output = Union[Value, Number]


# What each loss needs of its labels, and the fix (the message of check_labels).
LABEL_RULES = {
    "hinge": "the hinge loss needs labels -1 and +1; convert 0/1 labels with "
    "nn.data.signed_labels(y), or use loss='bce'",
    "bce": "loss='bce' needs labels 0 and 1 (for -1/+1 labels use loss='hinge')",
    "cross_entropy": "loss='cross_entropy' needs class numbers 0, 1, 2, ...",
}


def check_labels(loss: str, labels: Sequence[object]) -> None:
    """Raise ValueError at the first label that `loss` cannot use, naming the fix.

    The one statement of each loss's labels, used by the losses and by
    `fit()` (which checks every label once, before training):

    >>> check_labels("hinge", [1, -1, 0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: y[2] = 0, but the hinge loss needs labels -1 and +1; ...
    """
    for index, label in enumerate(labels):
        if isinstance(label, bool):
            problem = True
        elif loss == "hinge":
            problem = label not in (-1, 1)
        elif loss == "bce":
            problem = label not in (0, 1)
        else:  # cross_entropy
            problem = not isinstance(label, int) or label < 0
        if problem:
            raise ValueError(f"y[{index}] = {shown(label)}, but {LABEL_RULES[loss]}")


def _as_value(x: object, what: str) -> Value:
    """`x` as a Value, or a TypeError naming `what` it was."""
    value = as_value(x)
    if value is NotImplemented:
        raise TypeError(f"{what} must be a Value or a number, not {type(x).__name__} {shown(x)}")
    return value


def _check_batch(name: str, outputs: Sequence[object], labels: Sequence[object]) -> None:
    """The batch must be two lists of the same length (not one example)."""
    for what, batch in (("the outputs", outputs), ("the labels", labels)):
        if not isinstance(batch, (list, tuple)):
            raise TypeError(
                f"{name}() takes a whole batch: {what} must be a list, "
                f"not {type(batch).__name__} {shown(batch)}"
            )
    if len(outputs) != len(labels):
        raise ValueError(
            f"{name}() got {len(outputs)} outputs but {len(labels)} labels; "
            "give one label per example"
        )
    if not outputs:
        raise ValueError(f"{name}() got an empty batch; the mean of nothing is undefined")


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
                    f"not {shown(target)}"
                )
            pairs = list(zip(prediction, target))
        else:
            pairs = [(prediction, target)]
        for output, wanted in pairs:
            # d((p - t)**2)/dp = 2 * (p - t)
            value = _as_value(output, f"prediction {index}")
            errors.append((value - _as_value(wanted, f"target {index}")) ** 2)
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
    check_labels("bce", labels)
    losses: list[Value] = []
    for index, (logit, label) in enumerate(zip(logits, labels)):
        z = _as_value(logit, f"logit {index}")
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
    check_labels("hinge", labels)
    losses: list[Value] = []
    for index, (score, label) in enumerate(zip(scores, labels)):
        s = _as_value(score, f"score {index}")
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
    check_labels("cross_entropy", labels)
    losses: list[Value] = []
    for index, (row, label) in enumerate(zip(logits_rows, labels)):
        if not isinstance(row, (list, tuple)) or not row:
            raise TypeError(
                f"softmax_cross_entropy(): row {index} must be a non-empty list of "
                f"logits (one per class), not {shown(row)}"
            )
        if label >= len(row):
            raise ValueError(
                f"y[{index}] = {label}, but with {len(row)} outputs (classes) "
                f"the labels go from 0 to {len(row) - 1}"
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
    alpha = check_number("alpha", alpha, at_least=0.0)
    return alpha * sum((parameter * parameter for parameter in parameters), Value(0.0))
