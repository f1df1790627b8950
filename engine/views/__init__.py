"""The views: what shows a graph of Values.

- `drawing.py`: `draw()`, the graph as a picture (Graphviz DOT; imports graphviz);
- `render.py`: DOT to SVG or PNG (a system `dot` when present, else graphviz-pure);
- `tree.py`: `text_tree()`, the same graph as indented text, for terminals;
- `stepper.py`: `backward_steps()` and the `Stepper`, backprop one node at a time;
- `notebook.py`: the Stepper in Jupyter (imports IPython and ipywidgets when used).

They build on the core (`engine/value.py`, `engine/graph.py`) and the core
never imports them. Importing this package loads the text tree and the
stepper, which register `Value.tree()` and `Value.backward_steps()`; the
drawing (and with it graphviz) loads when first used.
"""

from engine.views import stepper, tree

__all__ = ["stepper", "tree"]
