"""Pictures of a computation graph: `draw()` builds the Graphviz drawing.

`draw(root)` draws the graph that produced `root`, the way micrograd made
famous: one box per Value (its name, data and grad) and, in front of each
computed Value, a small oval with the operation that made it. Arrows run
from inputs to outputs, left to right.

>>> from engine import Value
>>> x = Value(2.0, label="x")
>>> w = Value(-3.0, label="w")
>>> y = (x * w).tanh()
>>> drawing = draw(y)
>>> print(drawing.source)  # doctest: +ELLIPSIS
digraph computation_graph {
	graph [fontname=Helvetica fontsize=14 rankdir=LR]
	node [fontname=Helvetica fontsize=14]
	edge [fontcolor="#4b5563" fontname=Helvetica fontsize=12]
	graph [ordering=in ranksep=0.25]
	v0 [label="x | data 2.0000 | grad ?" fillcolor="#dbeafe" shape=record style=filled]
	v1 [label="w | data -3.0000 | grad ?" fillcolor="#fef3c7" shape=record style=filled]
	v2 [label="#2 | data -6.0000 | grad ?" fillcolor="#ffffff" shape=record style=filled]
	v2_op [label="*" ...shape=ellipse style=filled]
	v3 [label="#3 | data -1.0000 | grad ?" class=output fillcolor="#dcfce7" shape=record style=filled]
	v3_op [label=tanh ...shape=ellipse style=filled]
	v0 -> v2_op
	v1 -> v2_op
	v2_op -> v2
	v2 -> v3_op
	v3_op -> v3
}
<BLANKLINE>

(`class=output` marks the output's box in the SVG, where the web view finds it.)

"grad ?" says that no gradient has been computed yet: `draw()` decides
this by looking at the root's `grad` (`backward()` always leaves
d(root)/d(root) = 1 on the root). Pass `grads_computed=True` or `False` to
say it yourself.

Each box starts with the Value's name, the one the Stepper, the command
line and the classroom use (`engine.graph.node_names`): its label if that is
a plain name (`x`, `w1`, `loss`), else `#` and its position in
`engine.topological_order(root)`, followed by what it is: `#2 = x*w` (a
piece of a formula). Numbers fed to a neuron are called `x.0`, `x.1`, ...
(`#12 = x.0` when a model ran on several points). The DOT node
names (`v0`, `v1`, ...) are positions in that order too, so the same program
draws byte-for-byte the same DOT source every time. A box's name, data and
grad are stacked, so that a column of boxes stays narrow: a neuron's
drawing is about 3 times as wide as it is tall. Inputs are drawn in the
order of the formula: x1 above w1 above x2. Text is 14 pt (`scale=` makes
it bigger or smaller), readable on a projector. The drawing is a
`graphviz.Digraph` that renders with no system Graphviz installed (see
`engine/views/render.py`), displays itself in Jupyter, and saves with
`drawing.save("graph.svg")` (or "graph.png").

`engine.views.tree.text_tree(root)` (also `root.tree()`) prints the same graph as
indented text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import graphviz

from engine.checks import check_choice, check_scale, described
from engine.graph import (
    input_names,
    is_parameter_label,
    module_passes,
    node_names,
    topological_order,
)
from engine.value import Value
from engine.views import web
from engine.views.render import render_dot, save_drawing
from engine.views.tree import (
    DEFAULT_MAX_NODES,
    backward_has_run,
    check_max_nodes,
    check_number_format,
    number_text,
)

__all__ = ["GraphDrawing", "draw"]

DIRECTIONS = ("LR", "RL", "TB", "BT")
# Above this many Values, a graph with module scopes is drawn one box per neuron by default.
READABLE_VALUES = 150
FIELDS = ("label", "data", "grad")

# Fill colours, one per role: what a student should tell apart at a glance.
ROLE_COLOURS = {
    "input": "#dbeafe",  # light blue: data you feed in
    "parameter": "#fef3c7",  # light yellow: weights and biases, what training changes
    "intermediate": "#ffffff",  # white: everything computed on the way
    "output": "#dcfce7",  # light green: the result (often the loss)
}
# Room between two columns of boxes, in inches (Graphviz's default is 0.5):
# the arrows stay easy to follow, and a neuron's drawing stays about 3:1.
RANKSEP = "0.25"
HIGHLIGHT_COLOUR = "#fed7aa"  # orange: e.g. nodes whose grad the stepper has finished
CURRENT_COLOUR = "#fca5a5"  # red: the node the stepper is at now
CLUSTER_COLOUR = "#9ca3af"
# A connection's weight in the collapsed view: blue positive, red negative.
POSITIVE_COLOUR = "#2563eb"
NEGATIVE_COLOUR = "#dc2626"


class GraphDrawing(graphviz.Digraph):
    """A `graphviz.Digraph` that renders without a system Graphviz installed.

    Everything `graphviz.Digraph` offers to build and read a graph still
    works (`.source`, `.node()`, `.edge()`, ...). Showing it goes through
    `engine.views.render` (a system `dot` if there is one on PATH, else the bundled
    `graphviz-pure`):

    - `.save("graph.svg")` (or .png) writes the picture, and only it;
    - `.pipe(format="png")` returns the picture's bytes;
    - Jupyter shows it as SVG (`_repr_mimebundle_`, also `_repr_svg_`), in
      HTML that fits the cell's width, or scrolls inside it when that would
      make its text smaller than 11 px (`_repr_html_`);
    - the REPL, which cannot show pictures, says how to see it.
    """

    # What draw() drew, for the REPL's one-line summary.
    values_drawn = 0
    boxes_drawn = 0

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the picture to `path`; the suffix picks the format (.svg, .png, .dot).

        Same as `engine.views.render.save_drawing(drawing, path)`; returns the path.
        """
        return save_drawing(self, path)

    def pipe(
        self, format: str | None = None, *, engine: str | None = None, encoding: str | None = None
    ) -> Any:
        """The drawing rendered as bytes, or as text if `encoding` is given.

        >>> from engine import Value
        >>> draw(Value(1.0, label="x")).pipe(format="png")[:4]
        b'\\x89PNG'
        """
        picture = render_dot(self.source, format or self.format, engine=engine)
        return picture if encoding is None else picture.decode(encoding)

    def render(self, outfile: str | os.PathLike[str]) -> str:
        """`save(outfile)`, returning the path as a string (graphviz's name for it).

        Unlike plain `graphviz`, it writes only the picture: no DOT file beside it.
        """
        return str(save_drawing(self, outfile))

    def _repr_html_(self) -> str:
        """Jupyter: the SVG in HTML that fits the cell, or scrolls in it (text >= 11 px).

        IPython adds it to `_repr_mimebundle_`'s SVG; JupyterLab shows the HTML.
        """
        return web.drawing_html(self._repr_image_svg_xml())

    def _repr_svg_(self) -> str:
        """The drawing as SVG text, for notebook front ends that ask for it."""
        return self._repr_image_svg_xml()

    def __repr__(self) -> str:
        what = f"{self.values_drawn} Values in {self.boxes_drawn} boxes"
        if self.values_drawn == self.boxes_drawn:
            what = f"{self.values_drawn} Values"
        return f'<GraphDrawing, {what}: to see it, .save("graph.png")>'


