"""Move a model to PyTorch and back, with exactly the same weights.

`to_torch(model)` builds a `torch.nn.Sequential` of `Linear` layers and
activation modules in float64 (the same precision as a Python float), so the
outputs and gradients match stepgrad's to the last digits. `from_torch(seq)`
turns such a Sequential back into an `MLP`.

PyTorch is optional: it is imported only when these functions run, and a
missing PyTorch gives an ImportError saying how to install it.
For example, `to_torch(MLP(2, [16, 1]))` is

    Sequential(
      (0): Linear(in_features=2, out_features=16, bias=True)
      (1): ReLU()
      (2): Linear(in_features=16, out_features=1, bias=True)
    )
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from nn.layers import MLP, Layer, Neuron
from nn.module import Module

# stepgrad activation name -> torch.nn class name ("linear" adds no module)
TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def import_torch() -> ModuleType:
    """Import PyTorch, or raise an ImportError that says how to get it."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ImportError(
            "this needs PyTorch, which is not installed: pip install torch"
        ) from None


def _layer_tables(model: Module) -> list[tuple[list[list[float]], list[float], str]]:
    """(weight rows, biases, activation) for each layer of a Neuron, Layer or MLP."""
    if isinstance(model, MLP):
        layers = list(model.layers)
    elif isinstance(model, Layer):
        layers = [model]
    elif isinstance(model, Neuron):
        weights = [[weight.data for weight in model.w]]
        return [(weights, [model.b.data], model.activation)]
    else:
        raise TypeError(
            f"to_torch() converts a Neuron, Layer or MLP, not {type(model).__name__}"
        )
    tables = []
    for layer in layers:
        weights = [[weight.data for weight in neuron.w] for neuron in layer.neurons]
        biases = [neuron.b.data for neuron in layer.neurons]
        tables.append((weights, biases, layer.activation))
    return tables


def to_torch(model: Module) -> Any:
    """A float64 `torch.nn.Sequential` computing the same function as `model`.

    Each stepgrad layer becomes a `Linear` (row i of its weight holds neuron
    i's weights, its bias the neurons' biases) followed by the activation
    module (none for "linear"). The result is a new model: training one does
    not change the other.
    """
    torch = import_torch()
    tables = _layer_tables(model)
    modules = []
    with torch.no_grad():
        for weights, biases, activation in tables:
            linear = torch.nn.Linear(len(weights[0]), len(weights), dtype=torch.float64)
            linear.weight.copy_(torch.tensor(weights, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(biases, dtype=torch.float64))
            modules.append(linear)
            if activation != "linear":
                modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[activation])())
    return torch.nn.Sequential(*modules)


def from_torch(sequential: Any, fused: bool = False) -> MLP:
    """An `MLP` with the weights of a `torch.nn.Sequential` of Linear layers and activations.

    Supported: `Linear` (with a bias), each optionally followed by one of
    `ReLU`, `Tanh`, `Sigmoid` or `Identity`. All hidden layers must share one
    activation (an MLP has one `activation` and one `output_activation`).
    Anything else raises a ValueError naming the module.
    """
    torch = import_torch()
    if not isinstance(sequential, torch.nn.Sequential):
        raise TypeError(
            f"from_torch() needs a torch.nn.Sequential, not {type(sequential).__name__}"
        )
    names = {torch_name: name for name, torch_name in TORCH_ACTIVATIONS.items()}
    linears: list[Any] = []
    activations: list[str] = []
    for position, module in enumerate(sequential):
        kind = type(module).__name__
        if isinstance(module, torch.nn.Linear):
            if module.bias is None:
                raise ValueError(
                    f"from_torch(): layer ({position}) is a Linear without a bias; "
                    "stepgrad neurons always have one (use bias=True)"
                )
            linears.append(module)
            activations.append("linear")
        elif kind in names or isinstance(module, torch.nn.Identity):
            if not linears or activations[-1] != "linear":
                raise ValueError(
                    f"from_torch(): {kind} at ({position}) must come right after a Linear"
                )
            activations[-1] = "linear" if kind == "Identity" else names[kind]
        else:
            supported = "Linear, " + ", ".join(names) + ", Identity"
            raise ValueError(
                f"from_torch(): unsupported layer ({position}) {kind}; "
                f"stepgrad understands {supported}"
            )
    if not linears:
        raise ValueError("from_torch(): the Sequential has no Linear layer")
    for previous, following in zip(linears, linears[1:]):
        if previous.out_features != following.in_features:
            raise ValueError(
                f"from_torch(): a Linear with {previous.out_features} outputs feeds one "
                f"with {following.in_features} inputs"
            )
    hidden = set(activations[:-1])
    if len(hidden) > 1:
        raise ValueError(
            f"from_torch(): the hidden layers use different activations {sorted(hidden)}; "
            "an MLP uses one activation for all hidden layers"
        )
    model = MLP(
        linears[0].in_features,
        [linear.out_features for linear in linears],
        activation=activations[0] if len(linears) > 1 else "relu",
        output_activation=activations[-1],
        seed=0,
        fused=fused,
    )
    for layer, linear in zip(model.layers, linears):
        weights = linear.weight.detach().double().tolist()
        biases = linear.bias.detach().double().tolist()
        for neuron, row, bias in zip(layer.neurons, weights, biases):
            for weight, number in zip(neuron.w, row):
                weight.data = float(number)
            neuron.b.data = float(bias)
    return model
