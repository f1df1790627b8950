"""Activation functions and their derivatives, computed by the engine itself.

    python3 demos/activations.py [OUTPUT_FOLDER] [--force]

For each activation (relu, tanh, sigmoid) and many inputs x, build
y = activation(x) as a Value, run backward(), and read dy/dx from x.grad.
No derivative formula is written here: the curves on the right are what
backpropagation computes. Saves activations.png in OUTPUT_FOLDER (by
default stepgrad-out/, in the folder you run it from; replaced only with --force).
"""

from matplotlib.figure import Figure
from stepgrad_out import prepare_output_folder  # demos/stepgrad_out.py

from engine import Value

output_folder, _ = prepare_output_folder(["activations.png"])

xs = [i / 20 for i in range(-100, 101)]  # -5.0 to 5.0
activations = {"relu": Value.relu, "tanh": Value.tanh, "sigmoid": Value.sigmoid}

figure = Figure(figsize=(10, 4), dpi=100, layout="constrained")
value_axes, slope_axes = figure.subplots(1, 2)
for name, activation in activations.items():
    outputs, slopes = [], []
    for number in xs:
        x = Value(number)
        y = activation(x)
        y.backward()
        outputs.append(y.data)
        slopes.append(x.grad)
    value_axes.plot(xs, outputs, label=name, linewidth=2)
    slope_axes.plot(xs, slopes, label=name, linewidth=2)
    peak = max(slopes)
    print(f"{name:8s} largest slope {peak:.3f} at x = {xs[slopes.index(peak)]:+.2f}")

value_axes.set_title("activation(x)", fontsize=14)
slope_axes.set_title("d activation / dx  (x.grad after backward)", fontsize=14)
for axes in (value_axes, slope_axes):
    axes.set_xlabel("x", fontsize=13)
    axes.tick_params(labelsize=12)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=12)

path = output_folder / "activations.png"
figure.savefig(path)
print("wrote", path)
