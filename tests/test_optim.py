"""Optimizers and schedules against their formulas and against torch.optim."""

from __future__ import annotations

import functools
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value
from nn import MLP, SGD, Adam, LinearDecay, mean_squared_error
from nn.optim import Optimizer

# Gradients seen over five steps, per parameter (fixed, so the formulas can be written out).
GRADIENTS = [[0.5, -1.0], [0.25, 2.0], [-0.75, 0.0], [1.5, -0.5], [0.1, 0.3]]


def _run(optimizer_class: type, start: list[float], **options: object) -> list[float]:
    parameters = [Value(number) for number in start]
    optimizer = optimizer_class(parameters, **options)
    for grads in GRADIENTS:
        optimizer.zero_grad()
        for parameter, grad in zip(parameters, grads):
            parameter.grad += grad
        optimizer.step()
    return [p.data for p in parameters]


def test_sgd_formula() -> None:
    result = _run(SGD, [1.0, -1.0], lr=0.1)
    expected = [1.0 - 0.1 * sum(g[0] for g in GRADIENTS), -1.0 - 0.1 * sum(g[1] for g in GRADIENTS)]
    assert result == pytest.approx(expected, rel=1e-15)


def test_sgd_momentum_formula() -> None:
    momentum, lr = 0.9, 0.1
    expected = []
    for index, start in enumerate([1.0, -1.0]):
        p, velocity = start, 0.0
        for step, grads in enumerate(GRADIENTS):
            velocity = grads[index] if step == 0 else momentum * velocity + grads[index]
            p -= lr * velocity
        expected.append(p)
    assert _run(SGD, [1.0, -1.0], lr=lr, momentum=momentum) == pytest.approx(expected, rel=1e-15)


def test_adam_formula() -> None:
    lr, beta1, beta2, eps = 0.01, 0.8, 0.99, 1e-6
    expected = []
    for index, start in enumerate([1.0, -1.0]):
        p, m, v = start, 0.0, 0.0
        for t, grads in enumerate(GRADIENTS, start=1):
            g = grads[index]
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            p -= lr * (m / (1 - beta1**t)) / (math.sqrt(v / (1 - beta2**t)) + eps)
        expected.append(p)
    result = _run(Adam, [1.0, -1.0], lr=lr, betas=(beta1, beta2), eps=eps)
    assert result == pytest.approx(expected, rel=1e-14)


@settings(max_examples=25)
@given(
    lr=st.floats(1e-4, 1.0),
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    betas=st.tuples(st.floats(0.0, 0.99), st.floats(0.5, 0.9999)),
)
def test_optimizers_match_torch_optim(lr: float, momentum: float, betas: tuple[float, float]) -> None:
    torch = pytest.importorskip("torch")
    start = [1.0, -1.0]
    for ours, theirs in [
        (_run(SGD, start, lr=lr, momentum=momentum), (torch.optim.SGD, dict(lr=lr, momentum=momentum))),
        (_run(Adam, start, lr=lr, betas=betas), (torch.optim.Adam, dict(lr=lr, betas=betas))),
    ]:
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]
        optimizer_class, options = theirs
        optimizer = optimizer_class(tensors, **options)
        for grads in GRADIENTS:
            optimizer.zero_grad()
            for tensor, grad in zip(tensors, grads):
                tensor.grad = torch.tensor(grad, dtype=torch.float64)
            optimizer.step()
        assert ours == pytest.approx([t.item() for t in tensors], rel=1e-12, abs=1e-14)


def test_linear_decay_is_micrograds_schedule() -> None:
    optimizer = SGD([Value(0.0)], lr=123.0)
    schedule = LinearDecay(optimizer, start=1.0, end=0.1, steps=100)
    assert optimizer.lr == 1.0
    seen = []
    for _ in range(100):
        seen.append(optimizer.lr)
        optimizer.step()
        schedule.step()
    assert seen == [1.0 - 0.9 * k / 100 for k in range(100)]
    assert optimizer.lr == 0.1
    schedule.step()
    assert optimizer.lr == 0.1  # stays at the end


def test_training_loop_lowers_the_loss() -> None:
    model = MLP(1, [8, 1], activation="tanh", seed=0)
    optimizer = Adam(model.parameters(), lr=0.05)
    xs = [-1.0, -0.5, 0.0, 0.5, 1.0]
    losses = []
    for _ in range(40):
        loss = mean_squared_error([model([x]) for x in xs], [x * x for x in xs])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    assert losses[-1] < 0.25 * losses[0]


def test_zero_grad_resets_only_its_parameters() -> None:
    a, b = Value(1.0), Value(2.0)
    a.grad, b.grad = 3.0, 4.0
    SGD([a], lr=0.1).zero_grad()
    assert (a.grad, b.grad) == (0.0, 4.0)


