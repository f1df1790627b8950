"""Training benchmark: run by hand, prints figures measured in this one run.

    python tests/benchmarks/bench_training.py               # 3 rounds of 3 steps
    python tests/benchmarks/bench_training.py --rounds 5 --steps 5 --torch

It times one step of micrograd's classic moons demo: a 2-16-16-1 ReLU MLP on
100 points, hinge loss plus 1e-4 L2 penalty, forward + backward + SGD update:

- with micrograd 0.1.0 itself (`pip install micrograd==0.1.0`, for this
  benchmark only), starting from the same weights,
- with stepgrad's fine-grained graph (one node per + and *, as micrograd),
- with fused neurons (one "w·x+b" node per neuron),
- compiled: the fine model as straight-line code on plain floats
  (`nn.train.CompiledModel`, built on `engine.unroll`), with the same loss
  (a small graph over the 100 scores and the L2 penalty),
- with `--torch`: PyTorch, one 0-d float64 tensor per scalar (requires_grad),
  the graph built by the same Python loops.
- with `--floor`: the fused graph again, node for node, built by one function
  with every call written out in place (no Module, no method calls, the
  nodes' slots set by hand). Not code to copy: it shows how fast this graph
  can be built at all in Python, so how much of the fused step is the
  readable code around it.

Each variant runs in a fresh Python process (so each is timed without the
others loaded, as a student would run it, and each process's garbage
collector sees only its own objects): one warm-up step, then timed steps.
The variants take turns, round by round, so a busy machine slows them alike.
Every variant's timed step does the same work: it makes the input Values (or
tensors) from the plain numbers of the points, runs the forward pass, the
loss, backward and the update. Ratios use the medians. Each step is timed in
CPU time of its own process (`time.process_time`), which other programs on a
busy machine disturb far less than wall-clock time (`--wall` times
wall-clock instead); the output's first line says which.
The garbage collector stays at Python's defaults; nothing global is changed.
Targets (issue 9): fine >= 15x faster than micrograd, fused >= 75x;
(issue 20): compiled >= 300x (2026-12-04, one run of 3 rounds: micrograd
1487 ms, compiled 3.1 ms, 481x).

The loss is nn's own `hinge_loss` + `l2_penalty`, built of the same kind of
nodes as micrograd's (relu(1 - y*s) per point, a sum and a product for the
mean, p*p per parameter), so the fine graph is the same graph micrograd
builds.

The figures are only those this run prints: they move with the machine and
its load. Past measurements, and where a step's time goes, are in
tests/benchmarks/NOTES.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine import Value, topological_order  # noqa: E402
from nn import MLP, SGD, hinge_loss, l2_penalty  # noqa: E402
from nn.data import moons, signed_labels  # noqa: E402
from nn.train import CompiledModel  # noqa: E402

SIZES = [2, 16, 16, 1]
ALPHA = 1e-4
LEARNING_RATE = 0.1


def moons_data(n: int = 100) -> tuple[list[list[float]], list[int]]:
    """The classic demo's data: 100 moons points with labels -1/+1."""
    points, labels = moons(n=n, noise=0.1, seed=0)
    return [list(p) for p in points], signed_labels(labels)


def stepgrad_step(fused: bool, points: list[list[float]], labels: list[int]) -> Callable[[], float]:
    model = MLP(2, SIZES[1:], seed=0, fused=fused)
    return training_step(model, model, points, labels)


def training_step(
    forward: Callable[[list[float]], Any], model: MLP, points: list[list[float]], labels: list[int]
) -> Callable[[], float]:
    """One step of the demo: `forward` on every point, the loss, backward()
    and an SGD update of `model`'s parameters."""
    optimizer = SGD(model.parameters(), lr=LEARNING_RATE)

    def step() -> float:
        scores = [forward(point) for point in points]
        loss = hinge_loss(scores, labels) + l2_penalty(model.parameters(), ALPHA)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.data

    return step


def compiled_step(
    points: list[list[float]], labels: list[int], compiled: CompiledModel | None = None
) -> Callable[[], float]:
    """The demo's step with the model compiled: the loop of `CompiledModel`.

    `compiled` is the demo's model, compiled (made here when not given).
    """
    if compiled is None:
        compiled = CompiledModel(MLP(2, SIZES[1:], seed=0))
    parameters = compiled.model.parameters()
    optimizer = SGD(parameters, lr=LEARNING_RATE)

    def step() -> float:
        scores = compiled.forward(points)
        loss = hinge_loss(scores, labels) + l2_penalty(parameters, ALPHA)
        optimizer.zero_grad()
        loss.backward()
        compiled.backward()
        optimizer.step()
        return loss.data

    return step


