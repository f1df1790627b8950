"""Tests for nn/train.py: fit, History, progress, callbacks, and two real trainings."""

import math
import sys

import pytest

from engine import Value
from nn.data import load_iris, moons, signed_labels, standardize, train_test_split, xor
from nn.layers import MLP
from nn.module import Module
from nn.optim import SGD, Adam, LinearDecay
from nn.train import History, Snapshots, TrainingDiverged, accuracy, fit, predict

X_SMALL, Y_SMALL = moons(n=20, seed=0)
Y_SIGNED = signed_labels(Y_SMALL)


def small_model(seed: int = 0, outputs: int = 1) -> MLP:
    return MLP(2, [4, outputs], seed=seed)


# ---------------------------------------------------------------------- the two classics


def test_classic_moons_demo_reaches_full_training_accuracy() -> None:
    """micrograd's demo: 2-16-16-1, hinge + 1e-4 L2, SGD with lr 1.0 -> 0.1 over 100 steps."""
    X, y = moons(n=100, noise=0.1, seed=0)
    y = signed_labels(y)
    model = MLP(2, [16, 16, 1], seed=1, fused=True)  # fused: the same maths, fewer nodes
    optimizer = SGD(model.parameters(), lr=1.0)
    schedule = LinearDecay(optimizer, start=1.0, end=0.1, steps=100)
    history = fit(
        model, X, y, loss="hinge", optimizer=optimizer, schedule=schedule,
        steps=100, l2=1e-4, progress=False,
    )
    assert accuracy(model, X, y, loss="hinge") == 1.0
    assert history.loss[-1] < history.loss[0] / 10
    assert history.learning_rate[0] == 1.0 and math.isclose(history.learning_rate[-1], 0.109)


def test_mlp_reaches_95_percent_test_accuracy_on_iris() -> None:
    X, y, _, classes = load_iris()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.25, seed=0)
    X_train, scaling = standardize(X_train)
    X_test = scaling.apply(X_test)
    model = MLP(4, [8, len(classes)], seed=0, fused=True)
    fit(
        model, X_train, y_train, loss="cross_entropy",
        optimizer=Adam(model.parameters(), lr=0.05), steps=60, progress=False,
    )
    assert accuracy(model, X_test, y_test, loss="cross_entropy") >= 0.95


# ---------------------------------------------------------------------- fit and History


def test_fit_is_deterministic_given_a_seed() -> None:
    def run(seed: int) -> History:
        model = small_model()
        return fit(model, X_SMALL, Y_SIGNED, steps=8, batch_size=5, seed=seed, progress=False)

    first, again, other = run(3), run(3), run(4)
    assert first == again
    assert first.loss != other.loss


def test_history_records_every_step_and_has_a_short_repr() -> None:
    history = fit(small_model(), X_SMALL, Y_SIGNED, steps=5, progress=False)
    assert history.steps == len(history.loss) == len(history.accuracy) == 5
    assert history.learning_rate == [0.1] * 5  # the default SGD
    assert all(0.0 <= a <= 1.0 for a in history.accuracy)
    assert repr(history) == (
        f"History(steps=5, loss={history.loss[-1]:.4f}, accuracy={history.accuracy[-1]:.2f})"
    )
    assert repr(History()) == "History(steps=0)"


def test_loss_with_l2_is_the_data_loss_plus_the_penalty() -> None:
    plain = fit(small_model(), X_SMALL, Y_SIGNED, steps=1, progress=False)
    model = small_model()
    penalty = 0.5 * sum(p.data ** 2 for p in model.parameters())
    with_l2 = fit(model, X_SMALL, Y_SIGNED, steps=1, l2=0.5, progress=False)
    assert math.isclose(with_l2.loss[0], plain.loss[0] + penalty)


