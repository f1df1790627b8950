"""Neurons, layers and multi-layer perceptrons, built from `Value`s.

A **neuron** computes a weighted sum of its inputs plus a bias, then an
activation:

    out = activation(w_0*x_0 + w_1*x_1 + ... + w_(n-1)*x_(n-1) + b)

A **layer** is several neurons reading the same inputs; an **MLP** (multi-layer
perceptron) feeds each layer's outputs to the next. The defaults are those of
micrograd: ReLU in the hidden layers, a linear output layer, weights drawn
uniformly from [-1, 1] and biases 0.

>>> model = MLP(2, [16, 16, 1], seed=0)
>>> model
MLP(2 -> [16, 16, 1], activation=relu)
  (layers.0): Layer(2 -> 16, relu)
  (layers.1): Layer(16 -> 16, relu)
  (layers.2): Layer(16 -> 1, linear)
>>> len(model.parameters())
337
>>> model([0.5, -1.0])            # one output: a single Value
Value(data=0.33181787976052857, grad=0.0)

**Fused neurons** (`fused=True`) compute the weighted sum as *one* graph
node, "w·x+b", instead of n multiplications and n additions. The numbers and
gradients are exactly the same; the graph is much smaller and faster, and a
drawing of a whole network stays readable.

>>> fused = MLP(2, [16, 16, 1], seed=0, fused=True)
>>> fused([0.5, -1.0])
Value(data=0.33181787976052857, grad=0.0)
"""

from __future__ import annotations

import math
import random
from typing import Sequence, Union

from engine import Value, as_value, scope
from engine.value import from_op
from nn.checks import check_choice, check_count, check_flag, check_layer_sizes
from nn.module import Module
from nn.randomness import Seed, random_source

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
INITIALIZERS = ("uniform", "xavier", "he")

Input = Union[Value, float, int]


# ---------------------------------------------------------------------- helpers


def initial_weight(init: str, rng: random.Random, fan_in: int, fan_out: int) -> float:
    """One starting weight, drawn uniformly from [-limit, limit]:

    - "uniform": limit = 1 (micrograd's choice);
    - "xavier" (Glorot): limit = sqrt(6 / (fan_in + fan_out)), for tanh and sigmoid;
    - "he" (Kaiming): limit = sqrt(6 / fan_in), for ReLU.

    `fan_in` is the number of inputs of the neuron, `fan_out` the number of
    neurons in its layer.
    """
    if init == "uniform":
        limit = 1.0
    elif init == "xavier":
        limit = math.sqrt(6.0 / (fan_in + fan_out))
    else:  # "he"
        limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit)


def activate(value: Value, activation: str) -> Value:
    """Apply the activation by name; "linear" returns `value` itself (no new node)."""
    if activation == "relu":
        return value.relu()
    if activation == "tanh":
        return value.tanh()
    if activation == "sigmoid":
        return value.sigmoid()
    return value


def as_inputs(x: Sequence[Input], nin: int, who: str) -> list[Value]:
    """Check that `x` holds `nin` numbers or Values and return them as Values."""
    if type(x) is list and len(x) == nin:  # the common case, checked quickly
        for item in x:
            if type(item) is not Value:
                break
        else:
            return x
    if isinstance(x, (Value, int, float)):
        raise TypeError(
            f"{who} expects a list of {nin} inputs, not {type(x).__name__} {x!r}; "
            f"wrap a single number in a list: [{x!r}]"
        )
    if not isinstance(x, Sequence) or isinstance(x, str):
        hint = ""
        if isinstance(x, dict):
            hint = "; pass its values in order: list(x.values())"
        elif hasattr(x, "tolist"):  # a numpy array or a torch tensor
            hint = "; pass a plain list: x.tolist()"
        raise TypeError(
            f"{who} expects a list of {nin} inputs, not {type(x).__name__} {x!r}{hint}"
        )
    if len(x) != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {len(x)}: {list(x)!r}")
    inputs: list[Value] = []
    for item in x:
        if type(item) is Value:
            inputs.append(item)
            continue
        value = as_value(item)
        if value is NotImplemented:
            raise TypeError(
                f"{who} inputs must be numbers or Values, not "
                f"{type(item).__name__} {item!r}"
            )
        inputs.append(value)
    return inputs


def read_inputs(inputs: list[Value]) -> tuple[list[float], tuple[Value, ...]]:
    """What a fused neuron reads from its inputs: their numbers, and those of
    them that are not leaves (see `from_op`'s `computed_children`)."""
    numbers = [value.data for value in inputs]
    computed = tuple([value for value in inputs if not value.is_leaf])
    return numbers, computed


def options_text(init: str, fused: bool) -> str:
    """The non-default options, for reprs: ", init=he, fused"."""
    text = ""
    if init != "uniform":
        text += f", init={init}"
    if fused:
        text += ", fused"
    return text


