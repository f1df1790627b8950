"""Engine benchmark: run by hand, prints figures measured in this one run.

    python tests/benchmarks/bench_engine.py            # 100k ops, 1M chain
    python tests/benchmarks/bench_engine.py --ops 20000 --chain 100000   # quicker

It measures, on a random graph of N operations:

- forward ns/op for stepgrad Values and for plain floats running the same
  program through the same loop (so the ratio is the cost of recording the
  graph and running the chain rule over it);
- backward ns/op (the whole `backward()`: graph walk plus chain rule);
- bytes per node (tracemalloc, while the graph is alive);
- on a 1,000,000-deep chain at Python's default recursion limit: building,
  backward, pickling and deep-copying it;
- with `--torch`, PyTorch with one 0-d float64 tensor per scalar.

The garbage collector stays at Python's defaults; nothing global is changed.
Targets (issue 9): forward+backward <= 15x the plain-float replay,
<= 150 bytes per node; the 1M chain builds, back-propagates, pickles and
deep-copies. (bench_training.py measures the speed against micrograd.)

How to read the figures fairly:

- Timings are CPU time of this process (`time.process_time`), the best of
  `--repeats` runs, the same number for each contender: on a machine shared
  with other programs, wall-clock time mostly measures them.
- "per op" divides by the N steps of the program. A step such as `a * 0.3`
  makes two Values (the constant 0.3 is wrapped as a leaf, so that drawings
  show it), so the graph has about 1.25 nodes per op; "bytes/node" counts
  those wrapped constants as nodes, and "bytes per op" does not.
- Part of the forward cost is Python's cyclic garbage collector, which scans
  the whole growing graph from time to time. The benchmark reports how much
  of the fastest forward pass the collector took, timed with `gc.callbacks`
  (which only observes).

The figures are only those this run prints. What was tried for speed, and
what it measured then, is in tests/benchmarks/NOTES.md.
"""

from __future__ import annotations

import argparse
import copy
import gc
import math
import pickle
import random
import sys
import time
import tracemalloc
from typing import Any, Callable

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))

from engine import Value  # noqa: E402

# One step of the program: (op, index of the other operand, constant)
Step = tuple[str, int, float]


def make_program(n_ops: int, seed: int = 0) -> list[Step]:
    """A random program in which every step uses the previous result, so the
    whole graph is reachable from the last node. Every fourth step squashes
    with tanh or sigmoid so the numbers stay in a sensible range."""
    rng = random.Random(seed)
    ops = ["+", "*", "-", "*c", "+c", "relu"]
    program: list[Step] = []
    for i in range(n_ops):
        if i % 4 == 3:
            op = rng.choice(["tanh", "sigmoid"])
        else:
            op = rng.choice(ops)
        program.append((op, rng.randrange(i + 1), rng.uniform(-1.0, 1.0)))
    return program


def run_program(
    program: list[Step], inputs: list[Any], tanh: Callable, sigmoid: Callable, relu: Callable
) -> list[Any]:
    """Evaluate the program on `inputs` (Values, floats or tensors alike)."""
    xs = list(inputs)
    append = xs.append
    for op, j, c in program:
        a = xs[-1]
        if op == "+":
            append(a + xs[j])
        elif op == "*":
            append(a * xs[j])
        elif op == "-":
            append(a - xs[j])
        elif op == "*c":
            append(a * c)
        elif op == "+c":
            append(a + c)
        elif op == "relu":
            append(relu(a))
        elif op == "tanh":
            append(tanh(a))
        else:
            append(sigmoid(a))
    return xs


def float_sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


clock = time.process_time  # CPU time of this process (see the docstring)


def best_of(repeats: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(repeats))