def floor_step(points: list[list[float]], labels: list[int]) -> Callable[[], float]:
    """The fused network's step with its forward pass written out in place:
    the same nodes (children, local derivatives, scopes) as `MLP(...,
    fused=True)` makes, checked below, with none of the calls around them."""
    model = MLP(2, SIZES[1:], seed=0, fused=True)
    layers = [
        (
            [
                (neuron.w, neuron.b, tuple(neuron.w), (f"layers.{i}", f"neurons.{j}"))
                for j, neuron in enumerate(layer.neurons)
            ],
            layer.activation == "relu",
        )
        for i, layer in enumerate(model.layers)
    ]
    new = object.__new__

    def forward(point: list[float]) -> Value:
        values = [Value(x) for x in point]
        for neurons, relu in layers:
            numbers = [value.data for value in values]
            computed = tuple([value for value in values if value._a is not None])
            outputs = []
            for w, b, w_tuple, path in neurons:
                weights = [weight.data for weight in w]
                total = b.data
                for weight, x in zip(weights, numbers):
                    total += weight * x
                node = new(Value)
                node.data, node.grad, node.label, node.op = total, 0.0, "", "w·x+b"
                node.scope = path
                node._a, node._b = (*w_tuple, *values, b), None
                node._da, node._db = (*numbers, *weights, 1.0), computed
                if relu:
                    on = total > 0.0
                    out = new(Value)
                    out.data, out.grad, out.label, out.op = total if on else 0.0, 0.0, "", "relu"
                    out.scope, out._a, out._b, out._da, out._db = path, node, None, float(on), None
                    node = out
                outputs.append(node)
            values = outputs
        return values[0]

    # The same graph as the fused network's: node for node, bit for bit, with
    # the same parameters (the leaves that have labels) as children.
    ours, theirs = forward(points[0]), model(points[0])
    assert isinstance(theirs, Value)
    assert len(topological_order(ours)) == len(topological_order(theirs))
    for mine, made in zip(topological_order(ours), topological_order(theirs)):
        assert (mine.data, mine.op, mine.scope, mine.local_grads) == (
            made.data, made.op, made.scope, made.local_grads
        )
        assert [id(c) for c in mine.children if c.is_leaf and c.label] == [
            id(c) for c in made.children if c.is_leaf and c.label
        ]
    return training_step(forward, model, points, labels)


def micrograd_step(points: list[list[float]], labels: list[int]) -> Callable[[], float]:
    """micrograd's own demo step, from stepgrad's starting weights."""
    from micrograd.engine import Value as MicroValue
    from micrograd.nn import MLP as MicroMLP

    model = MLP(2, SIZES[1:], seed=0)  # the same starting weights
    micro = MicroMLP(2, SIZES[1:])
    for ours, theirs in zip(model.parameters(), micro.parameters()):
        theirs.data = ours.data
    def step() -> float:  # as in micrograd's demo notebook
        inputs = [[MicroValue(x) for x in point] for point in points]
        scores = [micro(x) for x in inputs]
        losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        loss = data_loss + ALPHA * sum(p * p for p in micro.parameters())
        micro.zero_grad()
        loss.backward()
        for p in micro.parameters():
            p.data -= LEARNING_RATE * p.grad
        return float(loss.data)

    return step


def torch_step(torch: Any, points: list[list[float]], labels: list[int]) -> Callable[[], float]:
    """The same program with one 0-d float64 tensor per scalar."""
    model = MLP(2, SIZES[1:], seed=0)  # the same starting weights
    layers = []
    for layer in model.layers:
        neurons = []
        for neuron in layer.neurons:
            weights = [
                torch.tensor(w.data, dtype=torch.float64, requires_grad=True) for w in neuron.w
            ]
            bias = torch.tensor(neuron.b.data, dtype=torch.float64, requires_grad=True)
            neurons.append((weights, bias))
        layers.append((neurons, layer.activation))
    parameters = [p for neurons, _ in layers for weights, bias in neurons for p in (*weights, bias)]

    def forward(x: list[Any]) -> Any:
        for neurons, activation in layers:
            outputs = []
            for weights, bias in neurons:
                total = bias
                for w, xi in zip(weights, x):
                    total = total + w * xi
                outputs.append(total.relu() if activation == "relu" else total)
            x = outputs
        return x[0]

    def step() -> float:
        # the inputs made inside the step, as the other variants make their Values
        inputs = [[torch.tensor(x, dtype=torch.float64) for x in point] for point in points]
        scores = [forward(x) for x in inputs]
        losses = [(1 - y * s).relu() for s, y in zip(scores, labels)]
        loss = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in parameters)
        for p in parameters:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in parameters:
                p -= LEARNING_RATE * p.grad
        return float(loss.item())

    return step


