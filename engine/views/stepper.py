"""Backpropagation one node at a time: the chain rule, narrated.

`backward()` (in `engine/graph.py`) visits the graph from the output down to
the inputs and, for every node and each of its children, does

    child.grad += node.grad * d(node)/d(child)

`backward_steps()` does exactly the same arithmetic, in the same order, but
stops after each node and hands you a `BackwardStep` that records what it did,
so you can check every multiplication by hand:

>>> from engine import Value
>>> x = Value(2.0, label="x")
>>> w = Value(-3.0, label="w")
>>> out = x * w
>>> out.label = "out"
>>> for step in backward_steps(out):
...     print(step)
step 1 of 1: out = x * w, out.grad = 1
  x.grad += out.grad * d(out)/d(x) = 1 * -3 = -3   (x.grad: 0 -> -3)
  w.grad += out.grad * d(out)/d(w) = 1 * 2 = 2   (w.grad: 0 -> 2)

Only nodes made by an operation get a step. A leaf (an input or parameter you
created) has no children, so there is nothing to pass on: its `grad` is final
once every node that uses it has had its step.

Each node is called by its name (`engine.graph.node_names`): its label if
that is a plain name (`x`, `w1`, `loss`), `x.0`, `x.1`, ... for the numbers
fed to a neuron, else `#` and its position in the graph's topological
order, as in `#3`. The drawing (`engine/views/drawing.py`)
writes each name in the box it names, so every name in a step can be found
in the picture (`#3 = x*w`, if the node is labelled with a formula's piece).

The interactive `Stepper` wraps the same generator for a REPL or a notebook:
`next()`, `back()`, `run()`, `reset()` and `show()`. In Jupyter it displays
itself as the drawing and the arithmetic together, updated in place (with
buttons and a slider when ipywidgets is installed: see `engine/views/notebook.py`).
`backward_frames()` and `save_backward_gif()` turn the steps into pictures
for slides, each with a caption: step n of N and its arithmetic.

Old grads. Leaf grads accumulate (`+=`), exactly as in `backward()`. So a
graph whose leaves still hold grads from an earlier `backward()` ends with
the old grads plus the new ones. The `Stepper` steps such a graph as
`backward()` would (it must stay equal to it) but says so before the first
step, names the leaves, and gives the fix: `zero_grad()` first. The pictures
(`backward_frames`, `save_backward_gif`) show one backprop on its own: they
start every grad from zero, as after `zero_grad()`, and put the old grads
back when they are done, so a frame never shows a doubled grad.

Step text wraps to the terminal's width (80 columns when it is unknown),
between the parts of the arithmetic, never inside a name or a number.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from engine.checks import check_count, described
from engine.files import check_animation, write_gif
from engine.graph import (
    PLAIN_NAME,
    node_names,
    prepare_backward,
    topological_order,
)
from engine.unroll import Unrolled, unroll
from engine.value import Value, register_view
from engine.views.tree import terminal_width, text_tree

if TYPE_CHECKING:
    from engine.views.drawing import GraphDrawing


# ---------------------------------------------------------------------- names


def format_number(x: float) -> str:
    """A float as students write it: 4 significant digits, no trailing zeros.

    >>> format_number(0.5), format_number(-3.0), format_number(0.70710678)
    ('0.5', '-3', '0.7071')
    """
    text = f"{x:.4g}"
    return "0" if text == "-0" else text


_INFIX_OPS = ("+", "-", "*", "/", "**")


def formula(node: Value, names: dict[Value, str]) -> str:
    """How `node` was computed from its children, written with their names.

    >>> from engine import Value
    >>> a, b = Value(1.0, label="a"), Value(2.0, label="b")
    >>> n = a * b
    >>> names = node_names(topological_order(n))
    >>> formula(n, names), formula(a.tanh(), {a: "a"}), formula(a ** 2, {a: "a"})
    ('a * b', 'tanh(a)', 'a ** 2')
    """
    children = [names[child] for child in node.children]
    if node.op in _INFIX_OPS and len(children) == 2:
        return f"{children[0]} {node.op} {children[1]}"
    if node.op == "neg" and len(children) == 1:
        return f"-{children[0]}"
    if node.op.startswith("**") and len(children) == 1:
        return f"{children[0]} ** {node.op[2:]}"
    return f"{node.op}({', '.join(children)})"


# ---------------------------------------------------------------------- line width


def pack_line(parts: list[tuple[str, str]], width: int, indent: str, hanging: str) -> list[str]:
    """Lay `parts` out in lines of at most `width` columns, breaking only between parts.

    Each part is (separator, text): the separator goes before the text when
    both share a line. The first line starts with `indent`, the others with
    `hanging`. A part too long for any line is split at its spaces.

    >>> parts = [("", "x.grad += 0.5 * -3"), (" ", "= -1.5"), ("   ", "(x.grad: 0 -> -1.5)")]
    >>> pack_line(parts, 80, "  ", "      ")
    ['  x.grad += 0.5 * -3 = -1.5   (x.grad: 0 -> -1.5)']
    >>> pack_line(parts, 30, "  ", "      ")
    ['  x.grad += 0.5 * -3 = -1.5', '      (x.grad: 0 -> -1.5)']
    """
    lines: list[str] = []
    line = indent
    for separator, text in parts:
        if line.strip() and len(line) + len(separator) + len(text) <= width:
            line += separator + text
            continue
        if line.strip():
            lines.append(line)
            line = hanging
        if len(line) + len(text) <= width:
            line += text
            continue
        pieces = textwrap.wrap(
            text, width=max(width - len(line), 20), break_long_words=False,
            break_on_hyphens=False,
        )
        lines.append(line + pieces[0])
        lines.extend(hanging + piece for piece in pieces[1:-1])
        line = hanging + pieces[-1] if len(pieces) > 1 else hanging
    if line.strip():
        lines.append(line)
    return lines


# ---------------------------------------------------------------------- steps


@dataclass(frozen=True)
class ChildUpdate:
    """What one step did to one child: `child.grad += upstream * local_grad`."""

    child: Value
    name: str
    local_grad: float  # d(node)/d(child), stored when the node was computed
    contribution: float  # upstream * local_grad
    grad_before: float
    grad_after: float


@dataclass(frozen=True)
class BackwardStep:
    """One node's turn in backprop: its upstream grad, passed on to each child.

    `number` counts from 1 to `total`; `str(step)` is the arithmetic, one line
    per child, with numbers rounded to 4 significant digits (the fields hold
    the exact floats), wrapped to the terminal's width (see `text()`).
    """

    number: int
    total: int
    node: Value
    name: str
    op: str
    formula: str  # how the node was computed, e.g. "x * w"
    upstream: float  # node.grad: d(root)/d(node), complete when its step comes
    updates: tuple[ChildUpdate, ...]

    def text(self, width: int | None = None) -> str:
        """The step's arithmetic in lines of at most `width` columns.

        `width` defaults to the terminal's width (80 when unknown); a line
        too long breaks between its parts, and goes on indented:

        >>> from engine import Value
        >>> weight = Value(-3.0, label="layers.0.neurons.3.w.1")
        >>> (step,) = backward_steps(weight * 2.0)
        >>> print(step.text(width=60))
        step 1 of 1: #2 = layers.0.neurons.3.w.1 * x.1, #2.grad = 1
          layers.0.neurons.3.w.1.grad += #2.grad
              * d(#2)/d(layers.0.neurons.3.w.1) = 1 * 2 = 2
              (layers.0.neurons.3.w.1.grad: 0 -> 2)
          x.1.grad += #2.grad * d(#2)/d(x.1) = 1 * -3 = -3
              (x.1.grad: 0 -> -3)
        """
        width = terminal_width() if width is None else width
        upstream = format_number(self.upstream)
        header = [
            ("", f"step {self.number} of {self.total}:"),
            (" ", f"{self.name} = {self.formula},"),
            (" ", f"{self.name}.grad = {upstream}"),
        ]
        lines = pack_line(header, width, "", "    ")
        for update in self.updates:
            parts = [
                ("", f"{update.name}.grad += {self.name}.grad"),
                (" ", f"* d({self.name})/d({update.name})"),
                (" ", f"= {upstream} * {format_number(update.local_grad)}"),
                (" ", f"= {format_number(update.contribution)}"),
                ("   ", f"({update.name}.grad: {format_number(update.grad_before)}"
                        f" -> {format_number(update.grad_after)})"),
            ]
            lines.extend(pack_line(parts, width, "  ", "      "))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<BackwardStep {self.number} of {self.total}: {self.name} = {self.formula}>"


def backward_steps(root: Value) -> Iterator[BackwardStep]:
    """Run `backward()` from `root` one node at a time, yielding a `BackwardStep` each.

    It is `engine.graph.backward` with a `yield` in it: the same reset of the
    intermediate grads, the same seed `root.grad += 1`, the same order and the
    same `+=`, so once the generator is exhausted every grad is exactly what
    `backward()` leaves. (`backward()` skips a node whose grad is 0.0, since
    it would add 0.0 to each child; the stepper shows that step too, because
    seeing a ReLU that is off pass on nothing is part of the lesson.)
    Nothing happens until the first step is asked for.

    If you stop early, the grads are partial: the nodes stepped so far have
    passed their grad on, the others have not. To start again, call
    `root.zero_grad()` first, or the leaves will count the early steps twice.

    >>> from engine import Value
    >>> a = Value(3.0, label="a")
    >>> b = a * a
    >>> steps = backward_steps(b)
    >>> step = next(steps)
    >>> [round(update.contribution, 1) for update in step.updates]  # a is used twice
    [3.0, 3.0]
    >>> a.grad
    6.0
    """
    order = prepare_backward(root)
    names = node_names(order)
    total = sum(1 for node in order if node.children)
    number = 0
    for node in reversed(order):
        if not node.children:
            continue  # a leaf: nothing to pass on
        number += 1
        upstream = node.grad
        updates = []
        for child, local in zip(node.children, node.local_grads):
            before = child.grad
            child.grad += upstream * local  # the chain rule, as in backward()
            updates.append(
                ChildUpdate(
                    child=child,
                    name=names[child],
                    local_grad=local,
                    contribution=upstream * local,
                    grad_before=before,
                    grad_after=child.grad,
                )
            )
        yield BackwardStep(
            number=number,
            total=total,
            node=node,
            name=names[node],
            op=node.op,
            formula=formula(node, names),
            upstream=upstream,
            updates=tuple(updates),
        )


# ---------------------------------------------------------------------- the interactive stepper

# Colours the Stepper adds to the drawing (engine/views/drawing.py colours the node of
# the step red and the nodes stepped before it orange).

register_view("backward_steps", backward_steps)  # `value.backward_steps()`: see engine/value.py

UPDATED_COLOUR = "#1d4ed8"  # blue: the children whose grads this step adds to
ASKED_COLOUR = "#b91c1c"  # dark red, dashed: the node of the step a question is about


class Stepper:
    """Step through backprop by hand: `next()`, `back()`, `run()`, `reset()`, `show()`.

    `next()`, `back()`, `run()` and `reset()` return the Stepper itself, so in
    a REPL each call shows where you are: the step just taken and the graph
    as a text tree with the grads so far. In Jupyter the Stepper shows the
    drawing and the step's arithmetic together, and every move updates that
    same picture in place (see `engine/views/notebook.py`; `widget()` gives buttons
    and a slider). `show()` returns the drawing alone.

    Creating a Stepper changes no grad; the first `next()` does what
    `backward()` does first (reset the intermediate grads, set root.grad = 1).
    `back()` undoes one step, and undoing the first step (or `reset()`) puts
    every grad back as it was before the Stepper started. A root that is a
    leaf has no steps.

    >>> from engine import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * x
    >>> y.label = "y"
    >>> stepper = Stepper(y)
    >>> stepper
    Stepper(y): 0 of 1 steps taken; next() starts backprop at y
    >>> print(stepper.next().last_step)
    step 1 of 1: y = x * x, y.grad = 1
      x.grad += y.grad * d(y)/d(x) = 1 * 2 = 2   (x.grad: 0 -> 2)
      x.grad += y.grad * d(y)/d(x) = 1 * 2 = 2   (x.grad: 2 -> 4)
    >>> x.grad
    4.0
    >>> stepper.back().position, x.grad, y.grad
    (0, 0.0, 0.0)

    Leaves that already hold grads (say, `backward()` ran before and nothing
    called `zero_grad()`) are named before the first step, with the fix:

    >>> y.backward()
    >>> print(Stepper(y).text(width=70))
    Stepper(y): 0 of 1 steps taken; next() starts backprop at y
    note: x already holds a grad (from an earlier backward()?); backprop
      adds to it (+=). To see this backprop's grads alone, call
      y.zero_grad() (or model.zero_grad()) and make a new Stepper.
    """

    def __init__(self, root: Value) -> None:
        if not isinstance(root, Value):
            raise TypeError(
                f"Stepper() needs the Value to run backprop from, not {described(root)}"
            )
        self.root = root
        order = topological_order(root)
        self.total = sum(1 for node in order if node.children)
        self._names = node_names(order)
        # Every grad as it was before the first step: back() to the start restores them.
        self._start = [(node, node.grad) for node in order]
        # Leaves whose old grads the steps will add to (see "Old grads" above).
        self.stale_leaves = [
            node for node in order if not node.children and node.grad != 0.0
        ]
        self._steps = backward_steps(root)
        self._taken: list[BackwardStep] = []  # every step made so far, in order
        self.position = 0  # how many of them are applied now (back() lowers it)
        # Called after every move: the notebook views redraw themselves here.
        self.on_change: list[Callable[[], None]] = []
        self._unrolled: Unrolled | None = None  # the graph as code, made by code()

    @property
    def finished(self) -> bool:
        """True when every step has been taken: the grads equal backward()'s."""
        return self.position == self.total

    @property
    def last_step(self) -> BackwardStep | None:
        """The step taken most recently (None before the first)."""
        return self._taken[self.position - 1] if self.position else None

    # ------------------------------------------------------------------ moving

    def next(self) -> Stepper:
        """Take one step of backprop (the next node passes its grad to its children)."""
        if self.total == 0:
            raise ValueError(f"{self._root_name()} is an input: backprop has no step to take")
        if self.finished:
            raise ValueError(
                f"backprop is finished: all {self.total} steps are taken; "
                "use back() to undo one, or read the grads"
            )
        self._forward()
        return self._changed()

    def back(self) -> Stepper:
        """Undo the last step: each child's grad goes back to what it was before.

        Undoing the first step also undoes what it started with (the seed
        root.grad = 1 and the reset of the intermediate grads).
        """
        if self.position == 0:
            raise ValueError("there is no step to undo: no step has been taken yet")
        self._backward()
        return self._changed()

    def run(self) -> Stepper:
        """Take all the remaining steps."""
        while not self.finished:
            self._forward()
        return self._changed()

    def reset(self) -> Stepper:
        """Undo every step taken: all grads are back as before the Stepper started."""
        while self.position:
            self._backward()
        return self._changed()

    def go_to(self, position: int) -> Stepper:
        """Step forward or back until `position` steps are taken (0 to `total`)."""
        check_count("position", position, minimum=0, maximum=self.total)
        while self.position < position:
            self._forward()
        while self.position > position:
            self._backward()
        return self._changed()

    def _forward(self) -> None:
        if self.position < len(self._taken):
            # Redo a step that back() undid: put back the grads it made.
            if self.position == 0:
                prepare_backward(self.root)  # what the first step starts with
            for update in self._taken[self.position].updates:
                update.child.grad = update.grad_after
        else:
            self._taken.append(next(self._steps))
        self.position += 1

    def _backward(self) -> None:
        self.position -= 1
        for update in reversed(self._taken[self.position].updates):
            update.child.grad = update.grad_before
        if self.position == 0:
            for node, grad in self._start:
                node.grad = grad

    def _changed(self) -> Stepper:
        for redraw in self.on_change:
            redraw()
        return self

    # ------------------------------------------------------------------ showing

    def text(self, width: int | None = None) -> str:
        """Where you are, as text: the last step and the graph with its grads.

        Lines fit `width` columns (default: the terminal's width, else 80).
        """
        width = terminal_width() if width is None else width
        if self.total == 0:
            return f"{self.header()}: {self._root_name()} is an input, with nothing to step"
        note = self.stale_note(width)
        if self.last_step is None:
            first = f"{self.header()}; next() starts backprop at {self._root_name()}"
            return f"{first}\n{note}" if note else first
        try:
            tree = text_tree(self.root, width=width)
        except ValueError:  # too big to print every step: the step line says it all
            tree = "(the graph is too big to print at every step: see show())"
        lines = [self.header(), self.last_step.text(width)]
        if note:
            lines.append(note)
        lines.append(tree)
        return "\n".join(lines)

    def code(self) -> str:
        """The lines of `engine.unroll(root)` that do the last step's chain rule.

        >>> from engine import Value
        >>> x = Value(3.0, label="x")
        >>> stepper = Stepper((x * x).tanh()).next().next()
        >>> print(stepper.code())
            x_grad += n1_grad * x           # d(a*b)/da = b
            x_grad += n1_grad * x           # d(a*b)/db = a
        """
        if self.last_step is None:
            return ""
        if self._unrolled is None:
            self._unrolled = unroll(self.root)
        return "\n".join(self._unrolled.lines_of(self.last_step.node))

    def stale_note(self, width: int | None = None) -> str:
        """The warning about leaves that held grads before the first step ("" if none)."""
        if not self.stale_leaves:
            return ""
        width = terminal_width() if width is None else width
        names = [self._names[leaf] for leaf in self.stale_leaves[:3]]
        if len(self.stale_leaves) > 3:
            names.append(f"{len(self.stale_leaves) - 3} more")
        listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
        holds = "already holds a grad" if len(self.stale_leaves) == 1 else "already hold grads"
        it = "it" if len(self.stale_leaves) == 1 else "them"
        root = self._root_name()
        call = f"{root}.zero_grad()" if PLAIN_NAME.fullmatch(root) else "zero_grad() on the root"
        return textwrap.fill(
            f"note: {listed} {holds} (from an earlier backward()?); backprop adds to "
            f"{it} (+=). To see this backprop's grads alone, call {call} "
            "(or model.zero_grad()) and make a new Stepper.",
            width,
            subsequent_indent="  ",
            break_long_words=False,
            break_on_hyphens=False,
        )

    def show(
        self, *, direction: str = "LR", stacked: bool | None = None, asking: bool = False
    ) -> GraphDrawing:
        """The drawing of the graph with the grads so far.

        The node of the last step is red (`current`), the nodes stepped
        before it orange (`highlight`), and the children whose grads the last
        step added to are outlined in blue, with blue arrows from them.
        `direction` and `stacked` are `draw()`'s: "BT" with `stacked=True`
        puts the output on top and keeps the boxes narrow, for a phone.

        `asking=True` is for a question about the *next* step (the
        classroom's quiz): its node gets a dashed red outline (class `asked`)
        and its inputs the class `asked-input`, so that a view can show them.
        Their numbers are those before that step: no answer is given away.
        """
        taken = self._taken[: self.position]
        asked = self._next_step() if asking else None
        return _step_drawing(self.root, taken, direction=direction, stacked=stacked, asked=asked)

    def _next_step(self) -> BackwardStep | None:
        """The step that next() would take (None when finished), without taking it."""
        if self.finished:
            return None
        if self.position == len(self._taken):  # not made yet: make it, then undo it
            self._forward()
            self._backward()
        return self._taken[self.position]

    def widget(self) -> Any:
        """Buttons (Reset, Back, Next, Run to end), a slider and the live picture.

        Needs ipywidgets: `pip install ipywidgets`. See `engine/views/notebook.py`.
        """
        from engine.views.notebook import stepper_widget

        return stepper_widget(self)

    def _root_name(self) -> str:
        return self._names[self.root]

    def header(self) -> str:
        """One line: where the stepper is (`Stepper(o): 2 of 5 steps taken`)."""
        header = f"Stepper({self._root_name()}): {self.position} of {self.total} steps taken"
        if self.finished and self.total:
            if self.stale_leaves:
                header += " (done: backward()'s grads plus the old ones)"
            else:
                header += " (done: the grads backward() gives)"
        return header

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        """The drawing and the arithmetic as one HTML output, and the text for terminals."""
        from engine.views.notebook import stepper_bundle

        return stepper_bundle(self)

    def _ipython_display_(self) -> None:
        """Jupyter: show the Stepper once, then update that output in place."""
        from engine.views.notebook import display_stepper

        display_stepper(self)


def _step_drawing(
    root: Value,
    taken: list[BackwardStep],
    seeded: bool = False,
    direction: str = "LR",
    stacked: bool | None = None,
    asked: BackwardStep | None = None,
) -> GraphDrawing:
    """The drawing after the steps `taken`: the last one red, its children in blue,
    and the node of the `asked` step (the next one) outlined in dashed red.

    With no step taken, `seeded=True` draws the root red: backprop starts there.
    """
    from engine.views.drawing import draw

    drawing = draw(
        root,
        direction=direction,
        stacked=stacked,
        highlight=[step.node for step in taken[:-1]],
        current=taken[-1].node if taken else (root if seeded else None),
    )
    # The drawing names a Value `v<its place in the walk>` (engine/views/drawing.py).
    ids = {node: f"v{place}" for place, node in enumerate(topological_order(root))}
    updated = _mark_updates(drawing, taken[-1], ids) if taken else set()
    if asked is not None:
        _mark_question(drawing, asked, ids, updated)
    return drawing


def _add_caption(drawing: GraphDrawing, caption: str) -> None:
    """Write `caption` on top of the picture, left-justified (a Graphviz graph label)."""
    lines = "".join(line.replace("\\", "/") + "\\l" for line in caption.splitlines())
    drawing.attr(label=lines, labelloc="t", labeljust="l", fontsize="18", fontname="Helvetica")


def _mark_updates(
    drawing: GraphDrawing, step: BackwardStep, ids: dict[Value, str]
) -> set[str]:
    """Outline the children of `step` in blue and colour the arrows from them;
    returns the ids of the boxes it marked.

    `ids` gives each Value's name in the drawing, `v<position>`; its
    operation is `v<position>_op` (see engine/views/drawing.py). A child that
    is not drawn on its own (inside a collapsed box) is left as it is.
    """
    source = drawing.source
    node_id = ids[step.node]
    marked = set()
    for child in dict.fromkeys(update.child for update in step.updates):
        child_id = ids[child]
        if f"\t{child_id} [" not in source:
            continue
        marked.add(child_id)
        drawing.node(child_id, color=UPDATED_COLOUR, penwidth="3", **{"class": "updated"})
        # Its arrows carry no attributes yet (the Stepper draws no edge labels).
        arrow = f"\t{child_id} -> {node_id}_op"
        for number, line in enumerate(drawing.body):
            if line == arrow + "\n":
                drawing.body[number] = f'{arrow} [color="{UPDATED_COLOUR}" penwidth=2.5]\n'
    return marked


def _mark_question(
    drawing: GraphDrawing, step: BackwardStep, ids: dict[Value, str], updated: set[str]
) -> None:
    """Outline the node of `step`, which a question is about, in dashed red
    (class `asked`), and give its children the class `asked-input`. A box
    that the last step marked `updated` keeps that class too."""
    source = drawing.source

    def classes(box: str, name: str) -> str:
        return f"updated {name}" if box in updated else name

    node_id = ids[step.node]
    if f"\t{node_id} [" in source:
        style = {"class": classes(node_id, "asked"), "style": "filled,dashed"}
        drawing.node(node_id, color=ASKED_COLOUR, penwidth="3", **style)
    for child in dict.fromkeys(update.child for update in step.updates):
        child_id = ids[child]
        if f"\t{child_id} [" in source:
            drawing.node(child_id, **{"class": classes(child_id, "asked-input")})


# ---------------------------------------------------------------------- pictures for slides


def backward_drawings(root: Value, width: int = 72) -> list[GraphDrawing]:
    """The drawings of backprop from `root`: the seeded graph, then one after each step.

    Each is the drawing as the `Stepper` shows it (the node of that step in
    red, its children in blue, the nodes stepped before it in orange), with
    a caption on top: "step n of N" and the step's arithmetic, in lines of
    at most `width` characters.

    They show one backprop on its own: every grad starts from zero (as after
    `zero_grad()`), even if the leaves held grads from an earlier
    `backward()`. The grads are put back as they were when it is done.

    >>> from engine import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * 3.0
    >>> y.backward()                      # x.grad is 3 now ...
    >>> first, second = backward_drawings(y)
    >>> "step 1 of 1" in second.source     # the caption ...
    True
    >>> "(x.grad: 0 -> 3)" in second.source  # ... and the step starts x from 0
    True
    >>> x.grad
    3.0
    """
    order = topological_order(root)
    saved = [node.grad for node in order]

    def start_from_zero() -> None:
        for node in order:
            node.grad = 0.0

    try:
        start_from_zero()
        prepare_backward(root)  # what the first step starts with: root.grad = 1
        drawings = [_step_drawing(root, [], seeded=True)]
        start_from_zero()  # (backward_steps seeds root.grad itself)
        taken: list[BackwardStep] = []
        for step in backward_steps(root):
            taken.append(step)
            drawings.append(_step_drawing(root, taken))
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad

    name = node_names(order)[root]
    captions = [f"step 0 of {len(taken)}: backprop starts at {name}: {name}.grad = 1"]
    captions += [step.text(width) for step in taken]
    # Each caption padded to the longest: every frame is then as tall as the
    # others, and the graph does not jump from frame to frame.
    lines = max(caption.count("\n") for caption in captions)
    for drawing, caption in zip(drawings, captions):
        _add_caption(drawing, caption + "\n " * (lines - caption.count("\n")))
    return drawings


def backward_frames(root: Value, width: int = 72) -> list[bytes]:
    """PNG pictures of backprop: `backward_drawings(root, width)` rendered.

    Captioned ("step n of N" and the arithmetic) and starting from zero
    grads; the grads are left as they were.
    """
    return [drawing.pipe(format="png") for drawing in backward_drawings(root, width)]


def save_backward_gif(
    root: Value, path: str | os.PathLike[str], seconds_per_frame: float = 1.5
) -> Path:
    """Write an animated GIF of backprop from `root` (one frame per step) to `path`.

    The frames are `backward_frames(root)`: captioned, and starting from zero
    grads. The file appears whole or not at all (it is written next to `path`
    and then renamed). The grads are left as they were. Returns the path.
    """
    check_animation(path, seconds_per_frame)  # before the frames take their time
    return write_gif(path, backward_frames(root), seconds_per_frame)
