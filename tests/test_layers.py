"""Neuron, Layer and MLP: defaults, seeding, scopes, labels, errors, fused == fine."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, scope, topological_order
from nn import MLP, Layer, Neuron, hinge_loss, l2_penalty

# ---------------------------------------------------------------------- defaults


def test_mlp_defaults_match_micrograd() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 337
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    for layer in model.layers:
        for neuron in layer.neurons:
            assert all(-1.0 <= w.data <= 1.0 for w in neuron.w)
            assert neuron.b.data == 0.0


def test_parameter_order_layer_by_layer_neuron_by_neuron_weights_then_bias() -> None:
    model = MLP(2, [2, 1], seed=0)
    expected = []
    for layer in model.layers:
        for neuron in layer.neurons:
            expected.extend(neuron.w)
            expected.append(neuron.b)
    assert model.parameters() == expected


def test_labels_are_dotted_names() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    for name, parameter in model.named_parameters():
        assert parameter.label == name
    assert model.layers[0].neurons[3].w[1].label == "layers.0.neurons.3.w.1"
    assert [p.label for p in Neuron(2).parameters()] == ["w.0", "w.1", "b"]
    assert Layer(2, 2).parameters()[-1].label == "neurons.1.b"


def test_one_output_returns_a_single_value() -> None:
    assert isinstance(MLP(2, [3, 1])([1.0, 2.0]), Value)
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    outputs = MLP(2, [3, 2])([1.0, 2.0])
    assert isinstance(outputs, list) and len(outputs) == 2


def test_inputs_may_be_values_and_get_gradients() -> None:
    x = [Value(0.5), Value(-1.0)]
    model = MLP(2, [3, 1], activation="tanh", seed=4)
    model(x).backward()
    assert any(v.grad != 0.0 for v in x)
    assert model([0.5, -1.0]).data == model(x).data


# ---------------------------------------------------------------------- randomness


def test_seed_gives_the_same_numbers_everywhere() -> None:
    # Python's Mersenne Twister is the same on every platform, so these are fixed.
    neuron = Neuron(3, seed=42)
    rng = random.Random(42)
    assert [w.data for w in neuron.w] == [rng.uniform(-1, 1) for _ in range(3)]


def test_seed_may_be_a_random_instance_shared_in_turn() -> None:
    a = MLP(2, [3, 1], seed=random.Random(9))
    b = MLP(2, [3, 1], seed=9)
    assert a.state_dict() == b.state_dict()
    rng = random.Random(1)
    first, second = Neuron(2, seed=rng), Neuron(2, seed=rng)
    assert first.state_dict() != second.state_dict()


def test_no_seed_follows_the_global_random_seed() -> None:
    random.seed(1337)
    a = MLP(2, [4, 1])
    random.seed(1337)
    b = MLP(2, [4, 1])
    assert a.state_dict() == b.state_dict()


@pytest.mark.parametrize(
    "init, limit",
    [("uniform", 1.0), ("xavier", math.sqrt(6 / (20 + 30))), ("he", math.sqrt(6 / 20))],
)
def test_initializers_stay_within_their_limits(init: str, limit: float) -> None:
    layer = Layer(20, 30, init=init, seed=3)
    weights = [w.data for neuron in layer.neurons for w in neuron.w]
    assert max(abs(w) for w in weights) <= limit
    assert max(abs(w) for w in weights) > 0.9 * limit  # really uses the range
    assert all(neuron.b.data == 0.0 for neuron in layer.neurons)


# ---------------------------------------------------------------------- errors


def test_unknown_activation_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown activation 'rellu'.*'relu', 'tanh', 'sigmoid', 'linear'"):
        MLP(2, [3, 1], activation="rellu")
    with pytest.raises(ValueError, match="output_activation 'softmax'"):
        MLP(2, [3, 1], output_activation="softmax")
    with pytest.raises(ValueError, match="unknown init 'glorot'.*'xavier'"):
        Neuron(2, init="glorot")


@pytest.mark.parametrize("nin", [0, -3])
def test_nin_must_be_positive(nin: int) -> None:
    with pytest.raises(ValueError, match=f"nin must be .*>= 1, not {nin}"):
        Neuron(nin)


def test_sizes_must_be_ints() -> None:
    with pytest.raises(TypeError, match="nin must be a whole number.*2.5"):
        Layer(2.5, 3)
    with pytest.raises(ValueError, match=r"nouts\[1\] must be .*>= 1, not 0"):
        MLP(2, [3, 0])
    with pytest.raises(TypeError, match="nouts must be a non-empty list"):
        MLP(2, [])
    with pytest.raises(TypeError, match="nouts must be a non-empty list"):
        MLP(2, 3)


def test_wrong_input_length_names_the_input() -> None:
    with pytest.raises(ValueError, match=r"MLP expects 2 inputs, got 3: \[1.0, 2.0, 3.0\]"):
        MLP(2, [3, 1])([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Neuron expects 3 inputs, got 1"):
        Neuron(3)([1.0])


def test_bad_inputs_are_type_errors() -> None:
    with pytest.raises(TypeError, match=r"wrap a single number in a list: \[1.0\]"):
        Neuron(1)(1.0)
    with pytest.raises(TypeError, match="numbers or Values, not str 'a'"):
        Layer(2, 2)([1.0, "a"])
    with pytest.raises(TypeError, match=r"dict \{'x': 1.0, 'y': 2.0\}.*list\(x.values\(\)\)"):
        MLP(2, [1])({"x": 1.0, "y": 2.0})
    with pytest.raises(TypeError, match="expects a list of 2 inputs, not str 'ab'$"):
        MLP(2, [1])("ab")
    import numpy  # installed with matplotlib
    with pytest.raises(TypeError, match=r"not ndarray .*; pass a plain list: x.tolist\(\)"):
        MLP(2, [1])(numpy.array([1.0, 2.0]))


def test_bad_seed_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="seed must be an int, a random.Random or None"):
        Neuron(2, seed="1")


# ---------------------------------------------------------------------- scopes


@pytest.mark.parametrize("fused", [False, True])
def test_every_value_knows_its_module_path(fused: bool) -> None:
    model = MLP(2, [3, 1], seed=0, fused=fused)
    output = model([1.0, 2.0])
    assert output.scope == ("layers.1", "neurons.0")
    scopes = {node.scope for node in topological_order(output) if node.op}
    assert ("layers.0", "neurons.2") in scopes
    assert all(len(scope) == 2 for scope in scopes)
    assert Neuron(2, fused=fused)([1.0, 2.0]).scope == ()
    assert Layer(2, 2, fused=fused)([1.0, 2.0])[1].scope == ("neurons.1",)
    with scope("outer"):
        assert Neuron(2, fused=fused)([1.0, 2.0]).scope == ("outer",)


@pytest.mark.parametrize("fused", [False, True])
def test_a_layer_called_from_two_scopes_names_its_neurons_in_each(fused: bool) -> None:
    layer = Layer(2, 2, fused=fused, seed=0)
    with scope("first"):
        first = layer([1.0, 2.0])
    with scope("second"):
        second = layer([1.0, 2.0])
    again = layer([1.0, 2.0])
    for outputs, outer in ((first, ("first",)), (second, ("second",)), (again, ())):
        for index, output in enumerate(outputs):
            made_here = [node for node in topological_order(output) if node.op]
            assert {node.scope for node in made_here} == {(*outer, f"neurons.{index}")}


# ---------------------------------------------------------------------- fused


def test_fused_neuron_is_one_node_then_the_activation() -> None:
    neuron = Neuron(3, activation="tanh", seed=0, fused=True)
    x = [Value(1.0), Value(2.0), Value(3.0)]
    out = neuron(x)
    assert out.op == "tanh"
    (weighted_sum,) = out.children
    assert weighted_sum.op == "w·x+b"
    assert weighted_sum.children == (*neuron.w, *x, neuron.b)
    assert weighted_sum.local_grads == (1.0, 2.0, 3.0, *(w.data for w in neuron.w), 1.0)
    assert Neuron(2, activation="linear", fused=True)([1.0, 2.0]).op == "w·x+b"


@pytest.mark.parametrize("call", ["neuron", "layer"])
def test_fused_node_lists_the_children_the_walk_follows(call: str) -> None:
    """backward() walks only the children of a fused node that are not leaves
    (see engine.from_op); a Layer finds them once for all its neurons."""
    leaf, made = Value(1.0), Value(2.0) * 3
    if call == "neuron":
        out = Neuron(2, activation="linear", fused=True, seed=0)([leaf, made])
    else:
        out = Layer(2, 1, activation="linear", fused=True, seed=0)([leaf, made])
    assert out.op == "w·x+b"
    assert out._db == (made,)  # the weights, the bias and the input leaf are leaves
    out.backward()
    assert made.grad == out.local_grads[3]  # d(out)/d(made) = its weight


def _forward_and_grads(model: MLP, batch: list[list[float]]) -> tuple[float, list[float], list[float]]:
    inputs = [[Value(number) for number in row] for row in batch]
    scores = [model(row) for row in inputs]
    loss = hinge_loss(scores if isinstance(scores[0], Value) else [s[0] for s in scores],
                      [1 if i % 2 else -1 for i in range(len(batch))])
    loss = loss + l2_penalty(model.parameters(), 1e-4)
    model.zero_grad()
    loss.backward()
    input_grads = [v.grad for row in inputs for v in row]
    return loss.data, [p.grad for p in model.parameters()], input_grads


numbers = st.floats(-3.0, 3.0, allow_nan=False)


@settings(max_examples=60)
@given(
    nin=st.integers(1, 4),
    nouts=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "linear"]),
    output_activation=st.sampled_from(["relu", "tanh", "sigmoid", "linear"]),
    init=st.sampled_from(["uniform", "xavier", "he"]),
    seed=st.integers(0, 2**32),
    data=st.data(),
)
def test_fused_gives_exactly_the_same_numbers_and_gradients(
    nin: int, nouts: list[int], activation: str, output_activation: str, init: str,
    seed: int, data: st.DataObject,
) -> None:
    batch = data.draw(st.lists(st.lists(numbers, min_size=nin, max_size=nin), min_size=1, max_size=3))
    options = dict(activation=activation, output_activation=output_activation, init=init, seed=seed)
    fine = MLP(nin, nouts, **options)
    fused = MLP(nin, nouts, fused=True, **options)
    assert fine.state_dict() == fused.state_dict()
    for row in batch:
        fine_out, fused_out = fine(row), fused(row)
        if isinstance(fine_out, Value):
            assert fused_out.data == fine_out.data
        else:
            assert [v.data for v in fused_out] == [v.data for v in fine_out]
    assert _forward_and_grads(fused, batch) == _forward_and_grads(fine, batch)


def test_fused_graph_is_much_smaller() -> None:
    fine = MLP(2, [16, 16, 1], seed=0)([0.5, 0.5])
    fused = MLP(2, [16, 16, 1], seed=0, fused=True)([0.5, 0.5])
    def operations(root: Value) -> int:
        return sum(1 for node in topological_order(root) if node.op)

    assert operations(fused) == 33 + 32  # a w·x+b node per neuron, a relu per hidden one
    assert operations(fine) > 9 * operations(fused)


# ---------------------------------------------------------------------- PyTorch


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_whole_mlp_loss_gradients_equal_pytorch(activation: str, fused: bool) -> None:
    torch = pytest.importorskip("torch")
    from nn import mean_squared_error, to_torch

    model = MLP(3, [5, 4, 2], activation=activation, output_activation="tanh", seed=11, fused=fused)
    rng = random.Random(0)
    batch = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(6)]
    targets = [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(6)]
    loss = mean_squared_error([model(row) for row in batch], targets)
    loss = loss + l2_penalty(model.parameters(), 1e-3)
    loss.backward()

    reference = to_torch(model)
    x = torch.tensor(batch, dtype=torch.float64)
    y = torch.tensor(targets, dtype=torch.float64)
    torch_loss = ((reference(x) - y) ** 2).mean()
    torch_loss = torch_loss + 1e-3 * sum((p * p).sum() for p in reference.parameters())
    torch_loss.backward()

    assert loss.data == pytest.approx(torch_loss.item(), rel=1e-12)
    linears = [m for m in reference if isinstance(m, torch.nn.Linear)]
    for layer, linear in zip(model.layers, linears):
        for i, neuron in enumerate(layer.neurons):
            for j, weight in enumerate(neuron.w):
                assert weight.grad == pytest.approx(linear.weight.grad[i, j].item(), rel=1e-10, abs=1e-14)
            assert neuron.b.grad == pytest.approx(linear.bias.grad[i].item(), rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("fan_out, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError)])
def test_neuron_refuses_a_bad_fan_out_by_name(fan_out: object, error: type) -> None:
    with pytest.raises(error, match=rf"fan_out must be a whole number >= 1, not (float )?{fan_out}"):
        Neuron(2, init="xavier", fan_out=fan_out)  # type: ignore[arg-type]