def draw(
    root: Value,
    *,
    direction: str = "LR",
    show: Iterable[str] = FIELDS,
    number_format: str = ".4f",
    colour_by_role: bool = True,
    parameters: Iterable[Value] = (),
    edge_labels: bool = False,
    highlight: Value | Iterable[Value] | None = None,
    current: Value | None = None,
    clusters: bool = True,
    collapse: bool | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    grads_computed: bool | None = None,
    scale: float = 1.0,
    stacked: bool | None = None,
) -> GraphDrawing:
    """Draw the graph that produced `root` (returns a `GraphDrawing`).

    Options:

    - `direction`: "LR" (left to right, the default), "RL", "TB" or "BT".
    - `show`: which fields each box shows, any of "label", "data", "grad".
      "label" is the Value's name (see above): its label, its place in the
      graph order (`#7`), or for numbers fed to a neuron or model `x.0`,
      `x.1`, ...
    - `number_format`: a format spec for numbers, e.g. ".4f" or ".3g".
    - `colour_by_role`: fill inputs blue, parameters yellow, intermediates
      white and the output green. A leaf is a parameter if it is in
      `parameters` (e.g. `model.parameters()`) or if its label looks like
      one: "w", "w1", "b", "bias", "layers.0.neurons.3.w.1", ...
    - `edge_labels`: write beside each arrow into an operation the local
      derivative d(out)/d(in) stored by that operation.
    - `highlight`: a Value or Values drawn in orange (e.g. the nodes whose
      grad is finished), and `current`: one Value drawn in red (e.g. the
      node the stepper is at).
    - `clusters`: group Values made inside `engine.scope(...)` blocks (as
      `nn` modules make them) into nested boxes, e.g. layer > neuron. A leaf
      used only inside one scope (a neuron's weights) is drawn inside it,
      under its short name (`w.0`, not `layers.0.neurons.3.w.0`). A loss
      over several points, which runs the model once per point, gets one
      box per point ("point 0", "point 1", ...).
    - `collapse`: draw each innermost scope (each neuron) as one box with
      its output's data and grad, and each connection between them as one
      arrow whose colour is the sign of its weight (blue +, red -) and
      whose width is its size. `None` (the default) collapses a graph that
      has scopes when it has more than 150 Values (`READABLE_VALUES`):
      more boxes than one screen can show legibly.
    - `max_nodes`: the most Values drawn one by one (default 500); a bigger
      graph without scopes raises an error instead of a picture that takes
      minutes and gigabytes to lay out. `None` means no limit.
    - `grads_computed`: whether to show grads or "grad ?". By default grads
      count as computed when `root.grad` is not 0 (backward() leaves it at 1).
    - `scale`: the size of all text (1.0: 14 pt in the boxes, readable on a
      projector; 0.8 for a laptop screen, 1.5 for the back row).
    - `stacked`: each box's name, data and grad one under the other (True)
      or side by side (False). By default stacked when the graph runs left
      to right, so that a column of boxes stays narrow, and side by side
      when it runs top to bottom, so that a row of boxes stays short. A
      phone's top-to-bottom drawing wants them stacked: narrow boxes fit
      its width.

    A reused input gets one arrow per use: in `a * a`, two arrows leave `a`.

    >>> from engine import Value
    >>> a = Value(3.0, label="a")
    >>> square = a * a
    >>> square.backward()
    >>> source = draw(square, edge_labels=True).source
    >>> source.count("v0 -> v1_op")
    2
    >>> "grad 6.0000" in source
    True
    >>> draw(square)
    <GraphDrawing, 2 Values: to see it, .save("graph.png")>
    >>> draw(square, direction="up")
    Traceback (most recent call last):
    ...
    ValueError: unknown direction 'up'; choose one of 'LR', 'RL', 'TB', 'BT'
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() needs a Value, not {described(root)}")
    check_choice("direction", direction, DIRECTIONS)
    fields = _check_fields(show)
    check_number_format(number_format)
    check_choice("collapse", collapse, (True, False, None))
    check_max_nodes(max_nodes)
    check_scale(scale)
    check_choice("stacked", stacked, (True, False, None))

    order = topological_order(root)
    index = {node: position for position, node in enumerate(order)}
    highlighted = _nodes_in_graph("highlight", highlight, index)
    if current is not None and current not in index:
        raise ValueError(f"current={current!r} is not in the graph of the Value being drawn")
    parameter_set = _values("parameters", parameters)

    has_scopes = any(node.scope for node in order)
    too_big = max_nodes is not None and len(order) > max_nodes
    if collapse is None:
        readable = READABLE_VALUES if max_nodes is None else min(READABLE_VALUES, max_nodes)
        collapse = has_scopes and len(order) > readable
    if collapse and not has_scopes:
        raise ValueError(
            "collapse=True needs Values made inside engine.scope(...) blocks (nn modules "
            "make them so); no Value in this graph has a scope"
        )
    if too_big and not collapse:
        raise ValueError(
            f"this graph has {len(order)} Values, more than max_nodes={max_nodes}, and "
            "would take long to lay out. Pass collapse=True to draw one box per scope "
            "(needs Values made in engine.scope() blocks, as nn modules make them), or "
            "max_nodes=None to draw every Value anyway"
        )
    if grads_computed is None:
        grads_computed = backward_has_run(root)

    places = _places(order)
    horizontal = direction in ("LR", "RL")
    painter = _Painter(
        index=index,
        root=root,
        fields=fields,
        number_format=number_format,
        grads_computed=grads_computed,
        colour_by_role=colour_by_role,
        parameters=parameter_set,
        highlighted=highlighted,
        current=current,
        horizontal=horizontal,
        stacked=horizontal if stacked is None else stacked,
        names=node_names(order),
        titles=_box_titles(order, places, clusters),
    )
    font = {"fontname": "Helvetica"}
    drawing = GraphDrawing(
        name="computation_graph",
        filename="computation_graph.gv",
        format="svg",
        graph_attr={"rankdir": direction, **font, "fontsize": _points(14, scale)},
        node_attr={**font, "fontsize": _points(14, scale)},
        edge_attr={**font, "fontsize": _points(12, scale), "fontcolor": "#4b5563"},
    )
    if collapse and clusters:
        # Keep the order in which the boxes are listed (neurons 0, 1, 2, ...):
        # a dense layer crosses every arrow anyway, so reordering gains nothing.
        drawing.attr("graph", mclimit="0.01")
    cluster_tree = _ClusterTree(drawing, enabled=clusters, scale=scale)
    if collapse:
        drawing.boxes_drawn = _draw_collapsed(order, places, painter, cluster_tree, max_nodes)
    else:
        drawing.boxes_drawn = _draw_every_value(order, places, painter, cluster_tree, edge_labels)
    drawing.values_drawn = len(order)
    cluster_tree.attach()
    for tail, head, attributes in painter.edges:
        drawing.edge(tail, head, **attributes)
    return drawing


def _points(size: float, scale: float) -> str:
    """A font size in points, for DOT: 14 at scale 1."""
    return f"{size * scale:g}"


# ---------------------------------------------------------------- option checks


def _check_fields(show: Iterable[str]) -> tuple[str, ...]:
    if isinstance(show, str):
        show = (show,)
    chosen = tuple(show)
    for name in chosen:
        check_choice("show field", name, FIELDS)
    if not chosen:
        raise ValueError(f"show=() shows nothing: name at least one of {', '.join(FIELDS)}")
    # Boxes always list fields in the same order, whatever order they were asked in.
    return tuple(name for name in FIELDS if name in chosen)


def _values(option: str, values: Iterable[Value]) -> set[Value]:
    chosen = set()
    for value in values:
        if not isinstance(value, Value):
            raise TypeError(
                f"{option} must hold Values, not {described(value)}"
            )
        chosen.add(value)
    return chosen


def _nodes_in_graph(
    option: str, values: Value | Iterable[Value] | None, index: dict[Value, int]
) -> set[Value]:
    if values is None:
        return set()
    if isinstance(values, Value):
        values = (values,)
    chosen = _values(option, values)
    for value in chosen:
        if value not in index:
            raise ValueError(f"{option} holds {value!r}, which is not in the graph being drawn")
    return chosen


# ---------------------------------------------------------------- how things look


def _record_text(text: str) -> str:
    """Escape the characters that mean something inside a record label."""
    escaped = text.replace("\\", "\\\\")
    for special in '{}|<>"':
        escaped = escaped.replace(special, "\\" + special)
    return escaped


def _plain_text(text: str) -> str:
    """Escape a label of a plain (oval) node."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _box_titles(
    order: list[Value], places: dict[Value, tuple[str, ...]], clusters: bool
) -> dict[Value, str]:
    """What each box calls its Value: its name (`engine.graph.node_names`), and more.

    The name is the one every view uses, so a student can find in the picture
    each name the Stepper, the command line and the classroom say. A node
    called by its number shows what else it is after the number: its label
    (`#2 = x1*w1`, a piece of a formula) or, for a number fed to one of
    several runs of a model, the input it is (`#12 = x.0`). Inside the cluster of
    `layers.0 > neurons.3`, the weight named `layers.0.neurons.3.w.0` shows
    `w.0`: the clusters around it say the rest.
    """
    names = node_names(order)
    inputs = input_names(order)
    titles = {}
    for node in order:
        name = names[node]
        if name.startswith("#"):  # called by number: say what else it is
            what = node.label or inputs.get(node, "")
            titles[node] = f"{name} = {what}" if what else name
            continue
        if name != node.label:  # a number fed to a model: x.0
            titles[node] = name
            continue
        place = [part for part in places[node] if clusters and not part.startswith("point ")]
        for start in range(len(place)):
            prefix = ".".join(place[start:]) + "."
            found = ("." + name).find("." + prefix)  # at the start, or after a dot
            if found >= 0 and len(name) > found + len(prefix):
                name = name[found + len(prefix) :]
                break
        titles[node] = name
    return titles


