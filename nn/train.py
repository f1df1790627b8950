"""Training: the five-line loop, and `fit()`, which runs it for you.

Training a network is one loop with five lines in it. Every step makes
predictions (**forward**), measures how wrong they are (**loss**), clears
the old gradients (**zero_grad**), runs the chain rule (**backward**), and
moves each parameter a little against its gradient (**update**):

>>> from nn.data import moons, signed_labels
>>> from nn.layers import MLP
>>> from nn.losses import hinge_loss
>>> from nn.optim import SGD
>>> X, y = moons(n=20, seed=0)
>>> y = signed_labels(y)                       # the hinge loss wants -1/+1
>>> model = MLP(2, [8, 1], seed=0)
>>> optimizer = SGD(model.parameters(), lr=0.1)
>>> for step in range(30):
...     scores = [model(x) for x in X]         # 1. forward
...     loss = hinge_loss(scores, y)           # 2. loss
...     optimizer.zero_grad()                  # 3. zero the old gradients
...     loss.backward()                        # 4. backward: the chain rule
...     optimizer.step()                       # 5. update: p -= lr * p.grad
>>> round(loss.data, 4)
0.4286

`fit()` is that same loop plus the chores around it: mini-batches, an L2
penalty, a learning-rate schedule, a `History` of the loss and accuracy, a
progress bar, and a `callback` that can watch (or stop) the training:

>>> model = MLP(2, [8, 1], seed=0)
>>> history = fit(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.1),
...               steps=30, progress=False)
>>> history
History(steps=30, loss=0.4286, accuracy=0.80)
>>> round(history.loss[-1], 4) == round(loss.data, 4)   # the very same loop
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol, Sequence, Union

from tqdm import tqdm

from engine import Value
from engine.unroll import CannotUnroll, Replay, unroll_outputs
from engine.value import from_op
from nn.checks import check_choice, check_count, check_number, check_one_label_per_row
from nn.losses import (
    binary_cross_entropy,
    check_labels,
    hinge_loss,
    l2_penalty,
    mean_squared_error,
    softmax_cross_entropy,
)
from nn.module import Module
from nn.optim import SGD, Optimizer
from nn.randomness import Seed, random_source

Output = Union[Value, list[Value]]
Label = Union[int, float]
# A loss takes the batch's outputs and labels (lists) and returns the mean loss.
LossFunction = Callable[[Sequence[Any], Sequence[Any]], Value]
LOSSES = ("hinge", "mse", "bce", "cross_entropy")
CLASS_LOSSES = ("hinge", "bce", "cross_entropy")  # the losses whose outputs name a class
DEFAULT_LEARNING_RATE = 0.1
# History.loss_rose: the last loss is above 10 times the first one (a first
# loss below LOSS_FLOOR counts as LOSS_FLOOR, so that 0 -> 1e-9 is no alarm).
LOSS_ROSE_FACTOR = 10.0
LOSS_FLOOR = 1e-3
# fit(compiled=True) checks its first step against the graph engine: each
# parameter's gradient must agree within this, relative (or, for a gradient
# near 0, within this times the largest gradient): the rows' contributions
# are added up in another order, so they agree to rounding, not bit for bit.
COMPILED_TOLERANCE = 1e-9


class Schedule(Protocol):
    """Anything with a `step()` that changes the optimizer's learning rate (e.g. LinearDecay)."""

    def step(self) -> None: ...


