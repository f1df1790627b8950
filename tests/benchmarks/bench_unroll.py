"""Unroll benchmark (issue 20): run by hand, prints figures measured in this one run.

    python tests/benchmarks/bench_unroll.py                 # 100k ops, 7 repeats
    python tests/benchmarks/bench_unroll.py --ops 20000     # quicker

It measures:

1. On bench_engine.py's random program of N operations (+, *, -, a constant
   times or plus, relu, tanh, sigmoid; every step uses the one before):
   - plain: the same operations written out as straight-line Python on
     plain floats (one line per operation, constants as literals): the
     forward pass alone, as a person would write it;
   - `unroll(root)()`: the readable unrolled function (forward, then the
     backward pass written out, one line per chain-rule update), called on
     the leaves' data, grads written back: what `code()` costs. The
     program's constants are written into it as numbers, as in plain (so
     its one leaf is the input x). And that function alone, on lists of the
     leaves' data and grads read once before the rounds (what `code()` adds
     to it is reading them from the leaves and writing the grads back);
   - the training form (`unroll_outputs`: the forward pass with values used
     once written inline, then the backward pass guarded and with copies of
     grads left out), forward + backward;
   - the time to unroll and compile the graph.
   Target: unrolled forward+backward <= 3x plain.
2. The moons model of bench_training.py (2-16-16-1 ReLU MLP, 100 points,
   hinge + 1e-4 L2): the time to trace, unroll and compile it (target
   < 0.5 s), and the memory of the compiled step (tracemalloc: the code
   objects, and the peak of one step). bench_training.py times the step
   itself against micrograd (target >= 300x).

Timings are CPU time of this process (`time.process_time`): the contenders
take turns for `--repeats` rounds, each round starting with the next one,
and each ratio is the median of the rounds' ratios (the moons step: the
median of its runs). The garbage collector stays at Python's defaults and
nothing global is changed.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import make_program, run_program  # noqa: E402
from bench_training import SIZES, compiled_step, moons_data  # noqa: E402

from engine import Value, unroll  # noqa: E402
from engine.unroll import unroll_outputs  # noqa: E402
from nn import MLP  # noqa: E402
from nn.train import CompiledModel  # noqa: E402

clock = time.process_time


def median_time(repeats: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = clock()
        run()
        times.append(clock() - start)
    return statistics.median(times)


def plain_source(program: list[tuple[str, int, float]]) -> str:
    """The program as straight-line float code: one line per operation."""
    lines = [
        "import math",
        "def sigmoid(a):",
        "    if a >= 0.0:",
        "        return 1.0 / (1.0 + math.exp(-a))",
        "    e = math.exp(a)",
        "    return e / (1.0 + e)",
        "def run(v0):",
    ]
    for i, (op, j, c) in enumerate(program):
        a, b = f"v{i}", f"v{j}"
        expression = {
            "+": f"{a} + {b}",
            "*": f"{a} * {b}",
            "-": f"{a} - {b}",
            "*c": f"{a} * {c!r}",
            "+c": f"{a} + {c!r}",
            "relu": f"0.0 if {a} <= 0.0 else {a}",
            "tanh": f"math.tanh({a})",
            "sigmoid": f"sigmoid({a})",
        }[op]
        lines.append(f"    v{i + 1} = {expression}")
    lines.append(f"    return v{len(program)}")
    return "\n".join(lines) + "\n"


def bench_random_graph(n_ops: int, repeats: int) -> None:
    program = make_program(n_ops)
    xs = run_program(program, [Value(0.5, label="x")], Value.tanh, Value.sigmoid, Value.relu)
    root = xs[-1]

    namespace: dict = {}
    exec(compile(plain_source(program), "<plain>", "exec"), namespace)
    plain = namespace["run"]
    assert plain(0.5) == root.data  # the same numbers

    start = clock()
    code = unroll(root)
    unroll_seconds = clock() - start
    start = clock()
    replay = unroll_outputs([root])
    replay_seconds = clock() - start
    data = [leaf.data for leaf in replay.leaves]

    def training_form() -> None:
        _, saved = replay.forward(data)
        replay.backward(data, saved, [1.0], [0.0] * len(data))

    # The contenders take turns, round by round, so that a busy machine slows
    # them alike; each ratio is the median of the rounds' ratios.
    leaf_data = [leaf.data for leaf in code.leaves]
    leaf_grads = [leaf.grad for leaf in code.leaves]
    contenders = {"plain": lambda: plain(0.5), "code": code,
                  "function": lambda: code.function(leaf_data, leaf_grads),
                  "training": training_form}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_number in range(repeats):
        # each round starts with the next contender: whichever runs first
        # after plain's small function measured slower (the cache is cold)
        turn = round_number % len(names)
        for name in names[turn:] + names[:turn]:
            start = clock()
            contenders[name]()
            times[name].append(clock() - start)

    def per_op(name: str) -> float:
        return statistics.median(times[name]) / n_ops * 1e9

    def ratio(name: str) -> float:
        return statistics.median(t / p for t, p in zip(times[name], times["plain"]))

    lines = code.source.count("\n")
    print(f"random program of {n_ops:,} operations ({lines:,} lines unrolled; "
          f"{repeats} rounds, CPU time, GC at defaults)")
    print(f"  plain straight-line floats, forward      {per_op('plain'):6.0f} ns/op")
    print(f"  unroll(root)(): forward + backward       {per_op('code'):6.0f} ns/op"
          f" = {ratio('code'):5.2f}x plain (target <= 3x)")
    print(f"    of which the function in .source alone {per_op('function'):6.0f} ns/op"
          f" = {ratio('function'):5.2f}x plain")
    print("      (the rest: reading the leaves' data and grads, writing the grads back)")
    print(f"  training form: forward + backward        {per_op('training'):6.0f} ns/op"
          f" = {ratio('training'):5.2f}x plain")
    print(f"  unroll + compile: {unroll_seconds:.2f} s (readable), "
          f"{replay_seconds:.2f} s (training form)")


def bench_moons(repeats: int) -> None:
    points, labels = moons_data()
    tracemalloc.start()
    start = clock()
    model = MLP(2, SIZES[1:], seed=0)
    compiled = CompiledModel(model)
    compiled.forward(points[:1])  # traces, unrolls and compiles
    seconds = clock() - start
    code_bytes = tracemalloc.get_traced_memory()[0]
    step = compiled_step(points, labels, compiled)
    step()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    step_time = median_time(repeats, step)
    print()
    print("moons 2-16-16-1, 100 points, hinge + L2, compiled (CompiledModel)")
    print(f"  trace + unroll + compile: {seconds:.3f} s (target < 0.5 s)")
    print(f"  memory: model + compiled code {code_bytes / 1e6:.2f} MB; "
          f"one step's peak above that {peak / 1e6:.2f} MB")
    print(f"  one step: {step_time * 1000:.2f} ms (median of {repeats}, CPU time, while tracing "
          "memory off; bench_training.py compares it with micrograd)")
    assert math.isfinite(step())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=100_000, help="operations in the random program")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each")
    arguments = parser.parse_args()
    bench_random_graph(arguments.ops, arguments.repeats)
    bench_moons(max(arguments.repeats, 20))


if __name__ == "__main__":
    main()
