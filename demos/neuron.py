"""One neuron, drawn with its data and gradients.

    python3 demos/neuron.py [OUTPUT_FOLDER] [--force]

A neuron computes o = tanh(x1*w1 + x2*w2 + b). This script builds it from
Values, runs backward(), prints the grads, and saves the drawing of its graph
(every box shows a value's data and grad, every arrow the local derivative)
as neuron.svg and neuron.png in OUTPUT_FOLDER (by default stepgrad-out/, in
the folder you run it from; files already there are replaced only with --force).
"""

from stepgrad_out import prepare_output_folder  # demos/stepgrad_out.py

from engine import Value, draw

output_folder, _ = prepare_output_folder(["neuron.svg", "neuron.png"])

# Inputs x1, x2; weights w1, w2; bias b (chosen so that the output is a round number).
x1 = Value(2.0, label="x1")
x2 = Value(0.0, label="x2")
w1 = Value(-3.0, label="w1")
w2 = Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")

n = x1 * w1 + x2 * w2 + b
n.label = "n"
o = n.tanh()
o.label = "o"

o.backward()

print(f"o = tanh(n) = {o.data:.4f}")
for value in (x1, w1, x2, w2, b):
    print(f"  d(o)/d({value.label}) = {value.grad:+.4f}")

drawing = draw(o, edge_labels=True)
for name in ("neuron.svg", "neuron.png"):
    print("wrote", drawing.save(output_folder / name))