def hand_set_model(neurons: list[tuple[float, float]]) -> MLP:
    """A 1-input model with no hidden layer whose output k is w * x + b, with
    (w, b) = neurons[k]: its outputs, and so its classes, are known by hand."""
    model = MLP(1, [len(neurons)], seed=0)
    parameters = dict(model.named_parameters())
    for k, (weight, bias) in enumerate(neurons):
        parameters[f"layers.0.neurons.{k}.w.0"].data = weight
        parameters[f"layers.0.neurons.{k}.b"].data = bias
    return model


# One score, equal to x: positive for the last three rows, zero nowhere.
X_LINE = [[-2.0], [-0.5], [0.3], [0.7], [2.0]]
# Three scores x, -x and 0.5: class 1 wins at -2, class 2 at 0.3, class 0 at 2.
X_THREE = [[-2.0], [0.3], [2.0]]
THREE_SCORES = [(1.0, 0.0), (-1.0, 0.0), (0.0, 0.5)]


def test_accuracy_rules_per_loss() -> None:
    """Each loss's rule counts right what the comments beside it say (accuracy is
    measured on each step's batch before its update, so step 0's is the
    hand-set model's)."""
    # bce: class 1 when the logit is > 0 (not when it is > 0.5, a probability's rule)
    bce = fit(hand_set_model([(1.0, 0.0)]), X_LINE, [0, 1, 1, 0, 1], loss="bce",
              steps=1, progress=False)
    assert bce.accuracy == [3 / 5]  # rows 1 (-0.5 -> 0), 2 and 4 right
    hinge = fit(hand_set_model([(1.0, 0.0)]), X_LINE, [-1, -1, -1, 1, 1], loss="hinge",
                steps=1, progress=False)
    assert hinge.accuracy == [4 / 5]  # all but row 2 (0.3 -> +1)
    classes = fit(hand_set_model(THREE_SCORES), X_THREE, [1, 2, 2], loss="cross_entropy",
                  steps=1, progress=False)
    assert classes.accuracy == [2 / 3]  # the largest output: 1, 2, 0
    targets = [float(x1) for x1, _ in X_SMALL]
    regression = fit(small_model(), X_SMALL, targets, loss="mse", steps=2, progress=False)
    assert math.isnan(regression.accuracy[0]) and repr(regression).endswith(f"{regression.loss[-1]:.4f})")


def test_fit_takes_a_loss_function_of_your_own() -> None:
    def mean_absolute_error(outputs: list[Value], labels: list[float]) -> Value:
        return sum(((o - t) ** 2) ** 0.5 for o, t in zip(outputs, labels)) / len(labels)

    history = fit(small_model(), X_SMALL, [1.0] * 20, loss=mean_absolute_error, steps=3,
                  progress=False)
    assert math.isnan(history.accuracy[0]) and history.steps == 3


def test_predict_and_accuracy_follow_each_loss_rule() -> None:
    """Classes read off outputs known by hand, not off another run of the same code."""
    line = hand_set_model([(1.0, 0.0)])  # output = x
    assert predict(line, X_LINE, loss="hinge") == [-1, -1, 1, 1, 1]
    assert predict(line, X_LINE, loss="bce") == [0, 0, 1, 1, 1]
    assert accuracy(line, X_LINE, [0, 1, 1, 0, 1], loss="bce") == 3 / 5
    assert accuracy(line, X_LINE, [-1, -1, 1, 1, 1], loss="hinge") == 1.0
    three = hand_set_model(THREE_SCORES)
    assert predict(three, X_THREE, loss="cross_entropy") == [1, 2, 0]
    assert accuracy(three, X_THREE, [1, 2, 2], loss="cross_entropy") == 2 / 3


# ---------------------------------------------------------------------- callback, progress


def test_callback_returning_true_stops_training() -> None:
    seen: list[int] = []

    def stop_after_four(step: int, history: History) -> bool:
        seen.append(step)
        return history.steps == 4

    history = fit(small_model(), X_SMALL, Y_SIGNED, steps=50, callback=stop_after_four,
                  progress=False)
    assert seen == [0, 1, 2, 3] and history.steps == 4 and history.stopped_early
    assert "stopped_early=True" in repr(history)