def weight_colour(weight: float) -> str:
    """The colour of a connection: blue for a positive weight, red for a negative one."""
    # A little transparent, so that where many arrows cross each one still shows.
    return (POSITIVE_COLOUR if weight >= 0 else NEGATIVE_COLOUR) + "c0"


def weight_width(weight: float, largest: float) -> str:
    """The pen width of a connection: from 0.5 (weight 0) to 5 (the largest weight)."""
    share = abs(weight) / largest if largest > 0 else 0.0
    return f"{0.5 + 4.5 * share:.2f}"


@dataclass
class _Painter:
    """Turns Values (and collapsed groups) into DOT node and edge statements."""

    index: dict[Value, int]  # each Value's position in the graph order
    root: Value
    fields: tuple[str, ...]
    number_format: str
    grads_computed: bool
    colour_by_role: bool
    parameters: set[Value]
    highlighted: set[Value]
    current: Value | None
    horizontal: bool  # the graph runs left to right (or right to left)
    stacked: bool  # a box's name, data and grad one under the other
    names: dict[Value, str]  # what every view calls each Value (engine.graph.node_names)
    titles: dict[Value, str]  # the top line of each Value's box (see _box_titles)
    # (tail, head, attributes) of every arrow, added to the drawing after all nodes.
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def role(self, node: Value) -> str:
        if node is self.root:
            return "output"
        if node.children:
            return "intermediate"
        if node in self.parameters or is_parameter_label(node.label):
            return "parameter"
        return "input"

    def data_and_grad(self, node: Value) -> list[str]:
        parts = []
        if "data" in self.fields:
            parts.append(f"data {number_text(node.data, self.number_format)}")
        if "grad" in self.fields:
            if self.grads_computed:
                parts.append(f"grad {number_text(node.grad, self.number_format)}")
            else:
                parts.append("grad ?")
        return parts

    # Graphviz lays a record's fields out across the direction of the graph;
    # braces in the label turn them the other way.

    def card(self, parts: list[str]) -> str:
        """A Value's box: its parts (name, data, grad) stacked or side by side.

        Left to right, a record's parts are stacked already; top to bottom,
        they are side by side: braces turn them the other way.
        """
        text = " | ".join(_record_text(part) for part in parts)
        return text if self.stacked == self.horizontal else f"{{ {text} }}"

    def row(self, parts: list[str]) -> str:
        """A neuron's box (collapsed): its parts side by side, so a layer stays short."""
        text = " | ".join(_record_text(part) for part in parts)
        return f"{{ {text} }}" if self.horizontal else text

    def box_style(self, role: str, is_current: bool, is_highlighted: bool) -> dict[str, str]:
        style = {"shape": "record", "style": "filled"}
        style["fillcolor"] = ROLE_COLOURS[role] if self.colour_by_role else "#ffffff"
        # In SVG the class names the box too (`<g class="node current">`): the web view finds it.
        if role == "output":
            style["class"] = "output"  # before the first step, the web view shows it
        if is_highlighted:
            style["fillcolor"] = HIGHLIGHT_COLOUR
            style["penwidth"] = "2"
            style["class"] = "highlight"
        if is_current:
            style["fillcolor"] = CURRENT_COLOUR
            style["penwidth"] = "3"
            style["color"] = "#b91c1c"
            style["class"] = "current"
        return style

    def value_node(self, graph: Any, node: Value) -> None:
        position = self.index[node]
        parts = []
        if "label" in self.fields:
            parts.append(self.titles[node])
        parts.extend(self.data_and_grad(node))
        style = self.box_style(
            self.role(node), node is self.current, node in self.highlighted
        )
        graph.node(f"v{position}", graphviz.nohtml(self.card(parts)), **style)
        if node.children:
            graph.node(
                f"v{position}_op",
                graphviz.nohtml(_plain_text(node.op or "op")),
                shape="ellipse",
                style="filled",
                fillcolor="#f3f4f6",
                margin="0.04,0.02",
            )

    def group_box(
        self,
        graph: Any,
        name: str,
        scope: tuple[str, ...],
        members: list[Value],
        outputs: list[Value],
    ) -> None:
        parts = []
        if "label" in self.fields:
            operations = "/".join(dict.fromkeys(output.op or "input" for output in outputs))
            parts.append(f"{scope[-1]} {operations}")
        if len(outputs) == 1:
            parts.extend(self.data_and_grad(outputs[0]))
        else:
            for output in outputs:
                described = "  ".join(self.data_and_grad(output))
                parts.append(f"{self.names[output]} {described}".strip())
        role = "output" if self.root in members else "intermediate"
        is_current = self.current is not None and self.current in members
        is_highlighted = any(output in self.highlighted for output in outputs)
        style = self.box_style(role, is_current, is_highlighted)
        style["style"] = "filled,rounded"
        graph.node(name, graphviz.nohtml(self.row(parts)), **style)

    def edge(self, tail: str, head: str, **attributes: str) -> None:
        self.edges.append((tail, head, attributes))

    def operation_edges(
        self, node: Value, tail_of: Callable[[Value], str], edge_labels: bool
    ) -> None:
        """Arrows from each input of `node` (one per use) to its op, then op -> `node`."""
        position = self.index[node]
        for child, local in zip(node.children, node.local_grads):
            if edge_labels:
                # Graphviz keeps room for the label beside its own arrow. (Its
                # `decorate` line from label to arrow read as a strike-through.)
                # The spaces after the number keep it clear of the arrowhead.
                label = f"local {number_text(local, self.number_format)}   "
                self.edge(tail_of(child), f"v{position}_op", label=label)
            else:
                self.edge(tail_of(child), f"v{position}_op")
        if node.children:
            self.edge(f"v{position}_op", f"v{position}")