def bench_random_graph(n_ops: int, repeats: int, with_torch: bool) -> dict[str, float]:
    program = make_program(n_ops)
    results: dict[str, float] = {}

    def floats() -> float:
        start = clock()
        run_program(program, [0.5], math.tanh, float_sigmoid, lambda x: x if x > 0 else 0.0)
        return clock() - start

    def values_forward_backward() -> tuple[float, float, float]:
        with CollectorClock() as collector:
            start = clock()
            xs = run_program(program, [Value(0.5)], Value.tanh, Value.sigmoid, Value.relu)
            middle = clock()
        xs[-1].backward()
        end = clock()
        assert math.isfinite(xs[0].grad)
        return middle - start, end - middle, collector.seconds

    results["float_ns"] = best_of(repeats, floats) / n_ops * 1e9
    timings = [values_forward_backward() for _ in range(repeats)]
    fastest_forward = min(timings)
    results["forward_ns"] = fastest_forward[0] / n_ops * 1e9
    results["gc_forward_ns"] = fastest_forward[2] / n_ops * 1e9
    results["backward_ns"] = min(t[1] for t in timings) / n_ops * 1e9

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    xs = run_program(program, [Value(0.5)], Value.tanh, Value.sigmoid, Value.relu)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    # Count every Value created, including the constants wrapped as leaves.
    n_nodes = n_ops + 1 + sum(1 for op, _, _ in program if op in ("*c", "+c"))
    list_bytes = sys.getsizeof(xs)  # the program's own list, not the graph
    results["bytes_per_op"] = (after - before - list_bytes) / n_ops
    results["bytes_per_node"] = (after - before - list_bytes) / n_nodes
    del xs

    if not with_torch:
        return results
    import torch

    torch.set_grad_enabled(True)

    def torch_forward_backward() -> tuple[float, float]:
        start = clock()  # the input made inside the timing, as Value(0.5) is above
        x0 = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        xs = run_program(program, [x0], torch.tanh, torch.sigmoid, torch.relu)
        middle = clock()
        xs[-1].backward()
        end = clock()
        return middle - start, end - middle

    torch_timings = [torch_forward_backward() for _ in range(repeats)]
    results["torch_forward_ns"] = min(t[0] for t in torch_timings) / n_ops * 1e9
    results["torch_backward_ns"] = min(t[1] for t in torch_timings) / n_ops * 1e9
    return results


class CollectorClock:
    """Adds up the time Python's cyclic garbage collector runs, via
    `gc.callbacks` (only observes: the collector's settings are unchanged)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = clock()
        else:
            self.seconds += clock() - self._started

    def __enter__(self) -> CollectorClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def bench_chain(depth: int, copies: bool) -> dict[str, float]:
    """Build, back-propagate, pickle and deep-copy a chain `depth` deep."""
    x = Value(0.1)
    v = x
    times = [clock()]
    for i in range(depth):
        v = v.tanh() if i % 2 else v + x
    times.append(clock())
    v.backward()
    times.append(clock())
    assert math.isfinite(x.grad)
    result = {
        "chain_forward_s": times[1] - times[0],
        "chain_backward_s": times[2] - times[1],
        "chain_backward_ns": (times[2] - times[1]) / depth * 1e9,
    }
    if copies:
        copied = pickle.loads(pickle.dumps(v))
        times.append(clock())
        deep = copy.deepcopy(v)
        times.append(clock())
        assert copied.data == deep.data == v.data
        result["chain_pickle_s"] = times[3] - times[2]
        result["chain_deepcopy_s"] = times[4] - times[3]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=100_000, help="ops in the random graph")
    parser.add_argument("--chain", type=int, default=1_000_000, help="depth of the chain")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument("--torch", action="store_true", help="also time 0-d torch tensors")
    parser.add_argument(
        "--no-copies", action="store_true", help="skip pickling and deep-copying the chain"
    )
    args = parser.parse_args()

    r = bench_random_graph(args.ops, args.repeats, args.torch)
    floats = r["float_ns"]
    both = r["forward_ns"] + r["backward_ns"]
    print(f"random graph of {args.ops:,} ops (best of {args.repeats}, CPU time, GC at defaults)")
    print(f"  plain floats        forward  {floats:7.0f} ns/op")
    print(f"  stepgrad            forward  {r['forward_ns']:7.0f} ns/op")
    print(f"    of which Python's cyclic garbage collector {r['gc_forward_ns']:.0f} ns/op")
    print(f"  stepgrad            backward {r['backward_ns']:7.0f} ns/op")
    print(
        f"  stepgrad            fwd+bwd  {both:7.0f} ns/op = {both / floats:5.1f}x the "
        "plain-float replay (target <= 15x)"
    )
    print(
        f"  stepgrad            memory   {r['bytes_per_node']:7.0f} bytes/node "
        "(target <= 150)\n    (wrapped constants count as nodes; "
        f"{r['bytes_per_op']:.0f} bytes per op)"
    )
    if "torch_forward_ns" in r:
        theirs = r["torch_forward_ns"] + r["torch_backward_ns"]
        print(f"  torch 0-d tensors   fwd+bwd  {theirs:7.0f} ns/op")
        print(f"  stepgrad is {theirs / both:.1f}x faster than one-tensor-per-scalar PyTorch")

    c = bench_chain(args.chain, copies=not args.no_copies)
    print(
        f"chain {args.chain:,} deep (recursion limit {sys.getrecursionlimit()}; "
        "CPU time, one run):\n  "
        f"build {c['chain_forward_s']:.2f} s, backward {c['chain_backward_s']:.2f} s "
        f"({c['chain_backward_ns']:.0f} ns/node)"
    )
    if "chain_pickle_s" in c:
        print(
            f"  pickle.dumps + loads {c['chain_pickle_s']:.2f} s, "
            f"copy.deepcopy {c['chain_deepcopy_s']:.2f} s"
        )


if __name__ == "__main__":
    main()