def test_callback_returning_any_true_value_stops_and_none_goes_on() -> None:
    history = fit(small_model(), X_SMALL, Y_SIGNED, steps=3, callback=lambda s, h: "stop",
                  progress=False)
    assert history.steps == 1 and history.stopped_early
    history = fit(small_model(), X_SMALL, Y_SIGNED, steps=3, callback=lambda s, h: None,
                  progress=False)
    assert history.steps == 3 and not history.stopped_early


def test_snapshots_keep_the_state_every_few_steps() -> None:
    model = small_model()
    before = model.state_dict()
    snapshots = Snapshots(model, every=5)
    fit(model, X_SMALL, Y_SIGNED, steps=10, callback=snapshots, progress=False)
    assert snapshots.updates == [0, 5, 10]
    assert snapshots.states[0] == before and snapshots.states[-1] == model.state_dict()
    assert snapshots.states[1] != before
    with pytest.raises(ValueError, match="every .*>= 1, not 0"):
        Snapshots(model, every=0)


def test_progress_bar_is_off_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    fit(small_model(), X_SMALL, Y_SIGNED, steps=2)  # progress=None: pytest's stderr is no TTY
    assert capsys.readouterr().err == ""
    fit(small_model(), X_SMALL, Y_SIGNED, steps=2, progress=True)
    err = capsys.readouterr().err
    assert "fit" in err and "2/2" in err and "loss=" in err
    fit(small_model(), X_SMALL, Y_SIGNED, steps=2, progress=False)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"loss": "hinge", "y": Y_SMALL}, ValueError, r"y\[\d+\] = 0, but the hinge loss.*signed_labels"),
        ({"loss": "bce", "y": Y_SIGNED}, ValueError, r"y\[\d+\] = -1, but loss='bce'"),
        ({"loss": "cross_entropy", "y": [0.5] * 20}, ValueError, r"y\[0\] = 0.5"),
        ({"loss": "squared"}, ValueError, "unknown loss 'squared'; choose one of 'hinge', 'mse'.*function"),
        ({"steps": 0}, ValueError, "steps .*>= 1, not 0"),
        ({"steps": 2.0}, TypeError, "steps must be a whole number.*2.0"),
        ({"batch_size": 21}, ValueError, "batch_size=21 is larger than the data"),
        ({"l2": -1.0}, ValueError, "l2 .*>= 0, not -1.0"),
        ({"y": Y_SIGNED[:3]}, ValueError, "X has 20 rows but y has 3"),
    ],
)
def test_fit_errors_name_the_problem(kwargs: dict, error: type, words: str) -> None:
    arguments = {"y": Y_SIGNED, "steps": 1, "progress": False, **kwargs}
    with pytest.raises(error, match=words):
        fit(small_model(), X_SMALL, **arguments)


def test_output_count_must_match_the_loss() -> None:
    with pytest.raises(ValueError, match="'hinge' needs a model with one output.* has 2"):
        fit(small_model(outputs=2), X_SMALL, Y_SIGNED, steps=1, progress=False)
    with pytest.raises(ValueError, match="cross_entropy needs .*one output per class"):
        predict(small_model(), X_SMALL, loss="cross_entropy")
    with pytest.raises(TypeError, match="fit\\(\\) trains an nn Module"):
        fit(lambda x: x, X_SMALL, Y_SIGNED)


def test_schedule_without_optimizer_uses_the_schedules_optimizer() -> None:
    model = small_model()
    optimizer = SGD(model.parameters(), lr=0.5)
    schedule = LinearDecay(optimizer, start=0.5, end=0.1, steps=4)
    history = fit(model, X_SMALL, Y_SIGNED, steps=4, schedule=schedule, progress=False)
    assert history.learning_rate == pytest.approx([0.5, 0.4, 0.3, 0.2])
    with pytest.raises(ValueError, match="different optimizer"):
        fit(model, X_SMALL, Y_SIGNED, steps=1, schedule=schedule,
            optimizer=SGD(model.parameters(), lr=0.1), progress=False)


