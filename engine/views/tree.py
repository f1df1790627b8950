"""The graph as indented text, for terminals: `text_tree(root)`, also `root.tree()`.

It reads the same walk as the drawing (`engine/graph.py`), so `#3` here is
`#3` in a picture and in the stepper's narration.

>>> from engine import Value
>>> x = Value(2.0, label="x")
>>> print(text_tree(x * x))
#1 [*]  data 4.0000  grad ?
├── #0 x  data 2.0000  grad ?
└── #0 x  data 2.0000  grad ?
"""

from __future__ import annotations

import shutil

from engine.checks import check_count, described
from engine.graph import input_names, topological_order
from engine.value import Value, register_view

# Above this many Values a tree (or a drawing) fills pages: it is refused unless asked for.
DEFAULT_MAX_NODES = 500


class TextTree(str):
    """The text of a tree; the REPL shows it as the tree itself, not as a quoted string.

    It is a `str` in every other way: print it, save it, search it.

    >>> TextTree("a\\n└── b")
    a
    └── b
    """

    def __repr__(self) -> str:
        return str(self)


def text_tree(
    root: Value,
    *,
    number_format: str = ".4f",
    max_nodes: int | None = DEFAULT_MAX_NODES,
    width: int | None = None,
) -> str:
    """The graph of `root` as an indented tree of text, `root` on top.

    Each line shows a Value's place in the graph order (`#3`), its label,
    the operation that made it in brackets, its data and its grad ("?"
    before `backward()`; see `draw()`). A Value computed once but used
    twice is written out once; later uses say "(see #n above)". Numbers
    fed to a model (`model([2.0, -1.0])`) are named `x.0`, `x.1`, ... as in
    the drawing.

    The tree fits `width` columns (by default the terminal's width, 80 when
    unknown) where it can: when a line would be longer, the tree is written
    with narrower indents and `d`/`g` instead of `data`/`grad`. The result is
    a `TextTree`: a `str` that the REPL shows as the tree itself.

    >>> from engine import Value
    >>> a = Value(2.0, label="a")
    >>> b = Value(-0.25, label="b")
    >>> c = a * b
    >>> c.label = "c"
    >>> loss = c + c.tanh()
    >>> print(text_tree(loss))
    #4 [+]  data -0.9621  grad ?
    ├── #2 c [*]  data -0.5000  grad ?
    │   ├── #0 a  data 2.0000  grad ?
    │   └── #1 b  data -0.2500  grad ?
    └── #3 [tanh]  data -0.4621  grad ?
        └── #2 c [*] (see #2 above)
    >>> loss.backward()
    >>> print(loss.tree())
    #4 [+]  data -0.9621  grad 1.0000
    ├── #2 c [*]  data -0.5000  grad 1.7864
    │   ├── #0 a  data 2.0000  grad -0.4466
    │   └── #1 b  data -0.2500  grad 3.5729
    └── #3 [tanh]  data -0.4621  grad 1.0000
        └── #2 c [*] (see #2 above)
    """
    if not isinstance(root, Value):
        raise TypeError(f"text_tree() needs a Value, not {described(root)}")
    check_number_format(number_format)
    check_max_nodes(max_nodes)
    order = topological_order(root)
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"this graph has {len(order)} Values, more than max_nodes={max_nodes}: its "
            "tree would fill pages. Print a smaller part (e.g. one neuron's output), draw "
            "it with draw(root, collapse=True), or pass max_nodes=None to print it anyway"
        )
    if width is None:
        width = terminal_width()
    # Found once: a narrower tree changes only the layout, not the names.
    names = input_names(order)
    grads_computed = backward_has_run(root)
    lines = _tree_lines(root, order, names, grads_computed, number_format, narrow=False)
    if max(len(line) for line in lines) > width:
        lines = _tree_lines(root, order, names, grads_computed, number_format, narrow=True)
    return TextTree("\n".join(lines))


def terminal_width() -> int:
    """The terminal's width in columns: $COLUMNS, the terminal itself, else 80."""
    return shutil.get_terminal_size((80, 24)).columns


def _tree_lines(
    root: Value,
    order: list[Value],
    names: dict[Value, str],
    grads_computed: bool,
    number_format: str,
    *,
    narrow: bool,
) -> list[str]:
    index = {node: position for position, node in enumerate(order)}
    if narrow:
        data_word, grad_word, gap = "d", "g", " "
        branch, last_branch, through, space = "├─", "└─", "│ ", "  "
    else:
        data_word, grad_word, gap = "data", "grad", "  "
        branch, last_branch, through, space = "├── ", "└── ", "│   ", "    "

    lines: list[str] = []
    written: set[Value] = set()
    # Each entry: the Value, the text in front of its line, the text in front
    # of its children's lines. Popping the last entry first walks the tree in
    # the order it is printed (an explicit stack, no recursion).
    stack: list[tuple[Value, str, str]] = [(root, "", "")]
    while stack:
        node, line_prefix, child_prefix = stack.pop()
        position = index[node]
        name = _tree_name(node, position, names.get(node, ""))
        if node.children and node in written:
            lines.append(f"{line_prefix}{name} (see #{position} above)")
            continue
        written.add(node)
        data = number_text(node.data, number_format)
        grad = number_text(node.grad, number_format) if grads_computed else "?"
        lines.append(f"{line_prefix}{name}{gap}{data_word} {data}{gap}{grad_word} {grad}")
        last = len(node.children) - 1
        for child_position in range(last, -1, -1):
            child = node.children[child_position]
            if child_position == last:
                stack.append((child, child_prefix + last_branch, child_prefix + space))
            else:
                stack.append((child, child_prefix + branch, child_prefix + through))
    return lines


def _tree_name(node: Value, position: int, input_name: str) -> str:
    name = f"#{position}"
    if node.label or input_name:
        name += f" {node.label or input_name}"
    if node.children:
        name += f" [{node.op or 'op'}]"
    return name


# ---------------------------------------------------------------- shared with the drawing


def number_text(x: float, number_format: str) -> str:
    """`x` in `number_format`; a tiny non-zero number never shows as zero.

    A gradient of 2e-05 printed as "0.0000" would look exactly like a dead
    neuron's 0, and hide a vanishing gradient: it is shown as "2e-05".

    >>> number_text(0.5, ".4f"), number_text(2e-05, ".4f"), number_text(0.0, ".4f")
    ('0.5000', '2e-05', '0.0000')
    """
    text = format(x, number_format)
    if x != 0.0 and float(text) == 0.0:
        return format(x, ".3g")
    return text


def backward_has_run(root: Value) -> bool:
    """Has backward() run on `root`? It always leaves root.grad at 1 (or more).

    (Looking at the root alone, not at every node: a graph that shares
    Values with an earlier graph has grads from that one's backward(), which
    are no results for this graph.)
    """
    return root.grad != 0.0


def check_max_nodes(max_nodes: int | None) -> None:
    """`max_nodes` is a whole number >= 1, or None for no limit."""
    if max_nodes is not None:
        check_count("max_nodes", max_nodes, hint="or None for no limit")


def check_number_format(number_format: str) -> None:
    problem = not isinstance(number_format, str)
    if not problem:
        try:
            format(-1.5, number_format)
        except (ValueError, TypeError):
            problem = True
    if problem:
        raise ValueError(
            f"number_format={number_format!r} is not a format for floats: use e.g. "
            "'.4f' (fixed, 4 decimals), '.3g' (3 significant digits) or '.2e' (scientific)"
        )


register_view("tree", text_tree)  # so that `value.tree()` works: see engine/value.py