VARIANTS = {
    "micrograd": "micrograd 0.1.0",
    "fine": "stepgrad fine",
    "fused": "stepgrad fused",
    "compiled": "stepgrad compiled",
    "torch": "PyTorch, one 0-d tensor per scalar",
    "floor": "fused graph, calls inlined",
}


def run_variant(variant: str, steps: int, wall: bool) -> None:
    """In this (fresh) process: one warm-up step, then `steps` timed steps,
    printed as JSON on the last line for the parent process."""
    points, labels = moons_data()
    if variant == "torch":
        import torch

        step = torch_step(torch, points, labels)
    elif variant == "micrograd":
        step = micrograd_step(points, labels)
    elif variant == "floor":
        step = floor_step(points, labels)
    elif variant == "compiled":
        step = compiled_step(points, labels)
    else:
        step = stepgrad_step(variant == "fused", points, labels)
    first_loss = step()
    clock = time.perf_counter if wall else time.process_time
    times = []
    for _ in range(steps):
        start = clock()
        step()
        times.append(clock() - start)
    print(json.dumps({"first_loss": first_loss, "times": times}))


def measure(variant: str, steps: int, wall: bool) -> dict[str, Any] | None:
    """Run one variant in a fresh Python process; None if it could not run."""
    command = [sys.executable, __file__, "--variant", variant, "--steps", str(steps)]
    command += ["--wall"] if wall else []
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        print(f"{VARIANTS[variant]}: failed\n{finished.stderr.strip().splitlines()[-1]}")
        return None
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="timed steps per variant and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of fresh processes")
    parser.add_argument("--torch", action="store_true", help="also time the PyTorch baseline")
    parser.add_argument(
        "--floor", action="store_true", help="also time the fused graph with every call inlined"
    )
    parser.add_argument(
        "--wall", action="store_true", help="time wall-clock instead of this process's CPU time"
    )
    parser.add_argument("--variant", choices=list(VARIANTS), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.variant:
        run_variant(arguments.variant, arguments.steps, arguments.wall)
        return

    variants = ["micrograd", "fine", "fused", "compiled"] + (["torch"] if arguments.torch else [])
    variants += ["floor"] if arguments.floor else []
    times: dict[str, list[float]] = {variant: [] for variant in variants}
    first_losses: dict[str, float] = {}
    clock = "wall-clock time (time.perf_counter)" if arguments.wall else (
        "CPU time of each variant's own process (time.process_time)"
    )
    print(f"timing: {clock};\n  {arguments.rounds} rounds of a fresh process per variant, "
          f"each 1 warm-up step then {arguments.steps} timed steps\n", flush=True)
    for _ in range(arguments.rounds):  # the variants take turns, round by round
        for variant in variants:
            result = measure(variant, arguments.steps, arguments.wall)
            if result is not None:
                times[variant].extend(result["times"])
                first_losses[variant] = result["first_loss"]
    print(f"{'':<36}{'median':>10}{'min':>10}   first loss (the same model, so the same)")
    for variant in variants:
        if times[variant]:
            median, fastest = statistics.median(times[variant]), min(times[variant])
            print(
                f"{VARIANTS[variant]:<36}{median * 1000:7.1f} ms{fastest * 1000:7.1f} ms"
                f"   {first_losses[variant]:.12f}"
            )
    print()
    for baseline, targets in (("micrograd", {"fine": 15, "fused": 75, "compiled": 300}), ("torch", {})):
        if not times.get(baseline):
            continue
        reference = statistics.median(times[baseline])
        for variant in ("fine", "fused", "compiled", "floor"):
            if not times.get(variant):
                continue
            ratio = reference / statistics.median(times[variant])
            target = targets.get(variant)
            verdict = "" if target is None else (
                f"; {'meets' if ratio >= target else 'MISSES'} the {target}x target"
            )
            print(
                f"{VARIANTS[variant]:<16} is {ratio:6.2f}x faster than "
                f"{VARIANTS[baseline]} (medians{verdict})"
            )


if __name__ == "__main__":
    main()