def test_xor_is_learnt_by_a_hidden_layer() -> None:
    X, y = xor(n=40, seed=0)
    model = MLP(2, [8, 1], seed=0, fused=True)
    fit(model, X, y, loss="bce", optimizer=Adam(model.parameters(), lr=0.05), steps=80,
        progress=False)
    assert accuracy(model, X, y, loss="bce") >= 0.9


def test_progress_bar_shows_on_a_terminal() -> None:
    """progress=None shows the bar when stderr is a real terminal (a pseudo-terminal here)."""
    pexpect = pytest.importorskip("pexpect")
    script = (
        "from nn import MLP, fit; from nn.data import moons, signed_labels; "
        "X, y = moons(n=10, seed=0); "
        "fit(MLP(2, [3, 1], seed=0), X, signed_labels(y), steps=3); print('done')"
    )
    child = pexpect.spawn(sys.executable, ["-c", script], encoding="utf-8", timeout=60)
    child.expect("done")
    assert "fit: 100%" in child.before and "3/3" in child.before
    child.expect(pexpect.EOF)


def test_diverging_training_stops_with_the_step_and_a_smaller_learning_rate() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=1e150)
    with pytest.raises(TrainingDiverged, match=r"training diverged at step \d+: .*lr=1e\+149") as error:
        fit(model, X_SMALL, Y_SMALL, loss="mse", optimizer=optimizer, steps=30, progress=False)
    assert isinstance(error.value, FloatingPointError)
    assert error.value.history.steps >= 1  # the steps before it blew up are kept
    assert f"step {error.value.history.steps}:" in str(error.value)


def test_non_finite_parameter_is_named() -> None:
    class WildSGD(SGD):
        def step(self) -> None:
            super().step()
            self.parameters[-1].data = math.inf  # as an update that overflows would

    model = small_model()
    with pytest.raises(FloatingPointError, match=r"step 0: after the update layers.1.neurons.0.b = inf"):
        fit(model, X_SMALL, Y_SIGNED, optimizer=WildSGD(model.parameters(), lr=0.1), steps=3,
            progress=False)


def test_optimizer_of_another_model_is_refused() -> None:
    model, other = small_model(), small_model()
    with pytest.raises(ValueError, match="holds none of this model's parameters"):
        fit(model, X_SMALL, Y_SIGNED, optimizer=SGD(other.parameters(), lr=0.1), steps=1,
            progress=False)


def test_a_model_left_with_nan_by_a_diverged_run_is_named_before_training() -> None:
    model = small_model()
    model.layers[0].neurons[2].w[1].data = math.nan  # what a diverged run leaves behind
    with pytest.raises(FloatingPointError, match=r"holds layers.0.neurons.2.w.1 = nan .*new model"):
        fit(model, X_SMALL, Y_SIGNED, steps=1, progress=False)


def test_full_batch_fit_leaves_pythons_random_alone() -> None:
    import random

    random.seed(5)
    expected = random.random()
    random.seed(5)
    fit(small_model(), X_SMALL, Y_SIGNED, steps=2, progress=False)  # seed=None, full batch
    assert random.random() == expected


# ---------------------------------------------------------------------- every blow-up is TrainingDiverged


def exp_loss(outputs: list, labels: list) -> Value:
    """A loss of one's own whose exp() overflows once the outputs grow."""
    return sum(((output - label) ** 2).exp() for output, label in zip(outputs, labels)) / len(labels)


def test_a_diverging_cross_entropy_fit_raises_training_diverged_with_its_history() -> None:
    model = MLP(2, [8, 3], seed=0)
    X, y = X_SMALL, [i % 3 for i in range(20)]
    with pytest.raises(TrainingDiverged, match=r"step \d+: the model's output is -?(nan|inf)") as caught:
        fit(model, X, y, loss="cross_entropy", optimizer=SGD(model.parameters(), lr=1e200),
            steps=20, progress=False)
    assert caught.value.history.steps >= 1