# ---------------------------------------------------------------- scopes and clusters


def _places(order: list[Value]) -> dict[Value, tuple[str, ...]]:
    """The cluster each Value is drawn in: its scope, with a point's pass in front.

    A Value computed in a scope is drawn there; when the model ran several
    times (a loss over several points), each run's Values go into a
    cluster of their own, ("point 2", "layers.0", "neurons.3"). A leaf
    used in exactly one cluster is drawn there, beside its only users (a
    parameter is made when its module is built, outside any scope, but
    belongs with the neuron that uses it); the numbers fed to one run are
    drawn in that run's cluster.
    """
    passes = module_passes(order)
    several = len(set(passes.values())) > 1
    places: dict[Value, tuple[str, ...]] = {}
    user_places: dict[Value, set[tuple[str, ...]]] = {}
    for node in order:
        if node in passes and several:
            places[node] = (f"point {passes[node]}",) + node.scope
        else:
            places[node] = node.scope
        for child in node.children:
            user_places.setdefault(child, set()).add(places[node])
    for node in order:
        if node.children:
            continue
        users = user_places.get(node, set())
        if len(users) == 1:
            places[node] = next(iter(users))
        elif several and users and len({place[:1] for place in users}) == 1:
            places[node] = next(iter(users))[:1]  # one point's input
    return places


