"""Drawing benchmark: run by hand, prints figures measured in this one run.

    python tests/benchmarks/bench_draw.py              # 5 repeats
    python tests/benchmarks/bench_draw.py --repeats 2  # quicker

On the graph of one forward pass of the moons MLP (2-16-16-1, one input
point, after backward) it measures, for the drawing collapsed by neuron (what
`draw()` does by itself for a graph this big) and for the fine drawing of
every Value (`collapse=False, max_nodes=None`):

- build: `draw(...)`, the DOT source in Python;
- svg: `.pipe(format="svg")`, layout and painting by the renderer;
- png: `.pipe(format="png")`, with the picture's size in pixels (at most
  3840 on a side: see engine/views/render.py), the collapsed drawing only unless
  --fine-png is given;
- peak: the most memory any renderer process has used so far in this run
  (its peak resident set, read from the operating system after it ends;
  the figures run smallest first, so each line's peak is its own).

It also times micrograd's neuron (tanh(x1*w1 + x2*w2 + b)). The renderer
used is printed: a system `dot` if one is on PATH, else graphviz-pure.

Timing: wall-clock time (`time.perf_counter`), not CPU time, because the
renderer runs in a child process whose work this process's CPU clock would
not count; the best of the repeats is reported (the least disturbed by other
processes). The output says so on its first line.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine import Value, draw, topological_order  # noqa: E402
from engine.views.render import find_renderer  # noqa: E402


def best_time(action: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The shortest of `repeats` runs of `action`, in seconds, and its last result."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return min(times), result


def neuron_output() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    output = (x1 * w1 + x2 * w2 + b).tanh()
    output.backward()
    return output


def mlp_output() -> Value:
    from nn.layers import MLP  # the benchmark may use nn; engine never does

    model = MLP(2, [16, 16, 1], seed=0)
    output = model([0.5, -0.3])
    output.backward()
    return output


def report(name: str, root: Value, options: dict[str, Any], repeats: int, png: bool) -> None:
    build, drawing = best_time(lambda: draw(root, **options), repeats)
    svg_time, svg = best_time(lambda: drawing.pipe(format="svg"), repeats)
    line = (
        f"{name:<22} {len(topological_order(root)):>5} Values  "
        f"build {build * 1000:8.1f} ms  svg {svg_time * 1000:8.1f} ms ({len(svg) // 1024} KiB)"
    )
    if png:
        from PIL import Image

        png_time, picture = best_time(lambda: drawing.pipe(format="png"), repeats)
        with Image.open(io.BytesIO(picture)) as image:
            pixels = f"{image.width}x{image.height} px"
        line += f"\n{'':<22} png {png_time * 1000:8.1f} ms ({len(picture) // 1024} KiB, {pixels})"
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024  # KiB on Linux
    print(f"{line}  peak {peak} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (best kept)")
    parser.add_argument("--fine-png", action="store_true", help="also time the fine MLP PNG")
    arguments = parser.parse_args()
    repeats = arguments.repeats

    print(f"timing: wall clock, best of {repeats} runs (the renderer is a child process)")
    print(f"renderer: {find_renderer()}")
    report("neuron", neuron_output(), {"edge_labels": True}, repeats, png=True)
    mlp = mlp_output()
    report("MLP collapsed", mlp, {"collapse": True}, repeats, png=True)
    fine = {"collapse": False, "max_nodes": None}
    report("MLP every Value", mlp, fine, min(repeats, 2), png=arguments.fine_png)


if __name__ == "__main__":
    main()
