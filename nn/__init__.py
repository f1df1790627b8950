"""stepgrad's neural-net library, built on `engine.Value`.

>>> from nn import MLP, SGD, hinge_loss
>>> model = MLP(2, [4, 1], seed=0)
>>> loss = hinge_loss([model([1.0, 2.0]), model([-1.0, 0.5])], [1, -1])
>>> optimizer = SGD(model.parameters(), lr=0.05)
>>> optimizer.zero_grad(); loss.backward(); optimizer.step()
"""

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
from nn.train import History, Snapshots, TrainingDiverged, accuracy, fit, predict

__all__ = [
    "MLP",
    "SGD",
    "Adam",
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
