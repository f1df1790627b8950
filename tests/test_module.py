"""Structural tests of nn.Module: parameters, names, state, repr, errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from engine import Value
from nn import MLP, Layer, Module, Neuron


class Affine(Module):
    """y = scale * x + shift, with a child neuron to test nesting."""

    def __init__(self) -> None:
        self.scale = Value(2.0)
        self.shift = Value(-1.0)
        self.inner = Neuron(1, activation="linear", seed=0)
        self._cache = Value(99.0)  # private: not a parameter

    def forward(self, x: float) -> Value:
        return self.scale * self.inner([x]) + self.shift


def test_call_runs_forward() -> None:
    model = Affine()
    w = model.inner.w[0].data
    assert model(3.0).data == pytest.approx(2.0 * w * 3.0 - 1.0)


def test_forward_missing_is_a_clear_error() -> None:
    with pytest.raises(NotImplementedError, match="def forward"):
        Module()(1.0)


def test_named_parameters_follow_attribute_order_and_skip_private() -> None:
    names = [name for name, _ in Affine().named_parameters()]
    assert names == ["scale", "shift", "inner.w.0", "inner.b"]


def test_dotted_names_in_an_mlp() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == len(set(names)) == 337
    assert names[0] == "layers.0.neurons.0.w.0"
    assert names[2] == "layers.0.neurons.0.b"
    assert "layers.0.neurons.3.w.1" in names
    assert names[-1] == "layers.2.neurons.0.b"
    assert model.parameters() == [p for _, p in model.named_parameters()]
    assert [name for name, _ in model.named_children()] == ["layers.0", "layers.1", "layers.2"]


def test_parameters_order_is_deterministic() -> None:
    first = [p.data for p in MLP(3, [4, 2], seed=5).parameters()]
    second = [p.data for p in MLP(3, [4, 2], seed=5).parameters()]
    assert first == second


def test_zero_grad() -> None:
    model = MLP(2, [3, 1], seed=1)
    model([1.0, -2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_state_dict_round_trip() -> None:
    source = MLP(2, [3, 1], seed=1)
    target = MLP(2, [3, 1], seed=2)
    assert target.state_dict() != source.state_dict()
    target.load_state_dict(source.state_dict())
    assert target.state_dict() == source.state_dict()
    assert target([0.5, 0.25]).data == source([0.5, 0.25]).data


def test_load_state_dict_names_missing_and_unexpected_keys() -> None:
    model = Neuron(2, seed=0)
    with pytest.raises(ValueError, match=r"1 missing key \('b'\).*1 unexpected key \('bias'\)"):
        model.load_state_dict({"w.0": 1.0, "w.1": 2.0, "bias": 0.0})


def test_load_state_dict_error_stays_short_for_a_wrong_model() -> None:
    with pytest.raises(ValueError) as error:
        MLP(3, [4, 1], seed=0).load_state_dict(MLP(2, [16, 16, 1], seed=0).state_dict())
    message = str(error.value)
    assert len(message) < 400
    assert "320 unexpected keys ('layers.0.neurons.4.w.0'," in message and "and 317 more" in message


def test_shared_parameter_is_listed_once() -> None:
    class Tied(Module):
        def __init__(self) -> None:
            self.first = Neuron(1, seed=0)
            self.second = Neuron(1, seed=1)
            self.second.w = self.first.w  # weight tying: one Value used twice

        def forward(self, x: float) -> Value:
            return self.first([x]) + self.second([x])

    model = Tied()
    assert [name for name, _ in model.named_parameters()] == ["first.w.0", "first.b", "second.b"]
    assert len(model.parameters()) == len(set(map(id, model.parameters()))) == 3
    # The state keeps every name, so it loads into a model of the same shape.
    assert list(model.state_dict()) == ["first.w.0", "first.b", "second.w.0", "second.b"]
    untied = Tied()
    untied.second.w = [Value(9.0)]
    untied.load_state_dict(model.state_dict())
    assert untied.state_dict() == model.state_dict()


def test_a_model_with_tied_weights_saves_and_loads(tmp_path: Path) -> None:
    from nn import load, save

    model = MLP(2, [2, 2, 1], seed=0)
    model.layers[1].neurons[0].w = model.layers[0].neurons[0].w  # tie two weight lists
    save(model, tmp_path / "tied.json")
    loaded = load(tmp_path / "tied.json")  # loaded untied, with the same numbers
    assert loaded.state_dict() == model.state_dict()
    assert loaded([0.5, -1.0]).data == model([0.5, -1.0]).data


@pytest.mark.parametrize("bad", [[1.0, 2.0], "1.0", None, True, math.nan, math.inf])
def test_load_state_dict_names_misshaped_values(bad: object) -> None:
    model = Neuron(2, seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match="key 'w.1'"):
        model.load_state_dict({"w.0": 5.0, "w.1": bad, "b": 0.0})
    assert model.state_dict() == before  # nothing was half-loaded


def test_load_state_dict_needs_a_mapping() -> None:
    with pytest.raises(TypeError, match="dict"):
        Neuron(1).load_state_dict([("w.0", 1.0)])


def test_repr_is_short_for_big_models() -> None:
    model = MLP(2, [16, 16, 1])
    text = repr(model)
    assert text.splitlines() == [
        "MLP(2 -> [16, 16, 1], activation=relu)",
        "  (layers.0): Layer(2 -> 16, relu)",
        "  (layers.1): Layer(16 -> 16, relu)",
        "  (layers.2): Layer(16 -> 1, linear)",
    ]
    assert "Neuron" not in text


def test_repr_of_custom_module_nests_children() -> None:
    assert repr(Affine()) == "Affine()\n  (inner): Neuron(1, linear)"
    assert repr(Layer(3, 2, activation="tanh", init="he", fused=True)) == (
        "Layer(3 -> 2, tanh, init=he, fused)"
    )


def test_typo_attribute_raises_attribute_error() -> None:
    model = MLP(2, [3, 1])
    with pytest.raises(AttributeError):
        model.paramters()
    with pytest.raises(AttributeError):
        model.layer  # noqa: B018


def test_a_parameter_that_is_not_a_leaf_is_refused_by_name() -> None:
    """Fused neurons, optimizers and fit() rely on parameters being leaves."""
    model = MLP(2, [2, 1], seed=0, fused=True)
    model.layers[0].neurons[1].w[0] = Value(0.5) * 2
    with pytest.raises(TypeError, match=r"parameter 'layers\.0\.neurons\.1\.w\.0' is the "
                       r"result of an operation \('\*'\).*Value\(1\.0\)"):
        model.parameters()
