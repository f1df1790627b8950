"""Pictures of a computation graph: `draw()` builds the Graphviz drawing.

`draw(root)` draws the graph that produced `root`, the way micrograd made
famous: one record box per Value (its label, data and grad) and, in front
of each computed Value, a small oval with the operation that made it.
Arrows run from inputs to outputs, left to right.

>>> from engine import Value
>>> x = Value(2.0, label="x")
>>> w = Value(-3.0, label="w")
>>> y = (x * w).tanh()
>>> drawing = draw(y)
>>> print(drawing.source)  # doctest: +ELLIPSIS
digraph computation_graph {
	graph [fontname=Helvetica rankdir=LR]
	node [fontname=Helvetica fontsize=11]
	edge [fontname=Helvetica fontsize=9]
	v0 [label="{ x | data 2.0000 | grad ? }" fillcolor="#dbeafe" shape=record style=filled]
	v1 [label="{ w | data -3.0000 | grad ? }" fillcolor="#fef3c7" shape=record style=filled]
	v2 [label="{ #2 | data -6.0000 | grad ? }" fillcolor="#ffffff" shape=record style=filled]
	v2_op [label="*" ...shape=ellipse style=filled]
	v3 [label="{ #3 | data -1.0000 | grad ? }" fillcolor="#dcfce7" shape=record style=filled]
	v3_op [label=tanh ...shape=ellipse style=filled]
	v0 -> v2_op
	v1 -> v2_op
	v2_op -> v2
	v2 -> v3_op
	v3_op -> v3
}
<BLANKLINE>

"grad ?" says that no gradient has been computed yet: `draw()` decides
this by looking for a non-zero `grad` anywhere in the graph (`backward()`
always leaves d(root)/d(root) = 1 on the root). Pass `grads_computed=True`
or `False` to say it yourself.

The node names (`v0`, `v1`, ...) and the `#2` of an unlabelled Value are
positions in `engine.topological_order(root)`, so the same program draws
byte-for-byte the same DOT source every time. The drawing is a
`graphviz.Digraph` that renders with no system Graphviz installed (see
`engine/render.py`), displays itself in Jupyter, and saves with
`engine.render.save_drawing(drawing, "graph.svg")`.

`engine.tree.text_tree(root)` (also `root.tree()`) prints the same graph as indented text.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Iterable, Union, overload

import graphviz

from engine.graph import topological_order
from engine.render import RENDER_FORMATS, render_dot, save_drawing
from engine.tree import (
    DEFAULT_MAX_NODES,
    check_max_nodes,
    check_number_format,
    backward_has_run,
    number_text,
)
from engine.value import Value

__all__ = ["GraphDrawing", "draw"]

DIRECTIONS = ("LR", "RL", "TB", "BT")
FIELDS = ("label", "data", "grad")

# Fill colours, one per role: what a student should tell apart at a glance.
ROLE_COLOURS = {
    "input": "#dbeafe",  # light blue: data you feed in
    "parameter": "#fef3c7",  # light yellow: weights and biases, what training changes
    "intermediate": "#ffffff",  # white: everything computed on the way
    "output": "#dcfce7",  # light green: the result (often the loss)
}
HIGHLIGHT_COLOUR = "#fed7aa"  # orange: e.g. nodes whose grad the stepper has finished
CURRENT_COLOUR = "#fca5a5"  # red: the node the stepper is at now
CLUSTER_COLOUR = "#9ca3af"

# A leaf is drawn as a parameter when its last name part is w, b, weight or bias,
# maybe numbered: "w", "w1", "b", "w.0", "layers.0.neurons.3.w.1", "layers.1.b".
PARAMETER_LABEL = re.compile(r"(?:.*\.)?(?:w|b|weight|bias)\d*(?:\.\d+)?")



class GraphDrawing(graphviz.Digraph):
    """A `graphviz.Digraph` that renders without a system Graphviz installed.

    Everything `graphviz.Digraph` offers still works (`.source`, `.node()`,
    `.edge()`, ...). Three things change:

    - `.pipe(format="svg")` and `.pipe(format="png")` use `engine.render`:
      a system `dot` if there is one on PATH, else the bundled `graphviz-pure`.
    - `.render(...)` writes only the picture, never a DOT file beside it.
    - Jupyter shows it as SVG (`_repr_mimebundle_`, also `_repr_svg_`).
    """

    @overload
    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: None = None,
    ) -> bytes: ...

    @overload
    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str,
    ) -> str: ...

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> Union[bytes, str]:
        """The drawing rendered as bytes, or as text if `encoding` is given.

        >>> from engine import Value
        >>> draw(Value(1.0, label="x")).pipe(format="png")[:4]
        b'\\x89PNG'
        """
        if renderer is not None or formatter is not None or neato_no_op is not None:
            raise ValueError(
                "stepgrad's renderer takes only format= (and engine=); "
                f"got renderer={renderer!r}, formatter={formatter!r}, "
                f"neato_no_op={neato_no_op!r}: leave them out"
            )
        picture = render_dot(self.source, format or self.format, engine=engine)
        if encoding is not None:
            return picture.decode(encoding)
        return picture

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """Write the rendered picture to a file and return its path.

        With `outfile="graph.png"` the suffix picks the format. Otherwise the
        picture goes where `graphviz` would put it: `filename` (by default
        `computation_graph.gv`) plus "." and `format` (by default "svg"), in
        `directory`. Unlike plain `graphviz`, no DOT source file is written
        beside the picture (so `cleanup` has nothing to clean); use
        `save_drawing(drawing, "graph.dot")` when you want the DOT text.
        """
        if renderer is not None or formatter is not None or neato_no_op is not None:
            raise ValueError(
                "stepgrad's renderer takes only format= (or outfile=); "
                f"got renderer={renderer!r}, formatter={formatter!r}, "
                f"neato_no_op={neato_no_op!r}: leave them out"
            )
        folder = os.fspath(directory) if directory is not None else self.directory
        if outfile is not None:
            target = os.path.join(folder, os.fspath(outfile))
        else:
            chosen_format = format or self.format
            if chosen_format not in RENDER_FORMATS:
                raise ValueError(
                    f"cannot render format {chosen_format!r}: "
                    f"choose one of {', '.join(RENDER_FORMATS)}"
                )
            name = os.fspath(filename) if filename is not None else self.filename
            target = os.path.join(folder, f"{name}.{chosen_format}")
        if raise_if_result_exists and os.path.exists(target):
            raise FileExistsError(f"will not overwrite {target!r} (raise_if_result_exists=True)")
        save_drawing(self, target)
        if view or quiet_view:
            picture_format = os.path.splitext(target)[1].lstrip(".")
            self._view(target, format=picture_format, quiet=quiet_view)
        return target

    def _repr_svg_(self) -> str:
        """The drawing as SVG text, for notebook front ends that ask for it."""
        return self._repr_image_svg_xml()



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
) -> GraphDrawing:
    """Draw the graph that produced `root` (returns a `GraphDrawing`).

    Options:

    - `direction`: "LR" (left to right, the default), "RL", "TB" or "BT".
    - `show`: which fields each box shows, any of "label", "data", "grad".
      An unlabelled Value shows its place in the graph order, e.g. `#7`.
    - `number_format`: a format spec for numbers, e.g. ".4f" or ".3g".
    - `colour_by_role`: fill inputs blue, parameters yellow, intermediates
      white and the output green. A leaf is a parameter if it is in
      `parameters` (e.g. `model.parameters()`) or if its label looks like
      one: "w", "w1", "b", "bias", "layers.0.neurons.3.w.1", ...
    - `edge_labels`: label each arrow into an operation with the local
      derivative d(out)/d(in) stored by that operation.
    - `highlight`: a Value or Values drawn in orange (e.g. the nodes whose
      grad is finished), and `current`: one Value drawn in red (e.g. the
      node the stepper is at).
    - `clusters`: group Values made inside `engine.scope(...)` blocks (as
      `nn` modules make them) into nested boxes, e.g. layer > neuron. A leaf
      used only inside one scope (a neuron's weights) is drawn inside it.
    - `collapse`: draw each innermost scope (each neuron) as one box with
      its output's data and grad. `None` (the default) collapses only a graph
      with more than `max_nodes` Values that has scopes.
    - `max_nodes`: the most Values drawn one by one (default 500); a bigger
      graph without scopes raises an error instead of a picture that takes
      minutes to lay out. `None` means no limit.
    - `grads_computed`: whether to show grads or "grad ?". By default grads
      count as computed when `root.grad` is not 0 (backward() leaves it at 1).

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
    >>> draw(square, direction="up")
    Traceback (most recent call last):
    ...
    ValueError: direction='up' is not a choice: use one of 'LR', 'RL', 'TB', 'BT'
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() needs a Value, not {type(root).__name__} {root!r}")
    _check_choice("direction", direction, DIRECTIONS)
    fields = _check_fields(show)
    check_number_format(number_format)
    if collapse not in (True, False, None):
        raise ValueError(f"collapse={collapse!r} is not a choice: use True, False or None")
    check_max_nodes(max_nodes)

    order = topological_order(root)
    index = {node: position for position, node in enumerate(order)}
    highlighted = _nodes_in_graph("highlight", highlight, index)
    if current is not None and current not in index:
        raise ValueError(f"current={current!r} is not in the graph of the Value being drawn")
    parameter_set = _values("parameters", parameters)

    has_scopes = any(node.scope for node in order)
    too_big = max_nodes is not None and len(order) > max_nodes
    if collapse is None:
        collapse = has_scopes and too_big
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
        # Graphviz lays a record's fields out across the direction of the graph:
        # braces turn them back into one row when the graph runs left to right.
        brace=direction in ("LR", "RL"),
    )
    drawing = GraphDrawing(
        name="computation_graph",
        filename="computation_graph.gv",
        format="svg",
        graph_attr={"rankdir": direction, "fontname": "Helvetica"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )
    places = _places(order)
    cluster_tree = _ClusterTree(drawing, enabled=clusters)
    if collapse:
        _draw_collapsed(order, places, painter, cluster_tree, edge_labels, max_nodes)
    else:
        _draw_every_value(order, places, painter, cluster_tree, edge_labels)
    cluster_tree.attach()
    for tail, head, label in painter.edges:
        drawing.edge(tail, head, label=label)
    return drawing


# ---------------------------------------------------------------- option checks


def _check_choice(option: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{option}={value!r} is not a choice: use one of {listed}")


def _check_fields(show: Iterable[str]) -> tuple[str, ...]:
    if isinstance(show, str):
        show = (show,)
    chosen = tuple(show)
    for field in chosen:
        _check_choice("show", field, FIELDS)
    if not chosen:
        raise ValueError(f"show=() shows nothing: name at least one of {', '.join(FIELDS)}")
    # Boxes always list fields in the same order, whatever order they were asked in.
    return tuple(field for field in FIELDS if field in chosen)


def _values(option: str, values: Iterable[Value]) -> set[Value]:
    chosen = set()
    for value in values:
        if not isinstance(value, Value):
            raise TypeError(
                f"{option} must hold Values, not {type(value).__name__} {value!r}"
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


def is_parameter_label(label: str) -> bool:
    """Whether a label looks like a parameter's name (w, w1, b, bias, layers.0.w.3, ...).

    >>> [is_parameter_label(name) for name in ("w1", "b", "layers.1.neurons.0.w.2", "x1")]
    [True, True, True, False]
    """
    return PARAMETER_LABEL.fullmatch(label) is not None


class _Painter:
    """Turns Values (and collapsed groups) into DOT node and edge statements."""

    def __init__(
        self,
        *,
        index: dict[Value, int],
        root: Value,
        fields: tuple[str, ...],
        number_format: str,
        grads_computed: bool,
        colour_by_role: bool,
        parameters: set[Value],
        highlighted: set[Value],
        current: Value | None,
        brace: bool,
    ) -> None:
        self.index = index
        self.root = root
        self.fields = fields
        self.number_format = number_format
        self.grads_computed = grads_computed
        self.colour_by_role = colour_by_role
        self.parameters = parameters
        self.highlighted = highlighted
        self.current = current
        self.brace = brace
        # (tail, head, label) of every arrow, added to the drawing after all nodes.
        self.edges: list[tuple[str, str, str | None]] = []

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

    def record(self, parts: list[str]) -> str:
        text = " | ".join(_record_text(part) for part in parts)
        return f"{{ {text} }}" if self.brace else text

    def box_style(self, role: str, is_current: bool, is_highlighted: bool) -> dict[str, str]:
        style = {"shape": "record", "style": "filled"}
        style["fillcolor"] = ROLE_COLOURS[role] if self.colour_by_role else "#ffffff"
        if is_highlighted:
            style["fillcolor"] = HIGHLIGHT_COLOUR
            style["penwidth"] = "2"
        if is_current:
            style["fillcolor"] = CURRENT_COLOUR
            style["penwidth"] = "3"
            style["color"] = "#b91c1c"
        return style

    def value_node(self, graph: Any, node: Value) -> None:
        position = self.index[node]
        parts = []
        if "label" in self.fields:
            parts.append(node.label or f"#{position}")
        parts.extend(self.data_and_grad(node))
        style = self.box_style(
            self.role(node), node is self.current, node in self.highlighted
        )
        graph.node(f"v{position}", graphviz.nohtml(self.record(parts)), **style)
        if node.children:
            graph.node(
                f"v{position}_op",
                graphviz.nohtml(_plain_text(node.op or "op")),
                shape="ellipse",
                style="filled",
                fillcolor="#f3f4f6",
                fontsize="10",
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
            parts.append(f"{scope[-1]} [{operations}], {len(members)} values")
        if len(outputs) == 1:
            parts.extend(self.data_and_grad(outputs[0]))
        else:
            for output in outputs:
                described = "  ".join(self.data_and_grad(output))
                parts.append(f"#{self.index[output]} {described}".strip())
        role = "output" if self.root in members else "intermediate"
        is_current = self.current is not None and self.current in members
        is_highlighted = any(output in self.highlighted for output in outputs)
        style = self.box_style(role, is_current, is_highlighted)
        style["style"] = "filled,rounded"
        graph.node(name, graphviz.nohtml(self.record(parts)), **style)

    def edge(self, tail: str, head: str, label: str | None = None) -> None:
        self.edges.append((tail, head, label))

    def operation_edges(
        self, node: Value, tail_of: Callable[[Value], str], edge_labels: bool
    ) -> None:
        """Arrows from each input of `node` (one per use) to its op, then op -> `node`."""
        position = self.index[node]
        for child, local in zip(node.children, node.local_grads):
            label = self.local_grad_label(local) if edge_labels else None
            self.edge(tail_of(child), f"v{position}_op", label)
        if node.children:
            self.edge(f"v{position}_op", f"v{position}")

    def local_grad_label(self, local: float) -> str:
        return f"local {number_text(local, self.number_format)}"


# ---------------------------------------------------------------- scopes and clusters


def _places(order: list[Value]) -> dict[Value, tuple[str, ...]]:
    """The scope each Value is drawn in.

    A Value's own scope, except for a leaf made outside any scope (a
    parameter is made when its module is built, not when it runs) that is
    used in exactly one scope: it is drawn there, beside its only users.
    """
    user_scopes: dict[Value, set[tuple[str, ...]]] = {}
    for node in order:
        for child in node.children:
            user_scopes.setdefault(child, set()).add(node.scope)
    places = {}
    for node in order:
        place = node.scope
        if not place and not node.children:
            scopes = user_scopes.get(node, set())
            if len(scopes) == 1:
                place = next(iter(scopes))
        places[node] = place
    return places


class _ClusterTree:
    """One DOT cluster per scope prefix: ("layers.0",) holds ("layers.0", "neurons.3")."""

    def __init__(self, drawing: GraphDrawing, *, enabled: bool) -> None:
        self.drawing = drawing
        self.enabled = enabled
        self.clusters: dict[tuple[str, ...], GraphDrawing] = {}

    def graph_for(self, scope: tuple[str, ...]) -> Any:
        """The (sub)graph that nodes drawn in `scope` go into."""
        if not self.enabled or not scope:
            return self.drawing
        for depth in range(1, len(scope) + 1):
            prefix = scope[:depth]
            if prefix not in self.clusters:
                self.clusters[prefix] = GraphDrawing(
                    name=f"cluster_{len(self.clusters)}",
                    graph_attr={
                        "label": _plain_text(prefix[-1]),
                        "style": "rounded,dashed",
                        "color": CLUSTER_COLOUR,
                        "fontcolor": "#4b5563",
                    },
                )
        return self.clusters[scope]

    def attach(self) -> None:
        """Put each cluster inside its parent, the deepest first (no recursion)."""
        made_order = {prefix: number for number, prefix in enumerate(self.clusters)}
        for prefix in sorted(self.clusters, key=lambda p: (-len(p), made_order[p])):
            parent = self.clusters.get(prefix[:-1], self.drawing)
            parent.subgraph(self.clusters[prefix])


# ---------------------------------------------------------------- the two drawings


def _draw_every_value(
    order: list[Value],
    places: dict[Value, tuple[str, ...]],
    painter: _Painter,
    cluster_tree: _ClusterTree,
    edge_labels: bool,
) -> None:
    for node in order:
        painter.value_node(cluster_tree.graph_for(places[node]), node)
    for node in order:
        painter.operation_edges(node, lambda child: f"v{painter.index[child]}", edge_labels)


def _draw_collapsed(
    order: list[Value],
    places: dict[Value, tuple[str, ...]],
    painter: _Painter,
    cluster_tree: _ClusterTree,
    edge_labels: bool,
    max_nodes: int | None,
) -> None:
    members_of: dict[tuple[str, ...], list[Value]] = {}
    for node in order:
        if places[node]:
            members_of.setdefault(places[node], []).append(node)

    def first_computed(scope: tuple[str, ...]) -> int:
        """Where the scope's first operation sits in the graph order (the layer 0
        neurons compute first, though a later layer's weights may be listed first)."""
        members = members_of[scope]
        computed = [painter.index[node] for node in members if node.children]
        return min(computed) if computed else painter.index[members[0]]

    groups = {scope: members_of[scope] for scope in sorted(members_of, key=first_computed)}
    group_names = {scope: f"g{number}" for number, scope in enumerate(groups)}
    loose = [node for node in order if not places[node]]
    if max_nodes is not None and len(groups) + len(loose) > max_nodes:
        raise ValueError(
            f"even collapsed, this graph has {len(groups)} scopes and {len(loose)} other "
            f"Values, more than max_nodes={max_nodes}. Draw a smaller graph (e.g. one "
            "input point), or pass max_nodes=None to draw it anyway"
        )

    def unit(node: Value) -> str:
        """The DOT node that stands for `node`: its group's box, or its own box."""
        place = places[node]
        return group_names[place] if place else f"v{painter.index[node]}"

    used_outside: set[Value] = {painter.root}
    for node in order:
        for child in node.children:
            if places[child] != places[node] or not places[child]:
                used_outside.add(child)

    for scope, members in groups.items():
        outputs = [node for node in members if node in used_outside]
        graph = cluster_tree.graph_for(scope[:-1])
        painter.group_box(graph, group_names[scope], scope, members, outputs)
    for node in loose:
        painter.value_node(cluster_tree.graph_for(()), node)

    drawn_group_edges: set[tuple[str, str]] = set()
    for node in order:
        if places[node]:
            head = group_names[places[node]]
            for child in node.children:
                tail = unit(child)
                if tail != head and (tail, head) not in drawn_group_edges:
                    drawn_group_edges.add((tail, head))
                    painter.edge(tail, head)
        else:
            painter.operation_edges(node, unit, edge_labels)
