"""Backpropagation one chain-rule step at a time.

    python demos/backprop_steps.py

The expression L = (a*b + c) * f is the small example from the classic
lecture. Each step below is one node passing its grad to its children:
child.grad += node.grad * d(node)/d(child), with the numbers filled in, so
you can check every line by hand. At the end the grads are exactly what
L.backward() gives.
"""

import signal

from engine import Value

# `python3 demos/backprop_steps.py | head` stops reading early: end quietly, as other
# programs do, rather than with a BrokenPipeError (SIGPIPE is not on Windows).
if hasattr(signal, "SIGPIPE"):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)

a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
f = Value(-2.0, label="f")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
L = d * f
L.label = "L"

print("the graph before backward:")
print(L.tree())
print()
for step in L.backward_steps():
    print(step)
    print()
print("the graph after the last step:")
print(L.tree())

# The same grads, the quick way:
stepped = [v.grad for v in (a, b, c, f)]
L.zero_grad()
L.backward()
assert stepped == [v.grad for v in (a, b, c, f)], "stepping must equal backward()"
print("\nsame grads as L.backward():", stepped)
