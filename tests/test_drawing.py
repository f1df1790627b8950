"""The drawing (engine/views/drawing.py): DOT source, options, clusters, big graphs, text tree."""

from __future__ import annotations

import html
import io
import re

import graphviz
import pytest

from engine import Value, scope, topological_order
from engine.graph import node_names
from engine.views.drawing import GraphDrawing, draw, is_parameter_label
from engine.views.render import render_dot
from engine.views.stepper import Stepper
from engine.views.tree import text_tree


def neuron() -> tuple[Value, dict[str, Value]]:
    """micrograd's neuron: tanh(x1*w1 + x2*w2 + b), its output 0.7071."""
    inputs = {
        "x1": Value(2.0, label="x1"),
        "x2": Value(0.0, label="x2"),
        "w1": Value(-3.0, label="w1"),
        "w2": Value(1.0, label="w2"),
        "b": Value(6.8813735870195432, label="b"),
    }
    total = inputs["x1"] * inputs["w1"] + inputs["x2"] * inputs["w2"] + inputs["b"]
    total.label = "n"
    output = total.tanh()
    output.label = "o"
    return output, inputs


def node_line(source: str, name: str) -> str:
    """The DOT statement that defines node `name`."""
    lines = [line for line in source.splitlines() if re.match(rf"\s*{name} \[", line)]
    assert len(lines) == 1, (name, lines)
    return lines[0]


def edges(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if "->" in line]


def scoped_layer(width: int = 3, inputs: int = 2) -> Value:
    """A small one-layer 'network' built with engine.scope, as nn modules do."""
    xs = [Value(0.5 * (i + 1), label=f"x{i}") for i in range(inputs)]
    # Parameters are made outside any scope (as nn makes them, when a module is built).
    weights = [
        [Value(0.1 * (n + i + 1), label=f"w{i}") for i in range(inputs)] for n in range(width)
    ]
    outputs = []
    with scope("layers.0"):
        for n in range(width):
            with scope(f"neurons.{n}"):
                pairs = zip(weights[n], xs)
                total = sum((w * x for w, x in pairs), Value(0.0, label="b"))
                outputs.append(total.tanh())
    return sum(outputs, Value(0.0))


# ------------------------------------------------------------------ the DOT source


def test_draw_returns_a_digraph_with_one_box_and_one_op_node_per_value() -> None:
    output, _ = neuron()
    drawing = draw(output)
    assert isinstance(drawing, graphviz.Digraph) and isinstance(drawing, GraphDrawing)
    source = drawing.source
    order = topological_order(output)
    for position, node in enumerate(order):
        box = node_line(source, f"v{position}")
        assert "shape=record" in box
        assert f"data {node.data:.4f}" in box
        if node.children:
            op_line = node_line(source, f"v{position}_op")
            assert re.search(rf'label="?{re.escape(node.op)}"? ', op_line)
    assert "rankdir=LR" in source
    assert 'label="x1 | data 2.0000 | grad ?"' in source  # stacked: name, data, grad
    assert 'label="o | data 0.7071 | grad ?"' in source


def test_edges_follow_the_operations() -> None:
    output, _ = neuron()
    source = draw(output).source
    order = topological_order(output)
    position = {node: i for i, node in enumerate(order)}
    expected = []
    for node in order:
        for child in node.children:
            expected.append(f"v{position[child]} -> v{position[node]}_op")
        if node.children:
            expected.append(f"v{position[node]}_op -> v{position[node]}")
    assert edges(source) == expected


def test_a_reused_input_gets_one_edge_per_use() -> None:
    a = Value(3.0, label="a")
    square = a * a
    assert edges(draw(square).source) == ["v0 -> v1_op", "v0 -> v1_op", "v1_op -> v1"]
    b = a + a
    c = b * b
    assert edges(draw(c).source).count("v1 -> v2_op") == 2


def test_grads_show_after_backward_and_are_marked_unknown_before() -> None:
    output, inputs = neuron()
    assert "grad 0.0000" not in draw(output).source
    assert draw(output).source.count("grad ?") == len(topological_order(output))
    output.backward()
    source = draw(output).source
    assert "grad ?" not in source
    assert 'label="x1 | data 2.0000 | grad -1.5000"' in source
    assert 'label="o | data 0.7071 | grad 1.0000"' in source
    output.zero_grad()
    assert "grad ?" in draw(output).source
    assert "grad ?" not in draw(output, grads_computed=True).source
    output.backward()
    assert draw(output, grads_computed=False).source.count("grad ?") == 10