class _ClusterTree:
    """One DOT cluster per scope prefix: ("layers.0",) holds ("layers.0", "neurons.3")."""

    def __init__(self, drawing: GraphDrawing, *, enabled: bool, scale: float) -> None:
        self.drawing = drawing
        self.enabled = enabled
        self.scale = scale
        self.clusters: dict[tuple[str, ...], graphviz.Digraph] = {}

    def graph_for(self, scope: tuple[str, ...]) -> Any:
        """The (sub)graph that nodes drawn in `scope` go into."""
        if not self.enabled or not scope:
            return self.drawing
        for depth in range(1, len(scope) + 1):
            prefix = scope[:depth]
            if prefix not in self.clusters:
                self.clusters[prefix] = graphviz.Digraph(
                    name=f"cluster_{len(self.clusters)}",
                    graph_attr={
                        "label": _plain_text(prefix[-1]),
                        # Top right: arrows come in from the left, never over the title.
                        "labeljust": "r",
                        "style": "rounded,dashed",
                        "color": CLUSTER_COLOUR,
                        "fontcolor": "#4b5563",
                        "fontsize": _points(14, self.scale),
                    },
                )
        return self.clusters[scope]

    def attach(self) -> None:
        """Put each cluster inside its parent, the deepest first (no recursion)."""
        # sorted() keeps clusters of one depth in the order they were made.
        for prefix in sorted(self.clusters, key=lambda prefix: -len(prefix)):
            parent = self.clusters.get(prefix[:-1], self.drawing)
            parent.subgraph(self.clusters[prefix])


