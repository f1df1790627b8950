"""stepgrad's neural-net library, built on `engine.Value`.

>>> from nn import MLP, SGD, hinge_loss
>>> model = MLP(2, [4, 1], seed=0)
>>> loss = hinge_loss([model([1.0, 2.0]), model([-1.0, 0.5])], [1, -1])
>>> optimizer = SGD(model.parameters(), lr=0.05)
>>> optimizer.zero_grad(); loss.backward(); optimizer.step()
"""

# No imports run here: the `stepgrad` command imports this package first and
# catches Ctrl-C right after (see nn/__main__.py), so it must be quick. Each
# name is imported from its module the first time it is used (__getattr__).
TYPE_CHECKING = False  # what typing.TYPE_CHECKING is, without importing typing

if TYPE_CHECKING:  # for the type checker (mypy), which reads these names from here
    from typing import Any

    from nn.data import (
        blobs,
        circles,
        load_csv,
        load_iris,
        moons,
        signed_labels,
        spiral,
        standardize,
        train_test_split,
        xor,
    )
    from nn.io import load, load_recipe, save
    from nn.layers import MLP, Layer, Neuron
    from nn.losses import (
        binary_cross_entropy,
        hinge_loss,
        l2_penalty,
        mean_squared_error,
        softmax_cross_entropy,
    )
    from nn.module import Module
    from nn.optim import SGD, Adam, LinearDecay, Optimizer
    from nn.torch_bridge import from_torch, to_torch
    from nn.train import (
        CompiledModel,
        History,
        Snapshots,
        TrainingDiverged,
        accuracy,
        fit,
        predict,
    )

# Each public name, by the module it lives in.
_NAMES = {
    "blobs": "nn.data",
    "circles": "nn.data",
    "load_csv": "nn.data",
    "load_iris": "nn.data",
    "moons": "nn.data",
    "signed_labels": "nn.data",
    "spiral": "nn.data",
    "standardize": "nn.data",
    "train_test_split": "nn.data",
    "xor": "nn.data",
    "load": "nn.io",
    "load_recipe": "nn.io",
    "save": "nn.io",
    "MLP": "nn.layers",
    "Layer": "nn.layers",
    "Neuron": "nn.layers",
    "binary_cross_entropy": "nn.losses",
    "hinge_loss": "nn.losses",
    "l2_penalty": "nn.losses",
    "mean_squared_error": "nn.losses",
    "softmax_cross_entropy": "nn.losses",
    "Module": "nn.module",
    "SGD": "nn.optim",
    "Adam": "nn.optim",
    "LinearDecay": "nn.optim",
    "Optimizer": "nn.optim",
    "from_torch": "nn.torch_bridge",
    "to_torch": "nn.torch_bridge",
    "CompiledModel": "nn.train",
    "History": "nn.train",
    "Snapshots": "nn.train",
    "TrainingDiverged": "nn.train",
    "accuracy": "nn.train",
    "fit": "nn.train",
    "predict": "nn.train",
}


# The library's modules, which `import nn` used to load at once: `nn.data`
# after `import nn` still works.
_MODULES = (
    "checks", "data", "io", "layers", "losses", "module", "optim", "randomness",
    "torch_bridge", "train",
)


def __getattr__(name: str) -> "Any":
    """`nn.MLP`, `from nn import fit`, `nn.data`: import the module the first time."""
    import importlib

    if name in _MODULES:
        return importlib.import_module(f"nn.{name}")
    if name not in _NAMES:
        raise AttributeError(f"module 'nn' has no attribute {name!r}")
    return getattr(importlib.import_module(_NAMES[name]), name)


def __dir__() -> "list[str]":
    return sorted([*globals(), *_NAMES, *_MODULES])


__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "CompiledModel",
    "History",
    "Layer",
    "LinearDecay",
    "Module",
    "Neuron",
    "Optimizer",
    "Snapshots",
    "TrainingDiverged",
    "accuracy",
    "binary_cross_entropy",
    "from_torch",
    "hinge_loss",
    "l2_penalty",
    "load",
    "load_recipe",
    "mean_squared_error",
    "save",
    "softmax_cross_entropy",
    "to_torch",
    "blobs",
    "circles",
    "fit",
    "load_csv",
    "load_iris",
    "moons",
    "predict",
    "signed_labels",
    "spiral",
    "standardize",
    "train_test_split",
    "xor",
]