def test_fields_direction_and_number_format() -> None:
    output, _ = neuron()
    output.backward()
    source = draw(output, show=("data",), number_format=".2f", direction="TB").source
    assert "rankdir=TB" in source
    assert 'label="data 2.00"' in source
    assert "grad" not in source and "x1" not in source
    # Fields come in their usual order, whatever order they are asked in.
    source = draw(output, show=("grad", "label")).source
    assert 'label="x1 | grad -1.5000"' in source


def test_roles_are_coloured() -> None:
    output, inputs = neuron()
    source = draw(output).source
    assert 'fillcolor="#dbeafe"' in node_line(source, "v0")  # x1: input
    assert 'fillcolor="#fef3c7"' in node_line(source, "v1")  # w1: parameter (by its label)
    assert 'fillcolor="#ffffff"' in node_line(source, "v2")  # x1*w1: intermediate
    last = len(topological_order(output)) - 1
    assert 'fillcolor="#dcfce7"' in node_line(source, f"v{last}")  # the output
    # An explicit parameters= set makes any leaf a parameter.
    source = draw(output, parameters=[inputs["x1"]]).source
    assert 'fillcolor="#fef3c7"' in node_line(source, "v0")
    # And colours can be switched off.
    assert "#dbeafe" not in draw(output, colour_by_role=False).source


def test_parameter_labels() -> None:
    names = ["w", "w1", "b", "bias", "weight", "w.0", "layers.0.neurons.3.w.1", "layers.1.b"]
    assert all(is_parameter_label(name) for name in names)
    assert not any(is_parameter_label(name) for name in ["x", "x1", "loss", "bw", "", "web"])


def test_edge_labels_are_the_local_derivatives() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    product = a * b
    source = draw(product, edge_labels=True).source
    # No `decorate`: its line from label to arrow read as a strike-through.
    assert 'v0 -> v2_op [label="local -3.0000   "]' in source  # d(a*b)/da = b
    assert 'v1 -> v2_op [label="local 2.0000   "]' in source  # d(a*b)/db = a
    assert "local" not in draw(product).source


def test_highlight_and_current() -> None:
    output, inputs = neuron()
    source = draw(output, highlight={inputs["x1"], inputs["w1"]}, current=output).source
    assert "#fed7aa" in node_line(source, "v0") and "#fed7aa" in node_line(source, "v1")
    last = len(topological_order(output)) - 1
    assert "#fca5a5" in node_line(source, f"v{last}")
    assert "#fed7aa" not in node_line(source, "v2")
    # A single Value works too (the stepper passes the node of its last step).
    assert "#fed7aa" in node_line(draw(output, highlight=inputs["b"]).source, "v7")


def test_ids_come_from_graph_order_and_source_is_byte_identical() -> None:
    first = draw(neuron()[0], edge_labels=True).source
    second = draw(neuron()[0], edge_labels=True).source
    assert first == second
    first_layer = draw(scoped_layer(), collapse=True).source
    assert first_layer == draw(scoped_layer(), collapse=True).source
    assert not re.search(r"\d{6,}", first)  # no id()-like numbers anywhere


def test_labels_with_dot_special_characters_are_escaped() -> None:
    weird = Value(1.0, label='a{b}|<c> "d" \\')
    source = draw(weird * 2).source
    assert r'label="#0 = a\{b\}\|\<c\> \"d\" \\ | data 1.0000 | grad ?"' in source
    assert draw(weird * 2).pipe(format="svg").startswith(b"<?xml")  # and it renders


# ------------------------------------------------------------------ bad options


