"""Activation functions and their derivatives, computed by the engine itself.

    python demos/activations.py [OUTPUT_FOLDER]

For each activation (relu, tanh, sigmoid) and many inputs x, build
y = activation(x) as a Value, run backward(), and read dy/dx from x.grad.
No derivative formula is written here: the curves on the right are what
backpropagation computes. Saves activations.png.
"""

import sys
from pathlib import Path

from matplotlib.figure import Figure

from engine import Value

output_folder = Path(sys.argv[1] if len(sys.argv) > 1 else "stepgrad-out")
output_folder.mkdir(parents=True, exist_ok=True)

xs = [i / 20 for i in range(-100, 101)]  # -5.0 to 5.0
activations = {"relu": Value.relu, "tanh": Value.tanh, "sigmoid": Value.sigmoid}

figure = Figure(figsize=(9, 3.5), layout="constrained")
value_axes, slope_axes = figure.subplots(1, 2)
for name, activation in activations.items():
    outputs, slopes = [], []
    for number in xs:
        x = Value(number)
        y = activation(x)
        y.backward()
        outputs.append(y.data)
        slopes.append(x.grad)
    value_axes.plot(xs, outputs, label=name)
    slope_axes.plot(xs, slopes, label=name)
    peak = max(slopes)
    print(f"{name:8s} largest slope {peak:.3f} at x = {xs[slopes.index(peak)]:+.2f}")

value_axes.set_title("activation(x)")
slope_axes.set_title("d activation / dx  (from backward)")
for axes in (value_axes, slope_axes):
    axes.set_xlabel("x")
    axes.grid(alpha=0.3)
    axes.legend()

path = output_folder / "activations.png"
figure.savefig(path, dpi=100)
print("wrote", path)