@dataclass
class History:
    """What happened during `fit()`: one entry per training step.

    - `loss[k]`: the loss of step k's batch (including the L2 penalty), measured
      before that step's update.
    - `accuracy[k]`: the fraction of that batch classified right (nan for
      "mse" and for a loss function of your own; see `accuracy()`).
    - `learning_rate[k]`: the optimizer's `lr` used for step k's update.
    - `stopped_early`: True when the callback stopped the training.
    - `loss_rose` (computed): True when the run ended with its loss more
      than `LOSS_ROSE_FACTOR` (10) times its first loss: the numbers did not
      become nan, but the training went the wrong way, most often because
      the learning rate is too large. `fit()` returns such a History as any
      other (it does not print); its repr and the `stepgrad` command say so.

    >>> History(loss=[0.7, 30.0, 1e5], accuracy=[0.5, 0.5, 0.5])
    History(steps=3, loss=1e+05, accuracy=0.50, loss_rose=True)
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def steps(self) -> int:
        """How many steps were run."""
        return len(self.loss)

    @property
    def loss_rose(self) -> bool:
        """Did the loss end far above where it started? (See the class docstring.)"""
        if not self.loss:
            return False
        return self.loss[-1] > LOSS_ROSE_FACTOR * max(self.loss[0], LOSS_FLOOR)

    def __repr__(self) -> str:
        if not self.loss:
            return "History(steps=0)"
        text = f"History(steps={self.steps}, loss={self.loss[-1]:.4g}"
        if not math.isnan(self.accuracy[-1]):
            text += f", accuracy={self.accuracy[-1]:.2f}"
        if self.stopped_early:
            text += ", stopped_early=True"
        if self.loss_rose:
            text += ", loss_rose=True"
        return text + ")"


class Snapshots:
    """A `fit()` callback that keeps a copy of the model's parameters every few steps.

    `states[i]` is `model.state_dict()` after `updates[i]` updates: the state
    before training (0 updates), then one every `every` steps. Pick `steps` a
    multiple of `every` to keep the final state too. Feed `states` to
    `nn.apps.plots.boundary_animation` to watch the decision boundary move.

    >>> from nn.layers import MLP
    >>> model = MLP(2, [1], seed=0)
    >>> snapshots = Snapshots(model, every=10)
    >>> history = fit(model, [[0.0, 1.0], [1.0, 0.0]], [1, -1], steps=30,
    ...               callback=snapshots, progress=False)
    >>> snapshots.updates
    [0, 10, 20, 30]
    """

    def __init__(self, model: Module, every: int = 10) -> None:
        self.model = model
        self.every = check_count("every", every)
        self.states: list[dict[str, float]] = [model.state_dict()]
        self.updates: list[int] = [0]

    def __call__(self, step: int, history: History) -> None:
        updates = step + 1  # step counts from 0, so step k is the (k+1)-th update
        if updates % self.every == 0:
            self.states.append(self.model.state_dict())
            self.updates.append(updates)

    def __repr__(self) -> str:
        return f"Snapshots(every={self.every}, taken={len(self.states)})"


class TrainingDiverged(FloatingPointError):
    """`fit()` stopped because its numbers blew up: a number overflowed, or an
    output, the loss or a parameter became nan or infinite.

    `history` holds the steps before that, so you can still plot them, e.g.
    `except TrainingDiverged as error: training_curves(error.history)`.
    """

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


Callback = Callable[[int, History], Optional[bool]]


def fit(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[Label],
    loss: str | LossFunction = "hinge",
    optimizer: Optimizer | None = None,
    steps: int = 100,
    batch_size: int | None = None,
    l2: float = 0.0,
    callback: Callback | None = None,
    seed: Seed = None,
    progress: bool | None = None,
    schedule: Schedule | None = None,
    compiled: bool = False,
) -> History:
    """Train `model` on rows `X` with labels `y` for `steps` steps; return a `History`.

    Each step is the five-line loop of this module's docstring.

    - `loss`: "hinge" (labels -1/+1, one output), "bce" (labels 0/1, one
      output, a logit), "cross_entropy" (labels 0..k-1, k outputs), "mse"
      (numbers), or your own function `loss(outputs, labels) -> Value` taking
      the whole batch.
    - `optimizer`: defaults to `SGD(model.parameters(), lr=0.1)`.
    - `schedule`: e.g. `LinearDecay(optimizer, 1.0, 0.1, steps)`; its `step()`
      runs after each update. If you give a schedule and no optimizer, the
      schedule's optimizer is used.
    - `batch_size`: None trains on all rows every step (full batch); a number
      picks that many rows at random each step (without repeats within a step).
    - `l2`: adds `l2_penalty(model.parameters(), l2)` to the loss.
    - `seed`: seeds the mini-batch sampling, so that the same seed, model and
      data give the same History; None follows Python's global `random`, as
      every `seed` in `nn` does (see `nn.randomness`). (The model's initial
      weights come from its own seed.)
    - `callback(step, history)`: called after every step (step counts from
      0, so `history.loss[step]` is that step's loss). Return True (or any
      true value) to stop training; `history.stopped_early` then says so.
      Return None (or False) to go on.
    - `progress`: None shows a tqdm progress bar only when stderr is a
      terminal; True always; False never.
    - `compiled`: True runs the model as straight-line Python on plain
      floats (a `CompiledModel`, built on `engine.unroll`): the same steps,
      several times faster. Its first step is checked against the graph
      engine (gradients within `COMPILED_TOLERANCE`, 1e-9 relative); a model
      it cannot replay is refused with the reason. After N steps the
      parameters equal compiled=False's to about 1e-9 relative (the rows'
      gradients are added in another order).

    Errors: a bad argument raises TypeError or ValueError naming it (before
    any training); an optimizer that holds none of the model's parameters
    raises ValueError. Every way a run can blow up (an overflow in `exp` or
    `**`, in the model or in the loss; an output, the loss or a parameter
    that becomes nan or infinite) raises `TrainingDiverged` (a
    FloatingPointError) naming the step and the likely cause; its `history`
    keeps the steps before. A model that holds nan before training raises
    FloatingPointError. A run that ends with its loss far above where it
    started is no error: `history.loss_rose` says so.

    Accuracy, per loss: "hinge" counts sign(score) == label (a score of 0
    counts as -1), "bce" counts (logit > 0) == label, "cross_entropy" counts
    argmax == label (the first maximum on ties); "mse" and your own loss
    functions record nan.
    """
    if not isinstance(model, Module):
        raise TypeError(f"fit() trains an nn Module such as MLP(...), not {type(model).__name__}")
    loss_name, loss_function = _loss_function(loss)
    check_one_label_per_row(X, y)
    if loss_name in CLASS_LOSSES:
        check_labels(loss_name, y)
    steps = check_count("steps", steps)
    if batch_size is not None and check_count("batch_size", batch_size) > len(X):
        raise ValueError(
            f"batch_size={batch_size} is larger than the data ({len(X)} rows); "
            "use batch_size=None to train on all rows"
        )
    l2 = check_number("l2", l2, at_least=0.0, hint="the L2 penalty's alpha")
    parameters = model.parameters()  # found once: the steps reuse this list
    if optimizer is None:
        optimizer = getattr(schedule, "optimizer", None)
    if optimizer is None:
        optimizer = SGD(parameters, lr=DEFAULT_LEARNING_RATE)
    elif schedule is not None and getattr(schedule, "optimizer", optimizer) is not optimizer:
        raise ValueError("the schedule drives a different optimizer than the one given to fit()")
    _check_optimizer_owns_model(optimizer, parameters)
    bad = model.first_non_finite()
    if bad is not None:
        raise FloatingPointError(
            f"the model holds {bad[0]} = {bad[1]} (left by an earlier run that diverged?), "
            "so it cannot learn; build a new model, or load a saved one"
        )

    # Only mini-batches need random numbers (so a full-batch fit leaves Python's random alone).
    rng = random_source(seed) if batch_size is not None else None
    if not isinstance(compiled, bool):
        raise TypeError(f"compiled must be True or False, not {type(compiled).__name__}")
    compiled_model = CompiledModel(model) if compiled else None
    rows = list(range(len(X)))
    size = len(X) if batch_size is None else batch_size
    history = History()
    # tqdm's disable=None: show the bar only when stderr is a terminal.
    disable = None if progress is None else not progress
    bar = tqdm(total=steps, desc="fit", unit="step", disable=disable)
    try:
        for step in range(steps):
            batch = rows if rng is None else rng.sample(rows, size)
            labels = [y[i] for i in batch]
            # Every way the numbers can blow up ends here, as TrainingDiverged:
            # an overflow (exp, **), or nan/inf in the outputs, loss or parameters.
            try:
                if compiled_model is None:
                    outputs = [model(X[i]) for i in batch]  # 1. forward
                else:
                    outputs = compiled_model.forward([X[i] for i in batch])
                if step == 0:
                    _check_outputs(loss_name, outputs[0], y)
                problem = _non_finite_output(outputs)
                if problem is None:
                    batch_loss = loss_function(outputs, labels)  # 2. loss
                    if l2 > 0.0:
                        batch_loss = batch_loss + l2_penalty(parameters, l2)
                    if not math.isfinite(batch_loss.data):
                        problem = f"the loss is {batch_loss.data}"
            except OverflowError as error:
                overflow = f"a number overflowed ({error})"
                raise _diverged(step, optimizer, overflow, history) from error
            if problem is not None:
                raise _diverged(step, optimizer, problem, history)
            optimizer.zero_grad()  # 3. zero the old gradients
            batch_loss.backward()  # 4. backward
            if compiled_model is not None:
                compiled_model.backward()  # ... on through the model, into p.grad
                if step == 0:
                    check_compiled_step(model, [X[i] for i in batch], labels, loss_function, l2)
            history.learning_rate.append(float(optimizer.lr))
            optimizer.step()  # 5. update
            problem = _non_finite_parameter(model, parameters)
            if problem is not None:
                raise _diverged(step, optimizer, problem, history, updated=True)
            if schedule is not None:
                schedule.step()

            history.loss.append(batch_loss.data)
            history.accuracy.append(_batch_accuracy(loss_name, outputs, labels))
            bar.set_postfix(_postfix(history), refresh=False)
            bar.update(1)
            if callback is not None and callback(step, history):
                history.stopped_early = True
                break
    finally:
        bar.close()
    return history


class CompiledModel:
    """`model`'s forward and backward pass as straight-line Python, run on plain floats.

    The graph engine builds a graph of Values for every row at every step.
    A CompiledModel builds the graph of one row once (it traces the model),
    writes its forward and backward pass out as code (`engine.unroll`), and
    then runs that code on plain floats for every row: the same numbers,
    many times faster. The five-line loop of this module becomes:

    >>> from nn.data import moons, signed_labels
    >>> from nn.layers import MLP
    >>> from nn.losses import hinge_loss
    >>> from nn.optim import SGD
    >>> X, y = moons(n=20, seed=0)
    >>> y = signed_labels(y)
    >>> model = MLP(2, [8, 1], seed=0)
    >>> optimizer = SGD(model.parameters(), lr=0.1)
    >>> compiled = CompiledModel(model)
    >>> for step in range(30):
    ...     scores = compiled.forward(X)           # 1. forward, on plain floats
    ...     loss = hinge_loss(scores, y)           # 2. loss: a small graph over the scores
    ...     optimizer.zero_grad()                  # 3. zero the old gradients
    ...     loss.backward()                        # 4. backward through the loss ...
    ...     compiled.backward()                    #    ... and through the model, into p.grad
    ...     optimizer.step()                       # 5. update: p -= lr * p.grad
    >>> round(loss.data, 4)
    0.4286

    `forward(X)` returns for each row what the model returns (a Value, or a
    list of them), as leaves that hold the numbers; `backward()` reads their
    grads (d(loss)/d(output), which `loss.backward()` filled in) and runs the
    model's chain rule for every row, adding into the parameters' grads.
    Those grads equal the graph engine's up to rounding: the rows are added
    up in another order. `code()` shows the code of one row.

    It replays the model's graph, not its Python: a model whose `forward`
    takes a Python `if` on the data would replay the branch of the row it
    was traced with (nn's layers take none: relu is an operation). So
    `fit(compiled=True)` checks its first step against the graph engine
    (`check_compiled_step`). A model is traced again when the rows change
    width.
    """

    def __init__(self, model: Module) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"CompiledModel needs an nn Module such as MLP(...), not {type(model).__name__}")
        self.model = model
        self._replay: Replay | None = None
        self._width = -1  # the row width it was traced for
        self._inputs: list[int] = []  # where each input of a row goes in the replay's data
        self._parameters: list[tuple[int, Value]] = []  # each parameter's place there
        self._single = True  # the model returns one Value, not a list
        self._pending: list[tuple[Sequence[float], Any, list[Value]]] = []  # the last forward
        self._data: list[float] = []  # the leaves' data of the last forward

    def _trace(self, row: Sequence[float]) -> Replay:
        """Build the graph of one row, and unroll it."""
        inputs = [Value(number, label=f"x{index}") for index, number in enumerate(row)]
        output = self.model(inputs)
        self._single = not isinstance(output, list)
        try:
            replay = unroll_outputs([output] if self._single else output, self.model.parameters())
        except CannotUnroll as error:
            raise CannotUnroll(f"this model cannot be compiled: {error}") from None
        place = {leaf: index for index, leaf in enumerate(replay.leaves)}
        self._inputs = [place.get(value, -1) for value in inputs]  # -1: an input it never reads
        self._parameters = [(place[p], p) for p in self.model.parameters() if p in place]
        self._replay, self._width = replay, len(row)
        return replay

    def code(self) -> str:
        """The source of the traced model's function (forward and backward of one row)."""
        if self._replay is None:
            raise ValueError("nothing is traced yet: call forward(X) first")
        return self._replay.source

    def forward(self, X: Sequence[Sequence[float]]) -> list[Output]:
        """Run the model on each row of `X` as code; return its outputs as leaves."""
        replay = self._replay
        if replay is None or len(X[0]) != self._width:
            replay = self._trace(X[0])
        data = [leaf.data for leaf in replay.leaves]  # the parameters as they are now
        function, places, single = replay.forward, self._inputs, self._single
        outputs: list[Output] = []
        pending = []
        for row in X:
            for place, number in zip(places, row):
                if place >= 0:
                    data[place] = number
            values, saved = function(data)
            leaves = [from_op(value, "", (), ()) for value in values]
            outputs.append(leaves[0] if single else leaves)
            pending.append((row, saved, leaves))
        self._data = data
        self._pending = pending
        return outputs

    def backward(self) -> None:
        """Run the chain rule of every row of the last `forward`, into the parameters' grads.

        Each row's backward pass reads the values its forward pass saved,
        and d(loss)/d(output) from the outputs' grads.
        """
        if not self._pending or self._replay is None:
            raise ValueError("backward() needs a forward(X) first (and runs once per forward)")
        function, places, data = self._replay.backward, self._inputs, self._data
        grads = [leaf.grad for leaf in self._replay.leaves]
        for row, saved, leaves in self._pending:
            for place, number in zip(places, row):
                if place >= 0:
                    data[place] = number
            grads = function(data, saved, [leaf.grad for leaf in leaves], grads)
        self._pending = []
        for place, parameter in self._parameters:
            parameter.grad = grads[place]

    def __repr__(self) -> str:
        return f"CompiledModel({self.model!r})"


def check_compiled_step(
    model: Module,
    rows: Sequence[Sequence[float]],
    labels: Sequence[Label],
    loss_function: LossFunction,
    l2: float = 0.0,
) -> None:
    """Check the grads that a compiled step left in `model`'s parameters
    against the graph engine's for the same rows; raise ValueError naming
    the first parameter that differs by more than COMPILED_TOLERANCE.
    The parameters keep the compiled grads."""
    named = model.named_parameters()
    compiled = [parameter.grad for _, parameter in named]
    model.zero_grad()
    loss = loss_function([model(row) for row in rows], labels)
    if l2 > 0.0:
        loss = loss + l2_penalty([parameter for _, parameter in named], l2)
    loss.backward()
    largest = max([abs(parameter.grad) for _, parameter in named], default=0.0)
    for (name, parameter), grad in zip(named, compiled):
        if not math.isclose(
            grad, parameter.grad, rel_tol=COMPILED_TOLERANCE, abs_tol=COMPILED_TOLERANCE * largest
        ):
            raise ValueError(
                f"compiled=True gives {name}.grad = {grad!r} where the graph engine gives "
                f"{parameter.grad!r} (more than {COMPILED_TOLERANCE:g} apart): the model "
                "does not replay as traced (does its forward take a Python `if` on the "
                "data?); train it with compiled=False"
            )
    for (_, parameter), grad in zip(named, compiled):
        parameter.grad = grad


def predict(model: Module, X: Sequence[Sequence[float]], loss: str = "hinge") -> list[int]:
    """The class the model picks for each row, read the way `loss` reads outputs.

    "hinge" gives -1/+1 (the sign), "bce" gives 0/1 (logit > 0), and
    "cross_entropy" gives the index of the largest output.

    >>> from nn.layers import MLP
    >>> model = MLP(2, [3], seed=0)
    >>> predict(model, [[1.0, 2.0], [0.0, 0.0]], loss="cross_entropy")
    [0, 0]
    """
    check_choice("loss", loss, CLASS_LOSSES, hint="the losses whose outputs name a class")
    return [_predicted_class(loss, model(row)) for row in X]


def accuracy(
    model: Module, X: Sequence[Sequence[float]], y: Sequence[Label], loss: str = "hinge"
) -> float:
    """The fraction of rows whose predicted class (see `predict`) equals the label.

    >>> from nn.layers import MLP
    >>> model = MLP(2, [1], seed=0)
    >>> accuracy(model, [[1.0, 2.0], [-1.0, -2.0]], [1, -1], loss="hinge")
    1.0
    """
    check_one_label_per_row(X, y)
    predictions = predict(model, X, loss)
    return sum(p == label for p, label in zip(predictions, y)) / len(y)


# ---------------------------------------------------------------------- helpers


def _loss_function(loss: str | LossFunction) -> tuple[str, LossFunction]:
    """The name (for the accuracy rule) and the function of a loss."""
    if callable(loss):
        return "custom", loss
    table: dict[str, LossFunction] = {
        "hinge": hinge_loss,
        "mse": mean_squared_error,
        "bce": binary_cross_entropy,
        "cross_entropy": softmax_cross_entropy,
    }
    hint = "or pass a function loss(outputs, labels) -> Value"
    return loss, table[check_choice("loss", loss, LOSSES, hint)]


def _check_optimizer_owns_model(optimizer: Optimizer, parameters: list[Value]) -> None:
    """Refuse an optimizer made for another model: training would change nothing."""
    owned = getattr(optimizer, "parameters", None)
    if not isinstance(owned, list):
        return  # an optimizer of your own: trust it
    in_model = set(parameters)  # Values hash by identity
    if not any(parameter in in_model for parameter in owned):
        raise ValueError(
            "the optimizer holds none of this model's parameters, so training would change "
            "nothing; was it made for another model? Make it with "
            f"{type(optimizer).__name__}(model.parameters(), ...) for this model"
        )


def _diverged(
    step: int, optimizer: Optimizer, what: str, history: History, updated: bool = False
) -> TrainingDiverged:
    """The error for a training run whose numbers blew up."""
    if step == 0 and not updated:
        advice = (
            "This is before any update, so the learning rate is not the cause: the inputs "
            "(or the starting weights) are too large; scale the inputs with "
            "nn.data.standardize(X)"
        )
    else:
        advice = (
            f"The learning rate lr={optimizer.lr:g} is probably too large; "
            f"try a smaller one, e.g. lr={optimizer.lr / 10:g}"
        )
    return TrainingDiverged(f"training diverged at step {step}: {what}. {advice}", history)


def _non_finite_output(outputs: list[Output]) -> str | None:
    """"the model's output is nan" if an output is nan or infinite, else None."""
    for output in outputs:
        for value in output if isinstance(output, list) else [output]:
            if isinstance(value, Value) and not math.isfinite(value.data):
                return f"the model's output is {value.data}"
    return None


def _non_finite_parameter(model: Module, parameters: list[Value]) -> str | None:
    """"after the update w.0 = nan" if a parameter is nan or infinite, else None.

    The numbers are read every step; the name is looked up only when one is
    bad (making every parameter's dotted name each step would slow training).
    """
    if all(math.isfinite(parameter.data) for parameter in parameters):
        return None
    bad = model.first_non_finite()
    return None if bad is None else f"after the update {bad[0]} = {bad[1]}"


def _check_outputs(loss_name: str, output: Output, y: Sequence[Label]) -> None:
    """A clear error when the model's number of outputs does not suit the loss or the labels."""
    if loss_name in CLASS_LOSSES:
        _predicted_class(loss_name, output)
    if loss_name == "cross_entropy" and isinstance(output, list) and max(y) >= len(output):
        raise ValueError(
            f"y holds the class {max(y)}, but the model has {len(output)} outputs, "
            f"one per class 0 to {len(output) - 1}; give the last layer {max(y) + 1} neurons"
        )


def _predicted_class(loss_name: str, output: Output) -> int:
    """The class an output stands for, under the rule of `loss_name`."""
    if loss_name == "cross_entropy":
        if not isinstance(output, list):
            raise ValueError(
                "cross_entropy needs a model with one output per class, "
                "but this model has a single output (use 'hinge' or 'bce')"
            )
        scores = [value.data for value in output]
        return scores.index(max(scores))
    if isinstance(output, list):
        raise ValueError(
            f"{loss_name!r} needs a model with one output, but this one has {len(output)} "
            "(use 'cross_entropy' for several classes)"
        )
    if loss_name == "hinge":
        return 1 if output.data > 0.0 else -1
    return 1 if output.data > 0.0 else 0


def _batch_accuracy(loss_name: str, outputs: list[Output], labels: list[Label]) -> float:
    if loss_name not in CLASS_LOSSES:
        return math.nan
    right = sum(
        _predicted_class(loss_name, output) == label for output, label in zip(outputs, labels)
    )
    return right / len(labels)


def _postfix(history: History) -> dict[str, str]:
    """The numbers shown at the end of the progress bar."""
    shown = {"loss": f"{history.loss[-1]:.4f}"}
    if not math.isnan(history.accuracy[-1]):
        shown["accuracy"] = f"{history.accuracy[-1]:.2f}"
    return shown
