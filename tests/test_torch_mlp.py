"""Whole-MLP losses against PyTorch (float64): the same loss, the same gradients.

Hypothesis draws an architecture, a seed, the activations, fused or not, and a
small batch. The model's loss is computed once in stepgrad and once in torch
on `to_torch(model)` (identical weights); the loss and the gradient of every
parameter, matched by name, must agree to about 1e-9. Every loss of
`nn.losses` is covered, each optionally plus `l2_penalty`. Skipped when torch
is not installed (CI installs it).
"""

from __future__ import annotations

import random
from typing import Any, Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nn import (
    MLP,
    binary_cross_entropy,
    hinge_loss,
    l2_penalty,
    mean_squared_error,
    softmax_cross_entropy,
    to_torch,
)
from nn.layers import ACTIVATIONS, INITIALIZERS

torch = pytest.importorskip("torch")
functional = torch.nn.functional

RELATIVE = 1e-9
ABSOLUTE = 1e-12
KINK = 1e-6  # examples with a ReLU or hinge input this close to 0 are skipped
EXAMPLES = 60  # per loss: well under a second each on an idle machine


# ---------------------------------------------------------------------- the losses
#
# Each loss has: how many outputs the model may have, how to draw one label,
# the stepgrad loss, the same loss written in torch on the (batch, width)
# output tensor, and optionally where it has a kink.


def torch_mse(out: Any, labels: list[Any]) -> Any:
    targets = torch.tensor(labels, dtype=torch.float64).reshape(out.shape)
    return functional.mse_loss(out, targets)  # the mean over every output


def torch_bce(out: Any, labels: list[Any]) -> Any:
    # stepgrad's binary_cross_entropy takes logits, like BCEWithLogits
    targets = torch.tensor(labels, dtype=torch.float64)
    return functional.binary_cross_entropy_with_logits(out[:, 0], targets)


def torch_hinge(out: Any, labels: list[Any]) -> Any:
    # mean over the batch of relu(1 - y * s), written out from the docstring
    signs = torch.tensor(labels, dtype=torch.float64)
    return torch.relu(1 - signs * out[:, 0]).mean()


def torch_cross_entropy(out: Any, labels: list[Any]) -> Any:
    return functional.cross_entropy(out, torch.tensor(labels, dtype=torch.long))


def hinge_margins(out: Any, labels: list[Any]) -> list[float]:
    signs = torch.tensor(labels, dtype=torch.float64)
    return (1 - signs * out[:, 0]).tolist()


def one_label(width: int) -> st.SearchStrategy[Any]:
    """A regression target: a number, or a list of `width` numbers."""
    if width == 1:
        return st.floats(-2.0, 2.0)
    return st.lists(st.floats(-2.0, 2.0), min_size=width, max_size=width)


LOSSES: dict[str, dict[str, Any]] = {
    "mean_squared_error": {
        "widths": st.integers(1, 3),
        "label": one_label,
        "stepgrad": mean_squared_error,
        "torch": torch_mse,
    },
    "binary_cross_entropy": {
        "widths": st.just(1),
        "label": lambda width: st.sampled_from([0, 1]),
        "stepgrad": binary_cross_entropy,
        "torch": torch_bce,
    },
    "hinge_loss": {
        "widths": st.just(1),
        "label": lambda width: st.sampled_from([-1, 1]),
        "stepgrad": hinge_loss,
        "torch": torch_hinge,
        "kinks": hinge_margins,
    },
    "softmax_cross_entropy": {
        "widths": st.integers(2, 4),  # a list of logits per example
        "label": lambda width: st.integers(0, width - 1),
        "stepgrad": softmax_cross_entropy,
        "torch": torch_cross_entropy,
    },
}


# ---------------------------------------------------------------------- drawing a case


@st.composite
def cases(draw: Callable[..., Any], loss_name: str) -> dict[str, Any]:
    """An MLP (its shape, activations, seed, fused or not), a batch and its labels."""
    loss = LOSSES[loss_name]
    nin = draw(st.integers(1, 4), label="nin")
    hidden = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3), label="hidden")
    width = draw(loss["widths"], label="width")
    batch_size = draw(st.integers(1, 5), label="batch_size")
    return {
        "nin": nin,
        "nouts": hidden + [width],
        "activation": draw(st.sampled_from(ACTIVATIONS), label="activation"),
        "output_activation": draw(st.sampled_from(ACTIVATIONS), label="output_activation"),
        "init": draw(st.sampled_from(INITIALIZERS), label="init"),
        "fused": draw(st.booleans(), label="fused"),
        "seed": draw(st.integers(0, 2**32 - 1), label="seed"),
        "batch": draw(
            st.lists(
                st.lists(st.floats(-2.0, 2.0), min_size=nin, max_size=nin),
                min_size=batch_size,
                max_size=batch_size,
            ),
            label="batch",
        ),
        "labels": draw(
            st.lists(loss["label"](width), min_size=batch_size, max_size=batch_size),
            label="labels",
        ),
        "alpha": draw(st.sampled_from([0.0, 1e-3, 0.1]), label="alpha"),
    }


