"""Classify Fisher's iris flowers (150 real measurements, 3 species).

    python3 demos/iris.py

Standardises the four measurements, splits off a test set, trains a small
MLP with softmax cross-entropy, and reports accuracy on flowers it never saw.
"""

from nn import MLP, Adam
from nn.data import load_iris, standardize, train_test_split
from nn.train import accuracy, fit

iris = load_iris()
X_train, X_test, y_train, y_test = train_test_split(iris.X, iris.y, test_fraction=0.3, seed=0)
X_train, scaling = standardize(X_train)
X_test = scaling.apply(X_test)

model = MLP(4, [8, 3], activation="tanh", seed=0)
print(model)
history = fit(
    model,
    X_train,
    y_train,
    loss="cross_entropy",
    optimizer=Adam(model.parameters(), lr=0.05),
    steps=60,
    seed=0,
)
print(history)
print(f"test accuracy: {accuracy(model, X_test, y_test, loss='cross_entropy'):.1%}")