# ---------------------------------------------------------------------- modules


class Neuron(Module):
    """One neuron: `activation(w · x + b)` with `nin` weights and a bias.

    Its parameters are the weights `w.0`, ..., `w.(nin-1)`, then the bias `b`.
    Calling it with `nin` inputs (numbers or Values) returns one Value.

    >>> neuron = Neuron(2, activation="tanh", seed=1)
    >>> neuron
    Neuron(2, tanh)
    >>> [p.label for p in neuron.parameters()]
    ['w.0', 'w.1', 'b']
    >>> round(neuron([1.0, 2.0]).data, 6)
    0.57734

    `fan_out` is the width of the layer the neuron sits in; only
    `init="xavier"` uses it.
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        init: str = "uniform",
        seed: Seed = None,
        fused: bool = False,
        *,
        fan_out: int = 1,
    ) -> None:
        self.nin = check_count("nin", nin)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.init = check_choice("init", init, INITIALIZERS)
        self.fused = check_flag("fused", fused)
        fan_out = check_count("fan_out", fan_out)
        rng = random_source(seed)
        self.w = [Value(initial_weight(init, rng, nin, fan_out)) for _ in range(nin)]
        self.b = Value(0.0)
        self.label_parameters()

    def forward(self, x: Sequence[Input]) -> Value:
        """activation(w · x + b) for the `nin` inputs `x`."""
        inputs = as_inputs(x, self.nin, "Neuron")
        if self.fused:
            numbers, computed = read_inputs(inputs)
            return self.fused_output(inputs, numbers, computed, scope.current())
        return self.output(inputs)

    def output(self, inputs: list[Value]) -> Value:
        """`forward` for inputs that are checked already: the fine graph,
        b + w_0*x_0 + w_1*x_1 + ..., one "*" and one "+" node per input."""
        total = self.b
        for weight, value in zip(self.w, inputs):
            total = total + weight * value
        return activate(total, self.activation)

    def fused_output(
        self,
        inputs: list[Value],
        numbers: list[float],
        computed: tuple[Value, ...],
        path: tuple[str, ...],
    ) -> Value:
        """`forward` with fused neurons: w · x + b as a single node whose children
        are w_0.., x_0.., b, then the activation.

        The inputs are checked already, and `read_inputs` gave `numbers` and
        `computed` (a Layer reads them once for all its neurons). The weights
        and the bias are parameters, so leaves (`parameters()` refuses any
        other), and backward() need not walk past them. The one or
        two nodes made here get the scope `path` directly: a Layer names each
        neuron's scope this way, as entering `scope(...)` for every neuron of
        every data point would make a fused training step about 10% slower.
        """
        weights = [weight.data for weight in self.w]
        total = self.b.data
        for w, x in zip(weights, numbers):
            total += w * x  # the same order of additions as the fine graph
        # d(w·x+b)/dw_i = x_i, d(w·x+b)/dx_i = w_i, d(w·x+b)/db = 1
        local_grads = (*numbers, *weights, 1.0)
        children = (*self.w, *inputs, self.b)
        weighted_sum = from_op(
            total, "w·x+b", children, local_grads, computed_children=computed
        )
        out = activate(weighted_sum, self.activation)
        weighted_sum.scope = out.scope = path
        return out

    def config(self) -> dict[str, object]:
        """The constructor arguments that rebuild this neuron (the seed aside)."""
        return {
            "nin": self.nin,
            "activation": self.activation,
            "init": self.init,
            "fused": self.fused,
        }

    def extra_repr(self) -> str:
        return f"{self.nin}, {self.activation}" + options_text(self.init, self.fused)


class Layer(Module):
    """`nout` neurons that all read the same `nin` inputs.

    Calling it returns a list of `nout` Values, or a single Value when
    `nout` is 1. Each neuron runs inside `scope("neurons.<i>")`, so the
    graph knows which neuron made each node.

    >>> layer = Layer(3, 2, activation="sigmoid", seed=0)
    >>> layer
    Layer(3 -> 2, sigmoid)
    >>> [round(v.data, 4) for v in layer([1.0, 0.0, -1.0])]
    [0.7001, 0.4275]
    >>> layer.parameters()[-1].label
    'neurons.1.b'
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        init: str = "uniform",
        seed: Seed = None,
        fused: bool = False,
    ) -> None:
        self.nin = check_count("nin", nin)
        self.nout = check_count("nout", nout)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.init = check_choice("init", init, INITIALIZERS)
        self.fused = check_flag("fused", fused)
        rng = random_source(seed)  # one stream, shared by the neurons in turn
        self.neurons = [
            Neuron(nin, activation, init, rng, fused, fan_out=nout) for _ in range(nout)
        ]
        self.label_parameters()
        # The scope of each neuron's nodes, "neurons.<i>", named once here (a
        # layer's neurons are fixed when it is made, as `nout` is).
        self.scope_names = [f"neurons.{index}" for index in range(nout)]
        # For fused neurons: (outer scope, the neurons' full scope paths in it),
        # kept from the last call (see `neuron_paths`).
        self._paths: tuple[tuple[str, ...], list[tuple[str, ...]]] | None = None

    def forward(self, x: Sequence[Input]) -> Value | list[Value]:
        """Every neuron's output for the inputs `x` (a single Value if nout == 1)."""
        inputs = as_inputs(x, self.nin, "Layer")  # made Values once, shared by all neurons
        if self.fused:
            numbers, computed = read_inputs(inputs)  # once, for all the neurons
            paths = self.neuron_paths()
            outputs = [
                neuron.fused_output(inputs, numbers, computed, path)
                for neuron, path in zip(self.neurons, paths)
            ]
        else:
            outputs = []
            for name, neuron in zip(self.scope_names, self.neurons):
                with scope(name):
                    outputs.append(neuron.output(inputs))
        return outputs[0] if self.nout == 1 else outputs

    def neuron_paths(self) -> list[tuple[str, ...]]:
        """The scope path of each neuron here, such as ("layers.1", "neurons.3").

        Made once for each outer scope the layer runs in (a layer is nearly
        always called from the same place) and kept, so that a fused network
        does not make a new path for every neuron and every data point.
        """
        outer = scope.current()
        kept = self._paths
        if kept is None or kept[0] != outer:
            kept = self._paths = (outer, [outer + (name,) for name in self.scope_names])
        return kept[1]  # (one assignment above, so threads never see half of it)

    def config(self) -> dict[str, object]:
        """The constructor arguments that rebuild this layer (the seed aside)."""
        return {
            "nin": self.nin,
            "nout": self.nout,
            "activation": self.activation,
            "init": self.init,
            "fused": self.fused,
        }

    def extra_repr(self) -> str:
        text = f"{self.nin} -> {self.nout}, {self.activation}"
        return text + options_text(self.init, self.fused)

    def repr_children(self) -> list[tuple[str, Module]]:
        return []  # the neurons are all alike: "Layer(2 -> 16, relu)" says it all