# ---------------------------------------------------------------- the two drawings
#
# The order in which Graphviz stacks the boxes of one rank (one column, left
# to right) depends on how they are listed and on how their arrows cross.
# Every Value is drawn in the formula's order: the boxes are listed in graph
# order (x1 before w1 before x2), and `ordering=in` keeps the arrows into each
# operation in the order of its operands, so x1 * w1 has x1 above w1 (or to
# its left, top to bottom). The collapsed drawing lists its boxes last-first,
# which puts neuron 0 and x.0 at the top.


def _draw_every_value(
    order: list[Value],
    places: dict[Value, tuple[str, ...]],
    painter: _Painter,
    cluster_tree: _ClusterTree,
    edge_labels: bool,
) -> int:
    cluster_tree.drawing.attr("graph", ordering="in", ranksep=RANKSEP)
    for node in order:
        painter.value_node(cluster_tree.graph_for(places[node]), node)
    for node in order:
        painter.operation_edges(node, lambda child: f"v{painter.index[child]}", edge_labels)
    return len(order)


def _draw_collapsed(
    order: list[Value],
    places: dict[Value, tuple[str, ...]],
    painter: _Painter,
    cluster_tree: _ClusterTree,
    max_nodes: int | None,
) -> int:
    """One box per innermost scope; returns the number of boxes drawn."""
    members_of: dict[tuple[str, ...], list[Value]] = {}
    for node in order:
        if node.children and node.scope:
            members_of.setdefault(places[node], []).append(node)
    for node in order:
        if not node.children and places[node] in members_of:
            members_of[places[node]].append(node)  # a neuron's own weights
    group_names = {scope: f"g{number}" for number, scope in enumerate(members_of)}

    users: dict[Value, list[Value]] = {}
    for node in order:
        for child in node.children:
            users.setdefault(child, []).append(node)

    def hidden(node: Value) -> bool:
        """A parameter used only inside neurons: its arrow's colour and width show it."""
        return (
            not node.children
            and places[node] not in members_of
            and painter.role(node) == "parameter"
            and all(places[user] in members_of for user in users.get(node, []))
        )

    loose = [n for n in order if places[n] not in members_of and not hidden(n)]
    if max_nodes is not None and len(members_of) + len(loose) > max_nodes:
        raise ValueError(
            f"even collapsed, this graph has {len(members_of)} scopes and {len(loose)} other "
            f"Values, more than max_nodes={max_nodes}. Draw a smaller graph (e.g. one "
            "input point), or pass max_nodes=None to draw it anyway"
        )

    def unit(node: Value) -> str:
        """The DOT node that stands for `node`: its group's box, or its own box."""
        place = places[node]
        return group_names[place] if place in members_of else f"v{painter.index[node]}"

    used_outside: set[Value] = {painter.root}
    for node in order:
        for child in node.children:
            if places[child] != places[node] or places[child] not in members_of:
                used_outside.add(child)

    for scope in reversed(list(members_of)):
        members = members_of[scope]
        outputs = [node for node in members if node in used_outside and node.children]
        graph = cluster_tree.graph_for(scope[:-1])
        painter.group_box(graph, group_names[scope], scope, members, outputs)
    for node in loose:
        painter.value_node(cluster_tree.graph_for(places[node]), node)

    # Each connection into a neuron carries a weight: the local derivative of
    # the neuron's sum with respect to that input (w_i in w_i * x_i).
    weights: dict[tuple[str, str], float] = {}
    for node in order:
        if places[node] in members_of:
            head = group_names[places[node]]
            for child, local in zip(node.children, node.local_grads):
                tail = unit(child)
                if tail != head and not hidden(child):
                    weights[(tail, head)] = weights.get((tail, head), 0.0) + local
        else:
            painter.operation_edges(node, unit, edge_labels=False)
    largest = max((abs(weight) for weight in weights.values()), default=0.0)
    for (tail, head), weight in weights.items():
        painter.edge(
            tail,
            head,
            color=weight_colour(weight),
            penwidth=weight_width(weight, largest),
            arrowsize="0.5",
        )
    if weights:
        cluster_tree.drawing.attr(
            "graph",
            # Room between the layers for their arrows, little between the neurons.
            ranksep="1.6",
            nodesep="0.12",
            label="arrows: blue = positive weight, red = negative, thicker = larger",
            labelloc="b",
            fontcolor="#4b5563",
        )
    return len(members_of) + len(loose)