def build_model(case: dict[str, Any]) -> MLP:
    """The MLP of `case`, with random nonzero biases (not the default 0.0)."""
    model = MLP(
        case["nin"],
        case["nouts"],
        activation=case["activation"],
        output_activation=case["output_activation"],
        init=case["init"],
        seed=case["seed"],
        fused=case["fused"],
    )
    rng = random.Random(case["seed"])
    for layer in model.layers:
        for neuron in layer.neurons:
            neuron.b.data = rng.uniform(-1.0, 1.0)
    return model


def torch_forward(sequential: Any, x: Any) -> tuple[Any, list[float]]:
    """The Sequential's output, and every input of a ReLU in it (where it has a kink)."""
    relu_inputs: list[float] = []
    for module in sequential:
        if isinstance(module, torch.nn.ReLU):
            relu_inputs.extend(x.flatten().tolist())
        x = module(x)
    return x, relu_inputs


def torch_gradients(sequential: Any) -> dict[str, float]:
    """The gradients of a `to_torch` Sequential under stepgrad's parameter names:
    row i of Linear number k holds `layers.k.neurons.i.w.*`, its bias `...neurons.i.b`."""
    linears = [module for module in sequential if isinstance(module, torch.nn.Linear)]
    gradients: dict[str, float] = {}
    for k, linear in enumerate(linears):
        for i, row in enumerate(linear.weight.grad.tolist()):
            for j, number in enumerate(row):
                gradients[f"layers.{k}.neurons.{i}.w.{j}"] = number
            gradients[f"layers.{k}.neurons.{i}.b"] = linear.bias.grad[i].item()
    return gradients


def check_against_torch(loss_name: str, case: dict[str, Any]) -> None:
    loss_spec = LOSSES[loss_name]
    model = build_model(case)

    # PyTorch first: it also tells us whether the example sits on a kink.
    sequential = to_torch(model)
    x = torch.tensor(case["batch"], dtype=torch.float64)
    out, relu_inputs = torch_forward(sequential, x)
    near_kinks = relu_inputs
    if "kinks" in loss_spec:
        near_kinks += loss_spec["kinks"](out, case["labels"])
    assume(all(abs(number) > KINK for number in near_kinks))
    torch_loss = loss_spec["torch"](out, case["labels"])
    squares = sum((p * p).sum() for p in sequential.parameters())
    torch_loss = torch_loss + case["alpha"] * squares
    torch_loss.backward()

    outputs = [model(row) for row in case["batch"]]
    loss = loss_spec["stepgrad"](outputs, case["labels"])
    loss = loss + l2_penalty(model.parameters(), case["alpha"])
    loss.backward()

    assert loss.data == pytest.approx(torch_loss.item(), rel=RELATIVE, abs=ABSOLUTE)
    gradients = {name: parameter.grad for name, parameter in model.named_parameters()}
    expected = torch_gradients(sequential)
    assert sorted(gradients) == sorted(expected)
    assert gradients == pytest.approx(expected, rel=RELATIVE, abs=ABSOLUTE)


# ---------------------------------------------------------------------- the tests


@pytest.mark.parametrize("loss_name", LOSSES)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_whole_mlp_loss_gradients_equal_pytorch(loss_name: str, data: st.DataObject) -> None:
    check_against_torch(loss_name, data.draw(cases(loss_name), label="case"))


@settings(max_examples=EXAMPLES)
@given(
    case=cases("mean_squared_error"),
    alpha=st.floats(0.0, 1.0),
)
def test_l2_penalty_alone_equals_pytorch(case: dict[str, Any], alpha: float) -> None:
    model = build_model(case)  # only the model of the case is used, not its batch
    sequential = to_torch(model)
    torch_penalty = alpha * sum((p * p).sum() for p in sequential.parameters())
    torch_penalty.backward()

    penalty = l2_penalty(model.parameters(), alpha)
    penalty.backward()

    assert penalty.data == pytest.approx(torch_penalty.item(), rel=RELATIVE, abs=ABSOLUTE)
    gradients = {name: parameter.grad for name, parameter in model.named_parameters()}
    assert gradients == pytest.approx(torch_gradients(sequential), rel=RELATIVE, abs=ABSOLUTE)