@pytest.mark.parametrize(
    "options, message",
    [
        ({"direction": "up"}, "'up'; choose one of 'LR', 'RL', 'TB', 'BT'"),
        ({"show": ("label", "value")}, "'value'; choose one of 'label', 'data', 'grad'"),
        ({"show": ()}, "name at least one of label, data, grad"),
        ({"number_format": "xyz"}, "'.4f'"),
        ({"number_format": 4}, "'.4f'"),
        ({"collapse": "yes"}, "'yes'; choose one of True, False, None"),
        ({"stacked": "yes"}, "'yes'; choose one of True, False, None"),
        ({"max_nodes": 0}, "max_nodes must be a whole number >= 1, not 0; or None"),
        ({"highlight": [Value(1.0)]}, "not in the graph"),
        ({"current": Value(1.0)}, "not in the graph"),
    ],
)
def test_bad_options_name_the_valid_choices(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        draw(neuron()[0], **options)


def test_bad_arguments_are_type_errors() -> None:
    with pytest.raises(TypeError, match="needs a Value, not float"):
        draw(1.0)
    with pytest.raises(TypeError, match="parameters must hold Values"):
        draw(neuron()[0], parameters=[1.0])
    with pytest.raises(TypeError, match="needs a Value"):
        text_tree("x")


# ------------------------------------------------------------------ scopes and clusters


def cluster_text(source: str, label: str) -> str:
    """The DOT text of the cluster titled `label`, up to its closing brace."""
    lines = source.splitlines()
    start = next(i for i, line in enumerate(lines) if f'label="{label}"' in line) - 1
    depth = len(lines[start]) - len(lines[start].lstrip("\t"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == "\t" * depth + "}")
    return "\n".join(lines[start : end + 1])


def test_scopes_become_nested_clusters() -> None:
    source = draw(scoped_layer(width=2)).source
    assert source.count("subgraph cluster_") == 3  # layers.0 > neurons.0, neurons.1
    layer = cluster_text(source, "layers.0")
    assert 'label="neurons.0"' in layer and 'label="neurons.1"' in layer  # nested
    # Each neuron's weights are drawn inside it (they are used only there).
    # Both neurons label a weight w0: a name names one node, so each is
    # called by its number (as the Stepper calls it), and shows its label.
    first, second = cluster_text(source, "neurons.0"), cluster_text(source, "neurons.1")
    assert "= w0 |" in first and "= w1 |" in first and "= w0 |" in second
    # The shared inputs stay outside every cluster.
    assert '"x0 |' not in layer and '"x0 |' in source
    assert "subgraph" not in draw(scoped_layer(width=2), clusters=False).source


def test_weights_inside_a_neuron_are_called_by_their_short_names() -> None:
    from nn.layers import MLP

    model = MLP(2, [2, 1], seed=0)
    output = model([0.5, -0.3])
    source = draw(output).source
    neuron = cluster_text(source, "neurons.1")
    assert '"w.0 |' in neuron and '"w.1 |' in neuron and '"b |' in neuron
    assert "layers.0.neurons" not in source
    # Without clusters, nothing says which neuron: the whole name is kept.
    assert "layers.0.neurons.1.w.0" in draw(output, clusters=False).source


def test_numbers_fed_to_a_model_are_named_x_0_x_1() -> None:
    from nn.layers import MLP, Neuron

    neuron = Neuron(2, activation="tanh", seed=0)
    output = neuron([2.0, -1.0])
    assert '"x.0 | data 2.0000 |' in draw(output).source
    assert '"x.1 | data -1.0000 |' in draw(output).source
    assert "#2 x.0  data 2.0000" in text_tree(output)
    fused = MLP(2, [3, 1], seed=0, fused=True)([4.0, 5.0])
    source = draw(fused).source
    assert '"x.0 | data 4.0000 |' in source and '"x.1 | data 5.0000 |' in source
    # A constant of the formula itself keeps no name.
    a = Value(2.0, label="a")
    assert "#1  data 3.0000" in text_tree(a * 3.0)


def boxes_along(axis: str, svg: bytes, names: list[str]) -> list[str]:
    """The boxes whose text starts with `names`, in the picture's order along
    `axis`: "y" from the top down, "x" from the left."""
    text = svg.decode()
    places = {}
    for name in names:
        match = re.search(rf'{axis}="(-?[\d.]+)"[^>]*>(#\d+ = )?{re.escape(name)}</text>', text)
        assert match, name
        places[name] = float(match.group(1))
    return sorted(names, key=places.__getitem__)


def stacking_order(svg: bytes, names: list[str]) -> list[str]:
    """The boxes named `names`, from the top of the picture down."""
    return boxes_along("y", svg, names)


def test_neurons_and_inputs_are_drawn_in_index_order() -> None:
    from nn.layers import MLP

    model = MLP(2, [8, 8, 1], seed=0, fused=True)
    output = model([0.5, -0.3])
    output.backward()
    svg = draw(output, collapse=True).pipe(format="svg")
    neurons = [f"neurons.{i} relu" for i in range(8)]
    assert stacking_order(svg, neurons) == neurons
    assert stacking_order(svg, ["x.0", "x.1"]) == ["x.0", "x.1"]


def test_collapsed_connections_show_their_weight_by_colour_and_width() -> None:
    from nn.layers import MLP

    model = MLP(2, [3, 1], seed=0, fused=True)
    source = draw(model([0.5, -0.3]), collapse=True).source
    connections = [line.strip() for line in edges(source) if "penwidth" in line]
    assert len(connections) == 2 * 3 + 3  # inputs -> layer 0, layer 0 -> the output
    weights = [p.data for name, p in model.named_parameters() if ".w." in name]
    largest = max(abs(weight) for weight in weights)
    for neuron in range(3):  # layers.1.neurons.0.w.i reads neuron i of layer 0
        weight = model.layers[1].neurons[0].w[neuron].data
        line = next(c for c in connections if c.startswith(f"g{neuron} -> g3 "))
        assert ("#2563eb" if weight >= 0 else "#dc2626") in line  # blue +, red -
        width = float(re.search(r"penwidth=([\d.]+)", line).group(1))
        assert width == pytest.approx(0.5 + 4.5 * abs(weight) / largest, abs=0.01)
    assert "blue = positive weight, red = negative" in source


def test_a_batch_loss_collapses_one_pass_per_point() -> None:
    from nn.layers import MLP
    from nn.losses import hinge_loss

    model = MLP(2, [4, 4, 1], seed=0)
    points = [[0.1 * i, -0.2 * i] for i in range(5)]
    loss = hinge_loss([model(point) for point in points], [1, -1, 1, -1, 1])
    loss.backward()
    source = draw(loss, collapse=True).source
    for point in range(5):
        one_pass = cluster_text(source, f"point {point}")
        assert one_pass.count("neurons.0 relu") == 2  # layers 0 and 1
        # Each point has its own x.0: a name names one node, so each is called by number.
        assert "= x.0 |" in one_pass and "= x.1 |" in one_pass
    assert len(re.findall(r"\n\s*g\d+ \[", source)) == 5 * (4 + 4 + 1)
    # One point draws no "point" box.
    assert "point 0" not in draw(model(points[0]), collapse=True).source


def test_collapsed_mode_draws_one_box_per_neuron() -> None:
    root = scoped_layer(width=3)
    root.backward()
    source = draw(root, collapse=True).source
    boxes = [line for line in source.splitlines() if re.match(r"\s*g\d+ \[", line)]
    assert len(boxes) == 3
    assert "neurons.0 tanh |" in boxes[-1]  # listed last: stacked from the bottom up
    tanh_output = [node for node in topological_order(root) if node.op == "tanh"][0]
    assert f"data {tanh_output.data:.4f}" in boxes[-1]
    assert f"grad {tanh_output.grad:.4f}" in boxes[-1]
    assert source.count("subgraph cluster_") == 1  # the layer; each neuron is a box
    # Inputs feed every neuron once; every neuron feeds the sum outside.
    x0 = re.search(r"(v\d+) \[label=\"x0 ", source).group(1)
    assert [edge.split(" [")[0] for edge in edges(source) if edge.startswith(f"{x0} ->")] == [
        f"{x0} -> g0",
        f"{x0} -> g1",
        f"{x0} -> g2",
    ]
    assert sum(edge.startswith("g") for edge in edges(source)) == 3


def test_collapse_needs_scopes() -> None:
    with pytest.raises(ValueError, match="engine.scope"):
        draw(neuron()[0], collapse=True)


def chain(length: int) -> Value:
    value = Value(0.5, label="x")
    for _ in range(length):
        value = value * 1.0001
    return value


def test_a_big_graph_without_scopes_raises_an_error_naming_the_options() -> None:
    big = chain(300)  # 601 Values
    with pytest.raises(ValueError, match=r"601 Values.*collapse=True.*max_nodes=None"):
        draw(big)
    assert draw(big, max_nodes=None).source.count("shape=record") == 601
    assert draw(big, max_nodes=1000).source.count("shape=record") == 601


def test_a_big_graph_with_scopes_collapses_by_itself() -> None:
    root = scoped_layer(width=80, inputs=3)
    assert len(topological_order(root)) > 500
    source = draw(root).source
    assert "neurons.79" in source and "v0_op" not in source
    assert len(re.findall(r"\n\s*g\d+ \[", source)) == 80
    with pytest.raises(ValueError, match="max_nodes"):
        draw(root, collapse=False)
    with pytest.raises(ValueError, match="even collapsed"):
        draw(root, max_nodes=50)


def test_a_deep_graph_draws_without_recursion() -> None:
    deep = chain(3000)
    assert draw(deep, max_nodes=None).source.count("->") == 3 * 3000  # 2 inputs + 1 op each
    assert text_tree(deep, max_nodes=None).count("\n") == 6000


def test_the_text_tree_of_a_big_graph_asks_for_a_smaller_part() -> None:
    with pytest.raises(ValueError, match="6001 Values, more than max_nodes=500.*max_nodes=None"):
        text_tree(chain(3000))


def test_a_tiny_gradient_never_shows_as_zero() -> None:
    x = Value(1e-5, label="x")
    y = x * x * 1000.0
    y.backward()
    tree = text_tree(y)
    assert "#0 x  data 1e-05  grad 0.02" in tree
    assert "data 0.0000" not in tree and "grad 0.0000" not in tree
    assert 'grad 0.0200' in draw(y).source


def test_a_new_graph_on_values_with_old_grads_shows_grads_not_computed() -> None:
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    (x * w).backward()  # x.grad and w.grad are now set by that graph
    y = x * w + 1.0
    assert "grad ?" in text_tree(y) and "grad -3" not in text_tree(y)
    assert "grad ?" in draw(y).source
    y.backward()
    assert "grad ?" not in text_tree(y)


def test_mlp_collapsed_by_neuron() -> None:
    from nn.layers import MLP

    model = MLP(2, [16, 16, 1], seed=0)
    output = model([0.5, -0.3])
    output.backward()
    drawing = draw(output)  # about 1000 Values: collapses by itself
    source = drawing.source
    assert len(re.findall(r"\n\s*g\d+ \[", source)) == 33
    assert source.count("subgraph cluster_") == 3
    assert f"grad {output.grad:.4f}" in source
    assert drawing.pipe(format="svg").count(b"<g id=\"node") >= 33
    values = len(topological_order(output))
    shown = f'<GraphDrawing, {values} Values in 35 boxes: to see it, .save("graph.png")>'
    assert repr(drawing) == shown  # inputs x.0, x.1 and 33 neurons
    assert draw(output).source == source


# ------------------------------------------------------------------ the text tree


def test_text_tree_prints_a_shared_subgraph_once() -> None:
    a = Value(2.0, label="a")
    b = a * 3.0
    c = b + b
    tree = text_tree(c)
    assert tree.splitlines() == [
        "#3 [+]  data 12.0000  grad ?",
        "├── #2 [*]  data 6.0000  grad ?",
        "│   ├── #0 a  data 2.0000  grad ?",
        "│   └── #1  data 3.0000  grad ?",
        "└── #2 [*] (see #2 above)",
    ]
    assert c.tree() == tree
    c.backward()
    assert "#0 a  data 2.0000  grad 6.0000" in c.tree()


def test_text_tree_is_stable_and_follows_the_drawings_numbers() -> None:
    output, _ = neuron()
    assert text_tree(output) == text_tree(neuron()[0])
    assert text_tree(output).splitlines()[0] == "#9 o [tanh]  data 0.7071  grad ?"
    assert text_tree(output, number_format=".2f").splitlines()[0].endswith("data 0.71  grad ?")


def test_a_tree_shows_as_a_tree_in_the_repl() -> None:
    a = Value(2.0, label="a")
    tree = (a * 3.0).tree()
    assert isinstance(tree, str)
    assert repr(tree) == str(tree) == (
        "#2 [*]  data 6.0000  grad ?\n"
        "├── #0 a  data 2.0000  grad ?\n"
        "└── #1  data 3.0000  grad ?"
    )


def test_a_wide_tree_narrows_to_fit_the_terminal() -> None:
    output, _ = neuron()
    wide = text_tree(output, width=200)
    assert max(len(line) for line in wide.splitlines()) > 40
    narrow = text_tree(output, width=40)
    assert max(len(line) for line in narrow.splitlines()) <= 40
    assert narrow.splitlines()[:2] == ["#9 o [tanh] d 0.7071 g ?", "└─#8 n [+] d 0.8814 g ?"]


def test_a_network_too_big_to_read_collapses_by_itself() -> None:
    from nn.layers import MLP

    fused = MLP(2, [16, 16, 1], seed=0, fused=True)([0.5, -0.3])  # 404 Values
    assert len(re.findall(r"\n\s*g\d+ \[", draw(fused).source)) == 33
    assert "g0 [" not in draw(fused, collapse=False).source  # asked for: every Value
    small = MLP(2, [2, 1], seed=0)([0.5, -0.3])  # 25 Values: each one drawn
    assert "g0 [" not in draw(small).source


def test_text_is_14_pt_and_scale_makes_it_bigger_for_the_back_row() -> None:
    output, _ = neuron()
    assert "node [fontname=Helvetica fontsize=14]" in draw(output).source
    assert "node [fontname=Helvetica fontsize=21]" in draw(output, scale=1.5).source
    with pytest.raises(ValueError, match="scale=0.*0.25 to 4"):
        draw(output, scale=0)


# ------------------------------------------------------------------ one name per node, everywhere
#
# Every name that the Stepper, the command line and the classroom (its step
# text and its quiz) give a node is written in the picture, in that node's
# box: the box's first line is the name (or starts with "#k = "), or, for a
# dotted parameter name inside clusters, the clusters around the box spell
# the rest of it (layers.0 > neurons.1 > w.0 is layers.0.neurons.1.w.0).

NAME_BEFORE_GRAD = re.compile(r"([\w.#]+)\.grad\b")
DERIVATIVE = re.compile(r"d\(([^()]+)\)/d\(([^()]+)\)")
NUMBER_NAME = re.compile(r"#\d+\b")


def names_in_text(text: str) -> set[str]:
    """Every node name a step, a quiz or a note uses: before .grad, in d(.)/d(.), #k."""
    found = set(NAME_BEFORE_GRAD.findall(text)) | set(NUMBER_NAME.findall(text))
    for pair in DERIVATIVE.findall(text):
        found.update(pair)
    return found


def svg_boxes(svg: bytes) -> tuple[dict[str, tuple[list[str], tuple[float, float]]], list]:
    """The boxes of a rendered drawing and its clusters, read from the SVG.

    Boxes: DOT node id (v3) -> (the texts drawn in it, its centre).
    Clusters: (title, (x0, y0, x1, y1)) for every cluster.
    """
    text = svg.decode()
    boxes = {}
    for match in re.finditer(r'<g id="node\d+" class="node[^"]*">(.*?)</g>', text, re.S):
        group = match.group(1)
        title = re.search(r"<title>(.*?)</title>", group).group(1)
        texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", group)]
        xs = [float(x) for x in re.findall(r'<text[^>]* x="(-?[\d.]+)"', group)]
        ys = [float(y) for y in re.findall(r'<text[^>]* y="(-?[\d.]+)"', group)]
        boxes[title] = (texts, (sum(xs) / len(xs), sum(ys) / len(ys)))
    clusters = []
    for match in re.finditer(r'<g id="clust\d+" class="cluster">(.*?)</g>', text, re.S):
        group = match.group(1)
        label = html.unescape(re.search(r"<text[^>]*>(.*?)</text>", group).group(1))
        outline = re.search(r'(?:points|d)="([^"]*)"', group).group(1)
        numbers = [float(n) for n in re.findall(r"-?[\d.]+", outline)]
        xs, ys = numbers[0::2], numbers[1::2]
        clusters.append((label, (min(xs), min(ys), max(xs), max(ys))))
    return boxes, clusters


def assert_names_drawn(names: set[str], root: Value, svg: bytes) -> None:
    """Each of `names` names one node of `root`'s graph, and is drawn in its box."""
    assert names, "no names found: the text is not what this test expects"
    order = topological_order(root)
    node_of = {name: node for node, name in node_names(order).items()}
    boxes, clusters = svg_boxes(svg)
    for name in names:
        assert name in node_of, f"{name!r} is not the name of a node"
        texts, (x, y) = boxes[f"v{order.index(node_of[name])}"]
        first = texts[0].split(" = ")[0]  # "#2 = x1*w1" shows the name #2
        if first == name:
            continue
        # A short name inside clusters: the clusters around the box say the rest.
        around = [((x1 - x0) * (y1 - y0), label) for label, (x0, y0, x1, y1) in clusters
                  if x0 <= x <= x1 and y0 <= y <= y1 and not label.startswith("point ")]
        # Outermost (largest) first, innermost last.
        spelled = ".".join([label for _, label in sorted(around, reverse=True)] + [first])
        assert name == spelled or name.endswith("." + spelled), (name, texts, around)


def test_every_name_of_the_stepper_is_drawn_in_its_box() -> None:
    from nn.layers import MLP, Neuron

    twins = Value(2.0, label="a") * Value(3.0, label="a")  # a label two nodes share
    a = Value(3.0, label="a")
    square = (a * a + 1.0).relu()
    neuron_output = Neuron(2, activation="tanh", seed=0)([2.0, -1.0])
    neuron_output.backward()  # old grads: the Stepper's note names the inputs
    network = MLP(2, [2, 1], seed=0)([0.5, -0.3])  # clusters: layers.0 > neurons.1
    noted: set[str] = set()
    for root in (neuron()[0], twins, square, neuron_output, network):
        stepper = Stepper(root)
        note = re.search(r"note: (.*?) already hold", stepper.stale_note(width=200))
        listed = re.split(r", | and ", note.group(1)) if note else []
        names = {name for name in listed if not name.endswith(" more")}  # "2 more"
        noted |= names
        names |= set(re.findall(r"Stepper\((.*?)\)", stepper.header()))
        while not stepper.finished:
            stepper.next()
            names |= names_in_text(stepper.last_step.text(width=200))
            assert_names_drawn(names, root, stepper.show().pipe(format="svg"))
    assert "x1" in names_in_text("x1.grad += #2.grad * d(#2)/d(x1)")  # the test reads names
    assert {"w.0", "x.0"} <= noted  # and the old grads' note names


def test_every_name_of_the_command_line_is_drawn_in_its_graph(tmp_path, capsys) -> None:
    from engine.expression import parse_expression
    from nn.apps.cli import main

    formula, values = "tanh(x1*w1 + x2*w2 + b) * 2 - x1/4", "x1=2 w1=-3 x2=0 w2=1 b=6.88"
    assert main(["step", formula, *values.split(), "--graph", str(tmp_path / "g.svg")]) == 0
    output = capsys.readouterr().out
    forward = output.split("backward pass:")[0].splitlines()[1:]
    names = {line.split()[0] for line in forward if line.startswith("  ") and line.split()}
    names |= names_in_text(output.split("backward pass:")[1])
    assignments = dict(pair.split("=") for pair in values.split())
    root = parse_expression(formula).build({k: float(v) for k, v in assignments.items()})
    assert_names_drawn(names, root, (tmp_path / "g.svg").read_bytes())


def test_every_name_of_the_classroom_is_drawn_in_its_graph() -> None:
    from nn.apps.classroom.state import Lesson

    lesson = Lesson()
    try:
        lesson.show_formula("tanh(x1*w1 + x2*w2 + b)", "x1=2 w1=-3 x2=0 w2=1 b=6.88")
        root = lesson.root
        for _ in range(lesson.stepper.total):
            lesson.start_quiz()
            quiz = lesson.view(teacher=False)["quiz"]
            names = names_in_text(quiz["question"] + " " + quiz["hint"])
            lesson.next()  # reveals the answer: the step is taken
            view = lesson.view(teacher=False)
            names |= names_in_text(view["current_step"]["text"] + " ".join(view["steps"]))
            assert_names_drawn(names, root, lesson.graph_picture.layouts["wide"])
    finally:
        lesson.close()


def test_inputs_and_weights_are_drawn_in_the_formula_order() -> None:
    output, _ = neuron()  # tanh(x1*w1 + x2*w2 + b)
    svg = draw(output, edge_labels=True).pipe(format="svg")
    assert stacking_order(svg, ["x1", "w1", "x2", "w2"]) == ["x1", "w1", "x2", "w2"]
    svg = draw(output, direction="TB").pipe(format="svg")
    assert left_to_right(svg, ["x1", "w1", "x2", "w2"]) == ["x1", "w1", "x2", "w2"]
    # A phone's drawing (the classroom's tall layout): the output on top, the inputs in order.
    svg = draw(output, direction="BT", stacked=True).pipe(format="svg")
    assert left_to_right(svg, ["x1", "w1", "x2", "w2"]) == ["x1", "w1", "x2", "w2"]
    assert stacking_order(svg, ["o", "n", "x1"]) == ["o", "n", "x1"]
    # The formula's graph, as the command line and the classroom draw it.
    svg = draw(formula_graph()).pipe(format="svg")
    assert stacking_order(svg, ["x1", "w1", "x2", "w2"]) == ["x1", "w1", "x2", "w2"]
    from nn.layers import MLP

    network = MLP(3, [2, 1], seed=0)([0.5, -0.3, 0.2])
    svg = draw(network).pipe(format="svg")
    inputs = ["x.0", "x.1", "x.2"]
    assert stacking_order(svg, inputs) == inputs


def left_to_right(svg: bytes, names: list[str]) -> list[str]:
    """The boxes named `names`, from the left of the picture."""
    return boxes_along("x", svg, names)


# ------------------------------------------------------------------ static pictures
#
# A neuron's picture fits a slide (about 3:1, not 9:1), and no line of the
# drawing runs through the letters of an arrow's label.

# Helvetica's widths, in ems, of the characters of "local -3.0000" (others 0.556).
HELVETICA_EMS = {"l": 0.222, "c": 0.5, ".": 0.278, "-": 0.333, " ": 0.278, "\xa0": 0.278}


def edge_label_letters(svg: str) -> list[tuple[float, float, float, float]]:
    """The box (left, top, right, bottom) around the letters of each arrow's label."""
    boxes = []
    for group in re.findall(r'<g id="edge\d+" class="edge">(.*?)</g>', svg, re.S):
        for x, y, size, text in re.findall(
            r'<text[^>]* x="(-?[\d.]+)" y="(-?[\d.]+)"[^>]*font-size="([\d.]+)"[^>]*>(.*?)</text>',
            group,
        ):
            text, size = html.unescape(text), float(size)
            whole = size * sum(HELVETICA_EMS.get(char, 0.556) for char in text)  # centred
            inked = size * sum(HELVETICA_EMS.get(char, 0.556) for char in text.rstrip())
            left = float(x) - whole / 2
            # From the top of the capitals (0.72 em) down to the baseline.
            boxes.append((left, float(y) - 0.72 * size, left + inked, float(y)))
    return boxes


def edge_line_points(svg: str, samples: int = 40) -> list[tuple[float, float]]:
    """Points along every line an arrow draws: its curve, its head, any other line."""
    points = []
    for group in re.findall(r'<g id="edge\d+" class="edge">(.*?)</g>', svg, re.S):
        for path in re.findall(r'<path[^>]* d="([^"]+)"', group):
            numbers = [float(n) for n in re.findall(r"-?[\d.]+", path)]
            corners = list(zip(numbers[0::2], numbers[1::2]))
            for start in range(0, len(corners) - 3, 3):  # M p0 C p1 p2 p3 C ...
                (x0, y0), (x1, y1), (x2, y2), (x3, y3) = corners[start : start + 4]
                for step in range(samples + 1):
                    t = step / samples
                    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
                    points.append((a * x0 + b * x1 + c * x2 + d * x3,
                                   a * y0 + b * y1 + c * y2 + d * y3))
        for outline in re.findall(r'<poly(?:gon|line)[^>]* points="([^"]+)"', group):
            numbers = [float(n) for n in re.findall(r"-?[\d.]+", outline)]
            corners = list(zip(numbers[0::2], numbers[1::2]))
            for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
                points += [(x0 + (x1 - x0) * step / samples, y0 + (y1 - y0) * step / samples)
                           for step in range(samples + 1)]
    return points


def lines_through_labels(svg: bytes) -> list[tuple[float, float]]:
    """The points where a line of the drawing runs through the letters of a label."""
    text = svg.decode()
    points = edge_line_points(text)
    return [
        (x, y)
        for left, top, right, bottom in edge_label_letters(text)
        for x, y in points
        if left + 1 < x < right - 1 and top + 1 < y < bottom - 1
    ]


def formula_graph(formula: str = "tanh(x1*w1 + x2*w2 + b)") -> Value:
    from engine.expression import parse_expression

    values = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}
    return parse_expression(formula).build(values)


def test_no_line_runs_through_an_arrows_label() -> None:
    from nn.layers import MLP

    a = Value(3.0, label="a")
    graphs = [neuron()[0], formula_graph("tanh(x1*w1 + x2*w2 + b) * 2 - x1/4"),
              (a * a + a).tanh(), MLP(2, [2, 1], seed=0)([0.5, -0.3])]
    for root in graphs:
        source = draw(root, edge_labels=True).source
        assert "decorate" not in source  # its line from label to arrow read as a strike-through
        svg = draw(root, edge_labels=True).pipe(format="svg")
        assert len(edge_label_letters(svg.decode())) == source.count("local ")
        assert lines_through_labels(svg) == []
    # The check sees a line through a label: labels at the arrows' tails have them.
    tails = re.sub(r'label="(local [-\d.]+) *"', r'label="" taillabel="\1" labelangle=12 '
                   r"labeldistance=5.5", draw(neuron()[0], edge_labels=True).source)
    assert lines_through_labels(render_dot(tails, "svg"))


def picture_size(drawing: GraphDrawing) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(drawing.pipe(format="png"))) as picture:
        return picture.size


def test_a_neurons_picture_is_about_three_times_as_wide_as_tall() -> None:
    # As demos/neuron.py and `stepgrad step ... --graph neuron.png` draw it.
    root, _ = neuron()
    root.backward()
    for drawing in (draw(root), draw(root, edge_labels=True), draw(formula_graph())):
        width, height = picture_size(drawing)
        assert width / height <= 3.2, (width, height)
    # A graph that runs top to bottom draws its boxes as rows, so they stay short.
    width, height = picture_size(draw(root, direction="TB"))
    assert width / height >= 1.5
    # ... or stacked, for a phone held upright: taller than wide.
    for direction in ("TB", "BT"):
        width, height = picture_size(draw(root, direction=direction, stacked=True))
        assert width / height <= 0.8, (direction, width, height)
    # Stacked or not is a choice left to right too.
    width, height = picture_size(draw(root, stacked=False))
    assert width / height >= 4, (width, height)