@pytest.mark.parametrize("loss", ["hinge", "mse", "bce", "cross_entropy", exp_loss])
@pytest.mark.parametrize("lr", [1e3, 1e30, 1e100, 1e200, 1e300])
def test_every_blow_up_ends_in_training_diverged(loss: object, lr: float) -> None:
    outputs = 3 if loss == "cross_entropy" else 1
    y: list = Y_SMALL
    if loss == "hinge":
        y = Y_SIGNED
    elif loss == "cross_entropy":
        y = [i % 3 for i in range(20)]
    model = MLP(2, [4, outputs], seed=0)
    try:
        history = fit(model, X_SMALL, y, loss=loss, optimizer=SGD(model.parameters(), lr=lr),
                      steps=6, batch_size=5, seed=0, progress=False)
    except TrainingDiverged as error:
        assert error.history.steps < 6
        assert all(math.isfinite(number) for number in error.history.loss)
    else:
        assert all(math.isfinite(number) for number in history.loss)
        assert model.first_non_finite() is None


def test_an_overflowing_l2_penalty_is_training_diverged() -> None:
    with pytest.raises(TrainingDiverged, match="step 0: the loss is inf"):
        fit(small_model(), X_SMALL, Y_SIGNED, l2=1e308, steps=3, progress=False)


def test_inputs_too_large_blow_up_before_any_update_and_say_so() -> None:
    class Square(Module):
        def __init__(self) -> None:
            self.w = Value(1.0)

        def forward(self, x: list[float]) -> Value:
            return self.w * x[0] * x[0]

    X = [[1e200 * a, 0.0] for a, _ in X_SMALL]  # (1e200)**2 is inf
    with pytest.raises(TrainingDiverged, match="step 0: .*learning rate is not the cause.*standardize"):
        fit(Square(), X, Y_SMALL, loss="mse", steps=3, progress=False)


def test_a_cross_entropy_label_beyond_the_outputs_is_named_before_training() -> None:
    y = [i % 3 for i in range(20)]
    y[7] = 5
    with pytest.raises(ValueError, match="class 5, but the model has 3 outputs.*6 neurons"):
        fit(small_model(outputs=3), X_SMALL, y, loss="cross_entropy", steps=2, batch_size=2,
            seed=0, progress=False)


def test_a_run_whose_loss_ends_far_above_its_start_says_so() -> None:
    model = small_model()
    history = fit(model, X_SMALL, Y_SMALL, loss="mse", optimizer=SGD(model.parameters(), lr=1.5),
                  steps=12, progress=False)
    assert all(math.isfinite(number) for number in history.loss)
    assert history.loss[-1] > 10 * history.loss[0]
    assert history.loss_rose and "loss_rose=True" in repr(history)
    calm = fit(small_model(), X_SMALL, Y_SMALL, loss="mse", steps=12, progress=False)
    assert not calm.loss_rose and "loss_rose" not in repr(calm)
    assert not History().loss_rose


# ---------------------------------------------------------------------- compiled=True (issue 20)

from nn.data import circles, spiral  # noqa: E402
from nn.losses import hinge_loss  # noqa: E402
from nn.train import CompiledModel, check_compiled_step  # noqa: E402


def compiled_case(dataset: str, loss: str) -> tuple[list, list, list[int]]:
    """Rows, labels, and the layer sizes that suit `loss`."""
    make = {"moons": moons, "circles": circles, "spiral": spiral}[dataset]
    X, y = make(n=24, seed=1)
    classes = max(y) + 1
    if loss == "hinge":
        y = signed_labels(y) if classes == 2 else [1 if label else -1 for label in y]
    elif loss == "bce":
        y = [min(label, 1) for label in y]
    sizes = [6, classes] if loss == "cross_entropy" else [6, 1]
    return X, y, sizes


OPTIMIZERS = {
    "sgd": lambda p: SGD(p, lr=0.1),
    "momentum": lambda p: SGD(p, lr=0.05, momentum=0.9),
    "adam": lambda p: Adam(p, lr=0.01),
}