def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="no parameters"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="not a single Value"):
        SGD(Value(1.0), lr=0.1)
    with pytest.raises(TypeError, match="needs Values"):
        SGD([1.0], lr=0.1)
    with pytest.raises(TypeError, match=r"call it: model.parameters\(\)"):
        SGD(MLP(2, [1], seed=0).parameters, lr=0.1)  # forgot the brackets
    with pytest.raises(TypeError, match=r"not the model MLP itself; pass model.parameters\(\)$"):
        SGD(MLP(2, [1], seed=0), lr=0.1)
    with pytest.raises(ValueError, match="lr must be .*>= 0, not -0.1.*learning rate"):
        SGD([Value(1.0)], lr=-0.1)
    with pytest.raises(ValueError, match=r"momentum must be .*>= 0 and < 1, not 1.0"):
        SGD([Value(1.0)], lr=0.1, momentum=1.0)
    with pytest.raises(TypeError, match="betas must be a pair"):
        Adam([Value(1.0)], betas=0.9)
    with pytest.raises(ValueError, match="steps must be a whole number >= 1, not 0"):
        LinearDecay(SGD([Value(1.0)], lr=0.1), 1.0, 0.1, 0)
    assert repr(SGD([Value(1.0)], lr=0.5, momentum=0.9)) == "SGD(1 parameters, lr=0.5, momentum=0.9)"


# ------------------------------------------- what the checks refuse and say (found by mutation testing)


def test_adam_defaults_are_pytorchs() -> None:
    adam = Adam([Value(1.0)])
    assert (adam.lr, adam.beta1, adam.beta2, adam.eps) == (1e-3, 0.9, 0.999, 1e-8)


@pytest.mark.parametrize(
    "options, words",
    [
        ({"betas": (-0.1, 0.999)}, r"betas\[0\] must be a finite number >= 0 and < 1, not -0\.1$"),
        ({"betas": (1.0, 0.999)}, r"betas\[0\] must be .* < 1, not 1\.0$"),
        ({"betas": (0.9, -0.1)}, r"betas\[1\] must be a finite number >= 0 and < 1, not -0\.1$"),
        ({"betas": (0.9, 1.0)}, r"betas\[1\] must be .* < 1, not 1\.0$"),
        ({"eps": -1e-8}, r"^eps must be a finite number >= 0, not -1e-08$"),
    ],
)
def test_adam_refuses_betas_outside_0_to_1_and_a_negative_eps(
    options: dict[str, object], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        Adam([Value(1.0)], **options)


def test_adam_takes_the_edges_of_its_ranges() -> None:
    adam = Adam([Value(1.0)], betas=(0.0, 0.0), eps=0.0)
    assert (adam.beta1, adam.beta2, adam.eps) == (0.0, 0.0, 0.0)


def test_linear_decay_checks_its_rates_and_its_optimizer() -> None:
    optimizer = SGD([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match=r"^start must be a finite number >= 0, not -1\.0$"):
        LinearDecay(optimizer, start=-1.0, end=0.1, steps=3)
    with pytest.raises(ValueError, match=r"^end must be a finite number >= 0, not -1\.0$"):
        LinearDecay(optimizer, start=1.0, end=-1.0, steps=3)
    with pytest.raises(TypeError, match=r"LinearDecay needs an optimizer such as SGD\(\.\.\.\), "
                       "not list$"):
        LinearDecay([Value(1.0)], start=1.0, end=0.1, steps=3)
    schedule = LinearDecay(optimizer, start=0.5, end=0.0, steps=2)  # rates may start below 1
    assert (schedule.start, schedule.end, optimizer.lr) == (0.5, 0.0, 0.5)


def test_optimizer_messages_name_the_mistake_and_the_fix() -> None:
    model = MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match=r"^an optimizer takes a list of parameters, but got the "
                       r"function 'parameters' itself; call it: model\.parameters\(\) "
                       r"\(with the brackets\)$"):
        SGD(model.parameters, lr=0.1)
    with pytest.raises(TypeError, match=r"^an optimizer takes a list of parameters, such as "
                       r"model\.parameters\(\), not a single Value; wrap it in a list$"):
        SGD(Value(1.0), lr=0.1)
    with pytest.raises(ValueError, match=r"^the optimizer got no parameters; "
                       r"pass model\.parameters\(\)$"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"needs Values \(model\.parameters\(\)\), not \[1\.0\]$"):
        SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match=r", not -0\.1; the learning rate$"):
        SGD([Value(1.0)], lr=-0.1)
    with pytest.raises(TypeError, match=r"betas must be a pair .*, not 0\.9$"):
        Adam([Value(1.0)], betas=0.9)


def test_an_optimizer_without_a_step_says_it_must_define_one() -> None:
    class Unfinished(Optimizer):
        pass

    with pytest.raises(NotImplementedError, match=r"^Unfinished must define step\(\)$"):
        Unfinished([Value(1.0)], lr=0.1).step()


def test_a_callable_without_a_name_is_shown_as_it_is() -> None:
    forgot_to_call = functools.partial(MLP(2, [1], seed=0).parameters)  # has no __name__
    with pytest.raises(TypeError, match=re.escape(f"the function {forgot_to_call!r} itself")):
        SGD(forgot_to_call, lr=0.1)