class MLP(Module):
    """A multi-layer perceptron: layers of sizes `nouts`, fed one into the next.

    `MLP(2, [16, 16, 1])` reads 2 inputs, has two hidden layers of 16 ReLU
    neurons and one linear output neuron. Hidden layers use `activation`, the
    last layer `output_activation`. Calling it returns a list of Values, or a
    single Value when the last layer has one neuron. Layer i runs inside
    `scope("layers.<i>")`.

    >>> model = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid",
    ...             init="xavier", seed=7)
    >>> model
    MLP(3 -> [4, 2], activation=tanh, output_activation=sigmoid, init=xavier)
      (layers.0): Layer(3 -> 4, tanh, init=xavier)
      (layers.1): Layer(4 -> 2, sigmoid, init=xavier)
    >>> model.parameters()[0].label
    'layers.0.neurons.0.w.0'
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        init: str = "uniform",
        seed: Seed = None,
        fused: bool = False,
    ) -> None:
        self.nin = check_count("nin", nin)
        self.nouts = check_layer_sizes(nouts)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.output_activation = check_choice(
            "output_activation", output_activation, ACTIVATIONS
        )
        self.init = check_choice("init", init, INITIALIZERS)
        self.fused = check_flag("fused", fused)
        rng = random_source(seed)
        sizes = [self.nin] + self.nouts
        last = len(self.nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation=output_activation if i == last else activation,
                init=init,
                seed=rng,
                fused=fused,
            )
            for i in range(len(self.nouts))
        ]
        self.label_parameters()
        self.scope_names = [f"layers.{index}" for index in range(len(self.layers))]

    def forward(self, x: Sequence[Input]) -> Value | list[Value]:
        """The last layer's output for the inputs `x` (a single Value if it has one neuron)."""
        values: Value | list[Value] = as_inputs(x, self.nin, "MLP")
        for name, layer in zip(self.scope_names, self.layers):
            with scope(name):
                values = layer(values if isinstance(values, list) else [values])
        return values

    def config(self) -> dict[str, object]:
        """The constructor arguments that rebuild this network (the seed aside)."""
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "init": self.init,
            "fused": self.fused,
        }

    def extra_repr(self) -> str:
        text = f"{self.nin} -> {self.nouts}, activation={self.activation}"
        if self.output_activation != "linear":
            text += f", output_activation={self.output_activation}"
        if self.init != "uniform":
            text += f", init={self.init}"
        if self.fused:
            text += ", fused=True"
        return text