@pytest.mark.parametrize("dataset", ["moons", "circles", "spiral"])
@pytest.mark.parametrize("loss", ["hinge", "mse", "bce", "cross_entropy"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_compiled_training_equals_the_graph_engine(dataset: str, loss: str, optimizer: str) -> None:
    X, y, sizes = compiled_case(dataset, loss)
    runs = []
    for compiled in (False, True):
        activation = {"moons": "relu", "circles": "tanh", "spiral": "sigmoid"}[dataset]
        model = MLP(2, sizes, activation=activation, seed=3, fused=compiled and loss == "mse")
        chosen = OPTIMIZERS[optimizer](model.parameters())
        schedule = LinearDecay(chosen, 1.0, 0.5, 8) if optimizer == "sgd" else None
        history = fit(model, X, y, loss=loss, optimizer=chosen, schedule=schedule, steps=8,
                      batch_size=16, seed=5, l2=1e-3, progress=False, compiled=compiled)
        runs.append((model, history))
    (graph, graph_history), (code, code_history) = runs
    assert code_history.loss == pytest.approx(graph_history.loss, rel=1e-9)
    for p, q in zip(graph.parameters(), code.parameters()):
        assert q.data == pytest.approx(p.data, rel=1e-9, abs=1e-12)


def test_compiled_model_in_the_plain_loop_fills_the_graphs_grads() -> None:
    X, y = moons(n=10, seed=0)
    y = signed_labels(y)
    model = MLP(2, [4, 4, 1], seed=0)
    compiled = CompiledModel(model)
    loss = hinge_loss(compiled.forward(X), y)
    loss.backward()
    compiled.backward()
    mine = [p.grad for p in model.parameters()]
    model.zero_grad()
    hinge_loss([model(x) for x in X], y).backward()
    assert mine == pytest.approx([p.grad for p in model.parameters()], rel=1e-12)
    with pytest.raises(ValueError, match="forward"):
        compiled.backward()  # once per forward
    assert "def backprop(data, saved, seeds, grads):" in compiled.code()


class PythonIf(Module):
    """A model with a Python `if` on the data: the trace keeps one branch."""

    def __init__(self) -> None:
        self.w = Value(0.5, label="w")

    def forward(self, x: list) -> Value:
        v = x[0] * self.w
        return v * 3 if v.data > 0 else v * 0.5  # not a Value operation


def test_a_model_that_does_not_replay_is_refused_with_the_reason() -> None:
    X, y = [[1.0], [-1.0], [2.0]], [1, -1, 1]
    with pytest.raises(ValueError, match=r"w\.grad.*graph engine.*Python `if`.*compiled=False"):
        fit(PythonIf(), X, y, loss="mse", steps=2, progress=False, compiled=True)
    model = PythonIf()
    fit(model, X, y, loss="mse", steps=2, progress=False)  # the graph engine trains it


def test_a_model_with_an_operation_given_as_numbers_cannot_be_compiled() -> None:
    from engine.unroll import CannotUnroll
    from engine.value import from_op

    class Square(Module):
        def __init__(self) -> None:
            self.w = Value(0.5, label="w")

        def forward(self, x: list) -> Value:
            v = x[0] * self.w
            return from_op(v.data**2, "square", (v,), (2 * v.data,))

    with pytest.raises(CannotUnroll, match="cannot be compiled.*'square'"):
        fit(Square(), [[1.0]], [1.0], loss="mse", steps=1, progress=False, compiled=True)


def test_check_compiled_step_passes_on_agreeing_grads() -> None:
    X, y = moons(n=6, seed=0)
    model = MLP(2, [3, 1], seed=0)
    compiled = CompiledModel(model)
    hinge_loss(compiled.forward(X), signed_labels(y)).backward()
    compiled.backward()
    before = [p.grad for p in model.parameters()]
    check_compiled_step(model, X, signed_labels(y), hinge_loss)
    assert [p.grad for p in model.parameters()] == before
