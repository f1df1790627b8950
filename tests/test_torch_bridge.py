"""to_torch / from_torch: same weights, same outputs, clear errors."""

from __future__ import annotations

import importlib
import random
from typing import Any

import pytest

import nn.torch_bridge
from nn import MLP, Layer, Neuron, from_torch, to_torch


def test_without_torch_the_error_says_pip_install_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def no_torch(name: str, package: str | None = None) -> object:
        if name == "torch":
            raise ImportError("No module named 'torch'")
        return real_import(name, package)

    monkeypatch.setattr(nn.torch_bridge.importlib, "import_module", no_torch)
    with pytest.raises(ImportError, match="pip install torch"):
        to_torch(MLP(2, [1]))
    with pytest.raises(ImportError, match="pip install torch"):
        from_torch(object())


@pytest.fixture
def torch() -> object:
    """PyTorch, or skip the test (only the test above runs without it)."""
    return pytest.importorskip("torch")


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_to_torch_gives_identical_outputs(activation: str, fused: bool, torch: Any) -> None:
    model = MLP(3, [6, 5, 2], activation=activation, output_activation="sigmoid", seed=4, fused=fused)
    sequential = to_torch(model)
    assert all(p.dtype == torch.float64 for p in sequential.parameters())
    rng = random.Random(1)
    for _ in range(5):
        x = [rng.uniform(-3, 3) for _ in range(3)]
        expected = sequential(torch.tensor(x, dtype=torch.float64)).tolist()
        assert [v.data for v in model(x)] == pytest.approx(expected, rel=1e-14, abs=1e-15)


def test_to_torch_structure(torch: Any) -> None:
    sequential = to_torch(MLP(2, [16, 1], seed=0))
    assert [type(m).__name__ for m in sequential] == ["Linear", "ReLU", "Linear"]
    assert [type(m).__name__ for m in to_torch(Layer(3, 2, activation="tanh"))] == ["Linear", "Tanh"]
    single = to_torch(Neuron(3, activation="sigmoid", seed=0))
    assert [type(m).__name__ for m in single] == ["Linear", "Sigmoid"]
    assert single[0].weight.shape == (1, 3)


def test_to_torch_copies_weights_and_does_not_share_them(torch: Any) -> None:
    model = MLP(2, [3, 1], seed=0)
    sequential = to_torch(model)
    assert sequential[0].weight[2, 1].item() == model.layers[0].neurons[2].w[1].data
    with torch.no_grad():
        sequential[0].weight.zero_()
    assert model.layers[0].neurons[2].w[1].data != 0.0


@pytest.mark.parametrize("fused", [False, True])
def test_round_trip(fused: bool, torch: Any) -> None:
    model = MLP(2, [4, 3, 1], activation="tanh", output_activation="sigmoid", init="xavier", seed=9)
    back = from_torch(to_torch(model), fused=fused)
    assert back.state_dict() == model.state_dict()
    assert (back.activation, back.output_activation, back.fused) == ("tanh", "sigmoid", fused)
    assert back([0.3, -0.7]).data == model([0.3, -0.7]).data


def test_from_torch_reads_a_torch_built_model(torch: Any) -> None:
    torch.manual_seed(0)
    sequential = torch.nn.Sequential(
        torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1), torch.nn.Identity()
    ).double()
    model = from_torch(sequential)
    assert repr(model).splitlines()[0] == "MLP(2 -> [4, 1], activation=relu)"
    x = [0.5, -1.5]
    assert model(x).data == pytest.approx(sequential(torch.tensor(x, dtype=torch.float64)).item(), rel=1e-14)


def test_from_torch_rejects_what_an_mlp_cannot_be(torch: Any) -> None:
    with pytest.raises(ValueError, match=r"\(1\) Dropout.* Linear, ReLU"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(), torch.nn.Linear(2, 1)))
    with pytest.raises(ValueError, match=r"layer \(0\) is a Linear without a bias"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 1, bias=False)))
    with pytest.raises(ValueError, match="different activations"):
        from_torch(torch.nn.Sequential(
            torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1)
        ))
    with pytest.raises(ValueError, match=r"ReLU at \(0\) must come right after a Linear"):
        from_torch(torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1)))
    with pytest.raises(ValueError, match="no Linear layer"):
        from_torch(torch.nn.Sequential())
    with pytest.raises(ValueError, match="a Linear with 3 outputs feeds one with 2 inputs"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(2, 1)))
    with pytest.raises(TypeError, match="needs a torch.nn.Sequential, not Linear"):
        from_torch(torch.nn.Linear(2, 1))
    with pytest.raises(TypeError, match="converts a Neuron, Layer or MLP"):
        to_torch(torch.nn.Linear(2, 1))
