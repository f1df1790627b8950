"""The classic demo: a 2-16-16-1 MLP learns to separate two moons.

    python3 demos/moons.py [OUTPUT_FOLDER] [STEPS] [--force]

Written as the plain training loop a teacher types live: forward, loss,
zero_grad, backward, update. Saves, in OUTPUT_FOLDER (by default
stepgrad-out/, in the folder you run it from), the decision boundary, the
loss and accuracy curves, and the trained network drawn one box per neuron
(each arrow coloured by the sign of its weight, as thick as its size). The same
names as `stepgrad demo`'s pictures: like it, this replaces them only with --force.
"""

from stepgrad_out import prepare_output_folder  # demos/stepgrad_out.py

from engine import draw
from nn import MLP, hinge_loss, l2_penalty
from nn.apps.plots import decision_boundary, training_curves
from nn.data import moons, signed_labels
from nn.train import History

output_folder, arguments = prepare_output_folder(
    ["moons_boundary.png", "moons_loss.png", "moons_network.png"]
)

X, y = moons(n=100, noise=0.1, seed=0)
y = signed_labels(y)  # the hinge loss wants labels -1 and +1
model = MLP(2, [16, 16, 1], seed=1)  # ReLU hidden layers, a linear output
print(model)
print("parameters:", len(model.parameters()))

history = History()
steps = int(arguments[0]) if arguments else 100
for step in range(steps):
    scores = [model(x) for x in X]  # 1. forward
    loss = hinge_loss(scores, y) + l2_penalty(model.parameters(), 1e-4)  # 2. loss
    model.zero_grad()  # 3. zero the old gradients
    loss.backward()  # 4. backward
    learning_rate = 1.0 - 0.9 * step / steps
    for p in model.parameters():  # 5. update
        p.data -= learning_rate * p.grad

    correct = sum((score.data > 0) == (label > 0) for score, label in zip(scores, y))
    history.loss.append(loss.data)
    history.accuracy.append(correct / len(y))
    if step % 10 == 0 or step == steps - 1:
        print(f"step {step:3d}  loss {loss.data:.4f}  accuracy {correct / len(y):.0%}")

final_correct = sum((model(x).data > 0) == (label > 0) for x, label in zip(X, y))
print(f"after training: accuracy {final_correct / len(y):.0%}")

boundary = decision_boundary(model, X, y, title="decision boundary, training points")
curves = training_curves(history, loss="hinge + L2")
for name, figure in [("moons_boundary.png", boundary), ("moons_loss.png", curves)]:
    figure.savefig(output_folder / name)
    print("wrote", output_folder / name)

# The whole network on the first point, one box per neuron, after backward().
score = model(X[0])
score.backward()
print("wrote", draw(score, collapse=True).save(output_folder / "moons_network.png"))
