"""Optimizers: they change the parameters a little, against their gradients.

A training step is always the same five lines:

>>> from nn.layers import MLP
>>> from nn.losses import mean_squared_error
>>> model = MLP(1, [1], seed=0)
>>> optimizer = SGD(model.parameters(), lr=0.1)
>>> losses = []
>>> for step in range(3):
...     outputs = [model([x]) for x in (1.0, 2.0)]        # forward
...     loss = mean_squared_error(outputs, [2.0, 4.0])    # how wrong?
...     optimizer.zero_grad()    # gradients accumulate, so start from 0
...     loss.backward()          # fill in every parameter's grad
...     optimizer.step()         # move each parameter against its grad
...     losses.append(round(loss.data, 4))
>>> losses                       # going down
[4.2978, 0.4556, 0.0744]

A **learning-rate schedule** changes `optimizer.lr` as training goes on;
call its `step()` once per training step, after `optimizer.step()`.
"""

from __future__ import annotations

import math
from typing import Iterable

from engine import Value
from nn.checks import check_count, check_number, shown


class Optimizer:
    """What every optimizer shares: the parameters, the learning rate `lr`,
    `zero_grad()`, and a `step()` that each optimizer writes."""

    def __init__(self, parameters: Iterable[Value], lr: float) -> None:
        if callable(getattr(parameters, "parameters", None)):  # a Module
            raise TypeError(
                f"an optimizer takes a list of parameters, not the model "
                f"{type(parameters).__name__} itself; pass model.parameters()"
            )
        if callable(parameters):
            raise TypeError(
                "an optimizer takes a list of parameters, but got the function "
                f"{getattr(parameters, '__name__', parameters)!r} itself; "
                "call it: model.parameters() (with the brackets)"
            )
        if isinstance(parameters, Value):
            raise TypeError(
                "an optimizer takes a list of parameters, such as model.parameters(), "
                "not a single Value; wrap it in a list"
            )
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError("the optimizer got no parameters; pass model.parameters()")
        if not all(isinstance(parameter, Value) for parameter in self.parameters):
            raise TypeError(
                f"an optimizer needs Values (model.parameters()), not {shown(self.parameters)}"
            )
        self.lr = check_number("lr", lr, at_least=0.0, hint="the learning rate")

    def zero_grad(self) -> None:
        """Set every parameter's `grad` to 0.0, before the next `backward()`."""
        for parameter in self.parameters:
            parameter.grad = 0.0

    def step(self) -> None:
        """Change each parameter once, using its `grad`."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.parameters)} parameters, lr={self.lr!r})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (as in torch.optim.SGD).

    Without momentum, each step moves every parameter p by

        p = p - lr * grad

    With momentum, a velocity v (0 at the start) remembers past gradients:

        v = momentum * v + grad        (v = grad on the first step)
        p = p - lr * v

    >>> p = Value(1.0)
    >>> p.grad = 0.5
    >>> SGD([p], lr=0.1).step()
    >>> p.data
    0.95
    """

    def __init__(self, parameters: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        super().__init__(parameters, lr)
        self.momentum = check_number("momentum", momentum, at_least=0.0, below=1.0)
        self.velocities = [0.0] * len(self.parameters)
        self.steps_taken = 0

    def step(self) -> None:
        """One update of every parameter (see the class docstring for the formula)."""
        first = self.steps_taken == 0
        for index, parameter in enumerate(self.parameters):
            if self.momentum == 0.0:
                parameter.data -= self.lr * parameter.grad
                continue
            if first:
                velocity = parameter.grad
            else:
                velocity = self.momentum * self.velocities[index] + parameter.grad
            self.velocities[index] = velocity
            parameter.data -= self.lr * velocity
        self.steps_taken += 1

    def __repr__(self) -> str:
        text = super().__repr__()
        if self.momentum:
            text = text[:-1] + f", momentum={self.momentum!r})"
        return text


class Adam(Optimizer):
    """Adam: a step size per parameter from running means of grad and grad**2.

    With t the step number (1, 2, ...), for each parameter p:

        m = beta1 * m + (1 - beta1) * grad           (mean of the gradient)
        v = beta2 * v + (1 - beta2) * grad**2        (mean of its square)
        m_hat = m / (1 - beta1**t)                   (m and v start at 0:
        v_hat = v / (1 - beta2**t)                    correct for that)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    >>> p = Value(1.0)
    >>> p.grad = 0.5
    >>> Adam([p], lr=0.1).step()     # the first step moves by about lr
    >>> round(p.data, 6)
    0.9
    """

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(parameters, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(
                f"betas must be a pair (beta1, beta2) such as (0.9, 0.999), not {shown(betas)}"
            )
        self.beta1 = check_number("betas[0]", betas[0], at_least=0.0, below=1.0)
        self.beta2 = check_number("betas[1]", betas[1], at_least=0.0, below=1.0)
        self.eps = check_number("eps", eps, at_least=0.0)
        self.means = [0.0] * len(self.parameters)
        self.mean_squares = [0.0] * len(self.parameters)
        self.steps_taken = 0

    def step(self) -> None:
        """One update of every parameter (see the class docstring for the formula)."""
        self.steps_taken += 1
        t = self.steps_taken
        correction1 = 1.0 - self.beta1**t
        correction2 = 1.0 - self.beta2**t
        for index, parameter in enumerate(self.parameters):
            grad = parameter.grad
            mean = self.beta1 * self.means[index] + (1.0 - self.beta1) * grad
            mean_square = self.beta2 * self.mean_squares[index] + (1.0 - self.beta2) * grad * grad
            self.means[index] = mean
            self.mean_squares[index] = mean_square
            mean_hat = mean / correction1
            mean_square_hat = mean_square / correction2
            parameter.data -= self.lr * mean_hat / (math.sqrt(mean_square_hat) + self.eps)


class LinearDecay:
    """Change the learning rate in a straight line from `start` to `end` over `steps` steps.

    At step k (0 at the start) the rate is

        lr = start - (start - end) * k / steps       (for k < steps; then end)

    so `LinearDecay(optimizer, start=1.0, end=0.1, steps=100)` is micrograd's
    `lr = 1.0 - 0.9 * k / 100`. It sets `optimizer.lr = start` at once; call
    `step()` after each `optimizer.step()`. After `steps` steps it stays at `end`.

    >>> optimizer = SGD([Value(0.0)], lr=1.0)
    >>> schedule = LinearDecay(optimizer, start=1.0, end=0.1, steps=100)
    >>> schedule.step()
    >>> optimizer.lr
    0.991
    >>> schedule.learning_rate(100)
    0.1
    """

    def __init__(self, optimizer: Optimizer, start: float, end: float, steps: int) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"LinearDecay needs an optimizer such as SGD(...), not {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.start = check_number("start", start, at_least=0.0)
        self.end = check_number("end", end, at_least=0.0)
        self.steps = check_count("steps", steps)
        self.steps_taken = 0
        optimizer.lr = self.start

    def learning_rate(self, step: int) -> float:
        """The learning rate at step `step` (the formula in the class docstring)."""
        if step >= self.steps:
            return self.end
        return self.start - (self.start - self.end) * step / self.steps

    def step(self) -> None:
        """Count one training step and set the optimizer's `lr` for the next one."""
        self.steps_taken += 1
        self.optimizer.lr = self.learning_rate(self.steps_taken)

    def __repr__(self) -> str:
        return f"LinearDecay(start={self.start!r}, end={self.end!r}, steps={self.steps})"
