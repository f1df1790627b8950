"""Backprop as code: a graph written out as the straight-line Python it runs.

`unroll(root)` writes the graph under `root` as one Python function: first the
forward pass, one line per operation, then the backward pass, one line per
chain-rule update `child_grad += node_grad * d(node)/d(child)`, in exactly
the order `backward()` runs them. The backward pass is just more code:

>>> from engine import Value
>>> x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
>>> x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
>>> b = Value(6.8813735870195432, label="b")
>>> out = (x1 * w1 + x2 * w2 + b).tanh()
>>> code = unroll(out)
>>> print(code)
import math
<BLANKLINE>
<BLANKLINE>
def backprop(data, grads):
    # the forward and backward pass of #9, written out by engine.unroll
    x1, w1, x2, w2, b = data
    x1_grad, w1_grad, x2_grad, w2_grad, b_grad = grads
    # forward: one line per operation
    n2 = x1 * w1                    # #2 (*)
    n5 = x2 * w2                    # #5 (*)
    n6 = n2 + n5                    # #6 (+)
    n8 = n6 + b                     # #8 (+)
    n9 = math.tanh(n8)              # #9 (tanh)
    # backward: child_grad += node_grad * d(node)/d(child), from the root down
    n9_grad = 1.0                   # d(n9)/d(n9) = 1
    n8_grad = n9_grad * (1.0 - n9 * n9)  # d(tanh(a))/da = 1 - tanh(a)**2
    n6_grad = n8_grad               # d(a+b)/da = 1
    b_grad += n8_grad               # d(a+b)/db = 1
    n2_grad = n6_grad               # d(a+b)/da = 1
    n5_grad = n6_grad               # d(a+b)/db = 1
    x2_grad += n5_grad * w2         # d(a*b)/da = b
    w2_grad += n5_grad * x2         # d(a*b)/db = a
    x1_grad += n2_grad * w1         # d(a*b)/da = b
    w1_grad += n2_grad * x1         # d(a*b)/db = a
    return n9, [x1_grad, w1_grad, x2_grad, w2_grad, b_grad]

Calling it, `code()`, runs that function on the leaves' *current* data,
returns the root's new value, and adds each leaf's gradient into its
`grad`, as building the graph again and calling `backward()` would, bit for
bit (0 * inf is nan there too):

>>> x1.data = 1.0
>>> round(code(), 6), round(x1.grad, 6)
(0.99915, -0.005099)

What it cannot do: it replays this graph's *operations*, not your Python.
A Python `if` on a Value's data (`if x.data > 0: ...`) was decided when the
graph was built, and the replay keeps that branch whatever the new data
(relu's own branch is an operation, and is replayed). An operation made with
`from_op` gives numbers, not a rule, so it cannot be replayed: `unroll`
refuses it by name. The intermediate Values keep their old data and grad;
only the leaves' grads change. A plain number in your expression (the 3 of
`x * 3`) is written as the number itself, `x * 3.0`, as building the graph
again would use it: it is not read from its Value, and its Value's grad is
left as it was, like an intermediate's. (A number the views name, such as
the `x.0` fed to a neuron, is a leaf like `x`.)

Where building the graph again would raise (log of a negative number, a
division by zero), the replay raises too, with Python's own message.
"""

from __future__ import annotations

import html
import keyword
import re
from typing import Any, Callable

from engine.graph import _gradient_lock, node_names, topological_order
from engine.value import Value, is_wrapped

MAX_COLUMNS = 100  # every line of the source fits in this
COMMENT_COLUMN = 36  # where the comments start, when the code leaves room

# Names the function uses itself, which no node may take.
RESERVED = {
    "math", "data", "grads", "seeds", "power", "power_slope", "sigmoid", "backprop", "forward",
    "saved", "not_finite", "sum",
}

# Small functions the lines call, for the operations that need more than one
# expression to match `Value` exactly. Each is written into the source only
# if the graph uses it, so the source runs on its own with nothing but math.
HELPERS = {
    "power": '''
def power(a, n):
    """a ** n as a Value computes it: a nan base stays nan, and a negative
    base with a fractional power is an error (never a complex number)."""
    if not math.isfinite(n) or (a < 0.0 and not n.is_integer()):
        raise ValueError(f"({a!r}) ** {n!r} is not a real number")
    return a if a != a else a ** n
''',
    "power_slope": '''
def power_slope(a, n):
    """n * a ** (n - 1), the local derivative of a ** n: inf where it is too
    large for a float (a square root at 0), as Value computes it."""
    if n == 0.0:
        return 0.0
    try:
        return n * a ** (n - 1.0)
    except (OverflowError, ZeroDivisionError):
        negative = a < 0.0 and (n - 1.0) % 2.0 == 1.0
        return n * (-math.inf if negative else math.inf)
''',
    "sigmoid": '''
def sigmoid(a):
    """1 / (1 + e**-a), in the form whose exp never overflows (as Value)."""
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)
''',
}


class CannotUnroll(ValueError):
    """A graph holds an operation that `unroll` cannot write as code."""


# ---------------------------------------------------------------------------
# Each operation as code: its forward expression and its local derivatives
# ---------------------------------------------------------------------------
# The same formulas as engine/value.py, written as text over the names of the
# node (`out`) and of its children (`a`, `b`). The expressions must compute
# exactly what Value computes, operation for operation, so that the replay
# gives backward()'s numbers bit for bit.


class Rule:
    """One node as code: `forward`, its expression; `local_grads`, one
    expression of d(node)/d(child) per child; `derivatives`, the comments."""

    def __init__(self, forward: str, local_grads: list[str], derivatives: list[str]) -> None:
        self.forward = forward
        self.local_grads = local_grads
        self.derivatives = derivatives


def rule(op: str, out: str, children: list[str]) -> Rule | None:
    """The code of operation `op` (None if it has no rule, such as an
    operation of your own made with `from_op`)."""
    a = children[0] if children else ""
    b = children[1] if len(children) > 1 else ""
    if op == "+" and len(children) == 2:
        return Rule(f"{a} + {b}", ["1.0", "1.0"], ["d(a+b)/da = 1", "d(a+b)/db = 1"])
    if op == "-" and len(children) == 2:
        return Rule(f"{a} - {b}", ["1.0", "-1.0"], ["d(a-b)/da = 1", "d(a-b)/db = -1"])
    if op == "*" and len(children) == 2:
        return Rule(f"{a} * {b}", [b, a], ["d(a*b)/da = b", "d(a*b)/db = a"])
    if op == "/" and len(children) == 2:
        return Rule(
            f"{a} / {b}", [f"1.0 / {b}", f"-{out} / {b}"], ["d(a/b)/da = 1/b", "d(a/b)/db = -(a/b)/b"]
        )
    if op == "**" and len(children) == 2:
        return Rule(
            f"power({a}, {b})",
            [f"power_slope({a}, {b})", f"{out} * math.log({a})"],
            ["d(a**b)/da = b * a**(b-1)", "d(a**b)/db = a**b * log(a)"],
        )
    if len(children) != 1 or op == "w·x+b":
        return _fused_rule(op, children)
    if op.startswith("**"):
        return _power_rule(_exponent(op), a)
    one: dict[str, tuple[str, str, str]] = {
        "neg": (f"-{a}", "-1.0", "d(-a)/da = -1"),
        "exp": (f"math.exp({a})", out, "d(exp(a))/da = exp(a)"),
        "log": (f"math.log({a})", f"1.0 / {a}", "d(log(a))/da = 1/a"),
        "tanh": (f"math.tanh({a})", f"1.0 - {out} * {out}", "d(tanh(a))/da = 1 - tanh(a)**2"),
        "sigmoid": (f"sigmoid({a})", f"{out} * (1.0 - {out})", "d(sigmoid(a))/da = s * (1 - s)"),
        "relu": (
            f"0.0 if {a} <= 0.0 else {a}",
            f"0.0 if {a} <= 0.0 else 1.0",
            "d(relu(a))/da = 0 if a <= 0 else 1",
        ),
    }
    if op not in one:
        return None
    forward, local_grad, derivative = one[op]
    return Rule(forward, [local_grad], [derivative])


def _exponent(op: str) -> float | None:
    """n in the op "**n" (which engine/value.py writes exactly), or None."""
    try:
        return float(op[2:])
    except ValueError:
        return None


def _power_rule(n: float | None, a: str) -> Rule | None:
    """a ** n for a plain number n. A whole power n >= 1 is plain Python;
    the others go through `power` and `power_slope`, which handle 0, nan and
    infinite slopes as Value does."""
    if n is None:
        return None
    derivative = f"d(a**{n:g})/da = {n:g} * a**{n - 1:g}"
    if n >= 1.0 and n.is_integer():
        if n == 1.0:
            slope = "1.0"
        elif n == 2.0:
            slope = f"2.0 * {a}"  # 2 * a**1, and a**1 is a, exactly
        else:
            slope = f"{n!r} * {a} ** {n - 1.0!r}"
        return Rule(f"{a} ** {n!r}", [slope], [derivative])
    return Rule(f"power({a}, {n!r})", [f"power_slope({a}, {n!r})"], [derivative])


def _fused_rule(op: str, children: list[str]) -> Rule | None:
    """nn's fused neuron, "w·x+b" (made with from_op in nn/layers.py): its
    children are w_0.., x_0.., b, and its sum is b + w_0*x_0 + w_1*x_1 + ...,
    added in that order."""
    count = (len(children) - 1) // 2
    if op != "w·x+b" or len(children) != 2 * count + 1 or count == 0:
        return None
    weights, inputs, bias = children[:count], children[count:-1], children[-1]
    terms = " + ".join(f"{w} * {x}" for w, x in zip(weights, inputs))
    return Rule(
        f"{bias} + {terms}",
        [*inputs, *weights, "1.0"],
        ["d(w·x+b)/dw_i = x_i"] * count + ["d(w·x+b)/dx_i = w_i"] * count + ["d(w·x+b)/db = 1"],
    )


# ---------------------------------------------------------------------------
# Names: the Stepper's names, made into Python variables
# ---------------------------------------------------------------------------


def variable_names(order: list[Value], roots: int) -> tuple[dict[Value, str], dict[Value, str]]:
    """A Python variable for each node, from the name every view gives it
    (`engine.graph.node_names`): `x1` stays `x1`, `w.0` becomes `w_0`, and
    `#7(tanh)` becomes `n7`. Returns the variables and the names. (The
    seeds of `roots` roots, `seed_0`..., are taken too.)"""
    names = node_names(order)
    taken = RESERVED | {f"seed_{index}" for index in range(roots)}
    variables: dict[Value, str] = {}
    for index, node in enumerate(order):
        name = names[node]
        base = name.replace(".", "_")
        if not base.isidentifier() or keyword.iskeyword(base):
            base = f"n{index}"  # the number of `#7(tanh)`, which is its place in `order`
        variable, suffix = base, 1
        while variable in taken or f"{variable}_grad" in taken:
            variable = f"{base}_{suffix}"
            suffix += 1
        taken.update((variable, f"{variable}_grad"))
        variables[node] = variable
    return variables, names


# ---------------------------------------------------------------------------
# Writing the source
# ---------------------------------------------------------------------------


def _line(code: str, comment: str = "", indent: str = "    ") -> list[str]:
    """`code` with its comment, as one line of at most MAX_COLUMNS, or as
    several (inside parentheses) when the code alone is too long."""
    text = indent + code
    if comment:
        at_column = f"{text:<{COMMENT_COLUMN}}# {comment}" if len(text) < COMMENT_COLUMN else ""
        after = f"{text}  # {comment}"  # where the code leaves no room before the column
        for line in (at_column, after):
            if line and len(line) <= MAX_COLUMNS:
                return [line]
    if len(text) <= MAX_COLUMNS:
        return [text]
    # target = (long expression): break it between words, inside parentheses
    target, equals, expression = code.partition("= ")
    words = expression.split(" ")
    return [f"{indent}{target}{equals}(", *_filled(words, " ", indent), f"{indent})"]


def _tuple_lines(targets: list[str], value: str, indent: str = "    ") -> list[str]:
    """`a, b, c = value`, broken over lines if long."""
    if not targets:
        return []
    text = f"{indent}{', '.join(targets)}, = {value}" if len(targets) == 1 else (
        f"{indent}{', '.join(targets)} = {value}"
    )
    if len(text) <= MAX_COLUMNS:
        return [text]
    return [f"{indent}(", *_filled(targets, ", ", indent), f"{indent}) = {value}"]


def _filled(words: list[str], separator: str, indent: str = "    ") -> list[str]:
    """`words`, each followed by `separator`, filled into lines of at most
    MAX_COLUMNS, indented one step more than `indent` (the inside of a
    broken expression, tuple or list)."""
    lines = []
    current = indent + "    "
    mark = len(separator.rstrip())  # what stays at the end of a line: the "," of ", "
    for word in words:
        if len(current) + len(word) + mark > MAX_COLUMNS and current.strip():
            lines.append(current.rstrip())
            current = indent + "    "
        current += word + separator
    lines.append(current.rstrip())
    return lines


class _Writer:
    """Writes the function for the graph in `order` (topological, roots last)."""

    def __init__(
        self, order: list[Value], roots: list[Value], wanted: set[Value] | None = None
    ) -> None:
        self.order = order
        self.roots = roots
        self.variables, self.names = variable_names(order, len(roots))
        # A plain number of the expression that has no name (the 3 of x * 3,
        # which an operation wrapped into a leaf) is written as itself, 3.0:
        # building the graph again would wrap the same number again, and
        # nobody holds its Value to read a grad, so none is computed. (A
        # number the views name, such as the x.0 fed to a neuron, is a leaf
        # like x, read from `data` and given its grad, as the drawing shows.)
        self.numbers = {
            node: _number_text(node.data)
            for node in order
            if is_wrapped(node) and node not in roots and self.names[node].startswith("#")
        }
        self.number_texts = set(self.numbers.values())
        self.variables.update(self.numbers)
        self.leaves = [node for node in order if node._a is None and node not in self.numbers]
        # The nodes whose grads lead to a wanted leaf's (all, unless told)
        self.needed = set(order)
        if wanted is not None:
            self.needed = set(wanted)
            for node in order:
                if any(child in self.needed for child in node.children):
                    self.needed.add(node)
        self.needed -= self.numbers.keys()
        self.rules: dict[Value, Rule] = {}
        for node in order:
            if node._a is None:
                continue
            children = [self.variables[child] for child in node.children]
            found = rule(node.op, self.variables[node], children)
            if found is None:
                raise CannotUnroll(
                    f"cannot unroll {self.names[node]}: its operation {node.op!r} has no rule "
                    "here (an operation made with from_op gives numbers, not a rule); build it "
                    "from Value operations (+, *, tanh(), exp(), ...) to unroll it"
                )
            self.rules[node] = found
        self.step_lines: dict[Value, list[int]] = {}  # backward lines of each node's step
        self._saved: list[str] | None = None  # see saved()
        self.uses: dict[Value, int] = {node: 0 for node in order}  # edges into each node
        for node in self.rules:
            for child in node.children:
                self.uses[child] += 1

    def forward_lines(self, inline: bool) -> list[str]:
        """One line per operation; or, with inline=True (for the forward pass
        of training, which nobody reads), a value that one operation uses
        once and the backward pass never reads is written into that
        operation's expression, in parentheses, so it is computed in the
        same order with fewer steps of Python."""
        lines = ["    # forward: one line per operation"]
        if not inline:
            for node in self.rules:  # in the order of the graph, as `order`
                variable = self.variables[node]
                lines += _line(f"{variable} = {self.rules[node].forward}", self.op_comment(node))
            return lines
        keep = set(self.saved()) | {self.variables[root] for root in self.roots}
        inlined: dict[Value, tuple[str, int]] = {}  # expression, nesting depth
        for node in self.order:
            if node not in self.rules:
                continue
            variable = self.variables[node]
            children = [inlined[c][0] if c in inlined else self.variables[c] for c in node.children]
            depth = 1 + max([inlined[c][1] for c in node.children if c in inlined], default=0)
            found = rule(node.op, variable, children)
            assert found is not None  # the same op found a rule in __init__
            if self.uses[node] == 1 and variable not in keep and depth < 30:
                inlined[node] = (f"({found.forward})", depth)
            else:
                lines += _line(f"{variable} = {found.forward}", self.op_comment(node))
        return lines

    def op_comment(self, node: Value) -> str:
        """A forward line's comment: the node's name and the operation that made it."""
        return f"{self.names[node]} ({node.op})"

    def backward_lines(self, first: int, seeds: list[str], guarded: bool) -> list[str]:
        """The chain rule, from the roots down; `first` is the number of the
        first line (to remember which lines each step wrote), and `seeds`
        the upstream grad of each root ("1.0" for backward()).

        guarded=True (for training) puts a node with two local derivatives
        that are numbers, such as a*b, under `if grad or not_finite:`, which
        skips it exactly when backward() does, a grad of 0 times finite
        numbers: those numbers are leaves, saved values or plain numbers of
        the expression (finite: Value refuses others), and `not_finite`
        says whether any leaf or saved value is inf or nan (or their sum
        overflows: then nothing is skipped, and the same grads come out).
        The grads it would start are set to 0.0 before it.
        And a grad that is exactly another one (the one input of a "+" used
        once) gets no line: the code calls it by the other's name.
        """
        variables = self.variables
        lines = ["    # backward: child_grad += node_grad * d(node)/d(child), from the root down"]
        has_grad = {node for node in self.leaves}  # a leaf starts from the grad it holds
        grad_of: dict[Value, str] = {}  # guarded: a grad that is another's, under its name
        for root, seed in zip(self.roots, seeds):
            if root not in self.needed:
                continue  # no wanted leaf below it (or it is a leaf not wanted)
            grad = f"{variables[root]}_grad"
            comment = f"d({variables[root]})/d({variables[root]}) = 1" if seed == "1.0" else "seed"
            if root in has_grad:
                lines += _line(f"{grad} += {seed}", comment)
            else:
                lines += _line(f"{grad} = {seed}", comment)
                has_grad.add(root)
        for node in reversed(self.order):
            if node not in self.rules:
                continue
            if node not in self.needed:
                continue  # no wanted leaf below
            start = first + len(lines)
            found = self.rules[node]
            upstream = grad_of.get(node, f"{variables[node]}_grad")
            indent = "    "
            plain = [local for local in found.local_grads  # a variable, or a number
                     if re.fullmatch(r"[A-Za-z_]\w*", local) or local in self.number_texts]
            if guarded and len(found.local_grads) == 2 and len(plain) == 2:
                for child in node.children:
                    if child not in has_grad and child in self.needed:
                        lines += _line(f"{variables[child]}_grad = 0.0")
                        has_grad.add(child)
                lines += _line(f"if {upstream} or not_finite:", "else: 0 * finite numbers")
                indent = "        "
            for child, local, derivative in zip(node.children, found.local_grads, found.derivatives):
                if child not in self.needed:
                    continue
                if guarded and local == "1.0" and child not in has_grad and self.uses[child] == 1:
                    grad_of[child] = upstream  # its one grad is this one: no line to copy it
                    has_grad.add(child)
                    continue
                target = f"{variables[child]}_grad"
                if local == "1.0":
                    sign, term = "+", upstream
                elif local == "-1.0":
                    sign, term = "-", upstream
                else:
                    # x, f(x), 2.5, (-2.5): no parentheses needed around it
                    simple = local in self.number_texts or (
                        re.fullmatch(r"[\w.]*(\([^()]*\))?", local) is not None
                    )
                    sign, term = "+", f"{upstream} * {local if simple else f'({local})'}"
                if child in has_grad:
                    code = f"{target} {sign}= {term}"
                else:
                    code = f"{target} = {term if sign == '+' else f'-{term}'}"
                    has_grad.add(child)
                lines += _line(code, derivative, indent)
            self.step_lines[node] = list(range(start, first + len(lines)))
        return lines

    def saved(self) -> list[str]:
        """The computed values that the backward pass reads (for "seeded")."""
        if self._saved is None:
            computed = {self.variables[node] for node in self.rules}
            read: dict[str, None] = {}  # a dict keeps them in order, once each
            for node in reversed(self.order):
                if node in self.rules:
                    for local in self.rules[node].local_grads:
                        for name in re.findall(r"[A-Za-z_]\w*", local):
                            if name in computed:
                                read[name] = None
            self._saved = list(read)
        return self._saved

    def helpers(self) -> list[str]:
        used = [name for name in HELPERS if any(
            f"{name}(" in text
            for found in self.rules.values()
            for text in (found.forward, *found.local_grads)
        )]
        return [HELPERS[name].strip("\n") for name in used]


def _source(writer: _Writer, mode: str = "backward") -> tuple[str, dict[Value, list[int]]]:
    """The module text: import math, the helpers it needs, and one function.

    - "backward": `backprop(data, grads)`, forward, then the backward() of
      the root; returns the root's value and the leaves' new grads.
    - "forward": `forward(data)`, the forward pass alone; returns the roots'
      values, and the values the backward pass reads (`saved`).
    - "seeded": `backprop(data, saved, seeds, grads)`: the backward pass
      alone, on the values the forward pass saved, each root's grad starting
      at its seed (d(loss)/d(root)), guarded (see `_Writer.backward_lines`);
      returns the leaves' new grads.
    """
    variables = writer.variables
    leaves = [variables[leaf] for leaf in writer.leaves]
    grads = [f"{leaf}_grad" for leaf in leaves]
    roots = [variables[root] for root in writer.roots]
    head = ["import math", "", ""]
    for helper in writer.helpers():
        head += [*helper.splitlines(), "", ""]
    signature = {
        "backward": "backprop(data, grads)",
        "forward": "forward(data)",
        "seeded": "backprop(data, saved, seeds, grads)",
    }[mode]
    root_names = ", ".join(writer.names[root] for root in writer.roots)
    head += [
        f"def {signature}:",
        f"    # the forward and backward pass of {root_names}, written out by engine.unroll"
        if mode == "backward"
        else f"    # the {mode} pass of {root_names}, written out by engine.unroll",
    ]
    head += _tuple_lines(leaves, "data")
    seed_names = ["1.0"]
    if mode == "seeded":
        head += _tuple_lines(writer.saved(), "saved")
        seed_names = [f"seed_{index}" for index in range(len(roots))]
        head += _tuple_lines(seed_names, "seeds")
    if mode != "forward":
        head += _tuple_lines(grads, "grads")
    if mode == "seeded":
        head += _line(
            "not_finite = not (math.isfinite(sum(data)) and math.isfinite(sum(saved)))",
            "inf or nan?",
        )
    lines = head
    if mode != "seeded":
        lines += writer.forward_lines(inline=mode == "forward")
    if mode == "forward":
        returned = f"    return [{', '.join(roots)}], "
        saved = writer.saved()
        if saved:
            lines += [f"{returned}(", *_filled(saved, ", "), "    )"]
        else:
            lines.append(f"{returned}()")
        return "\n".join(lines) + "\n", {}
    lines += writer.backward_lines(len(lines) + 1, seed_names, guarded=mode == "seeded")
    returned = f"[{', '.join(grads)}]" if mode == "seeded" else f"{roots[0]}, [{', '.join(grads)}]"
    if len(f"    return {returned}") <= MAX_COLUMNS:
        lines.append(f"    return {returned}")
    else:
        ahead = "" if mode == "seeded" else f"{roots[0]}, "
        lines += [f"    return {ahead}[", *_filled(grads, ", "), "    ]"]
    return "\n".join(lines) + "\n", writer.step_lines


def _number_text(number: float) -> str:
    """A number as Python source that gives exactly it: `2.5`, `(-2.5)`, `1e+300`."""
    text = repr(number)
    return f"({text})" if text.startswith("-") else text


def _compiled(source: str, name: str, function_name: str = "backprop") -> Callable[..., Any]:
    """The function that `source` defines."""
    namespace: dict[str, Any] = {}
    exec(compile(source, name, "exec"), namespace)
    function: Callable[..., Any] = namespace[function_name]
    return function


class Unrolled:
    """The graph under `root` as code: `source`, and the function it defines.

    - `str(code)` or `code.source`: the Python text (it runs with nothing
      but `math`).
    - `code()`: run it on the leaves' current data; returns the root's new
      value and adds each leaf's gradient into its `grad`, bit for bit as
      backward() would. (One difference, of sign only: a leaf whose grad
      you set to -0.0 may come back +0.0 where backward() skips a node.)
    - `code.leaves`: the leaves, in the order the function takes them (the
      plain numbers written into the code are not among them).
    - `code.lines_of(node)`: the lines of the backward pass that make
      `node`'s step of the chain rule (what the Stepper shows).
    """

    def __init__(self, root: Value) -> None:
        self.root = root
        order = topological_order(root)
        writer = _Writer(order, [root])
        self.leaves: list[Value] = writer.leaves
        self.names = writer.names
        self.source, self._step_lines = _source(writer)
        self.function = _compiled(self.source, f"<unrolled {writer.names[root]}>")

    def __call__(self) -> float:
        """Replay forward and backward on the leaves' current data (see the module)."""
        leaves = self.leaves
        data = [leaf.data for leaf in leaves]
        with _gradient_lock:
            grads = [leaf.grad for leaf in leaves]
            value, grads = self.function(data, grads)
            for leaf, grad in zip(leaves, grads):
                leaf.grad = grad
        result: float = value
        return result

    def lines_of(self, node: Value) -> list[str]:
        """The lines of the backward pass that do `node`'s step ([] for a leaf)."""
        lines = self.source.splitlines()
        return [lines[number - 1] for number in self._step_lines.get(node, [])]

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        count = self.source.count("\n")
        return f"<unrolled {self.names[self.root]}: {count} lines; print() it to read them>"

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.source}```\n"

    def _repr_html_(self) -> str:
        """Highlighted by pygments, which ships with IPython (plain if it is missing)."""
        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
        except ImportError:
            return f"<pre>{html.escape(self.source)}</pre>"
        formatter = HtmlFormatter(noclasses=True, nobackground=True)
        text: str = highlight(self.source, PythonLexer(), formatter)
        return text


class Replay:
    """Several outputs as two functions, for training (see `unroll_outputs`)."""

    def __init__(self, roots: list[Value], wanted: list[Value] | None = None) -> None:
        order: list[Value] = []
        seen: set[Value] = set()
        for root in roots:  # each root's walk, minus what an earlier root listed
            for node in topological_order(root):
                if node not in seen:
                    seen.add(node)
                    order.append(node)
        writer = _Writer(order, roots, None if wanted is None else set(wanted))
        self.leaves: list[Value] = writer.leaves
        self.forward_source, _ = _source(writer, "forward")
        self.source, _ = _source(writer, "seeded")
        self.forward = _compiled(self.forward_source, "<unrolled forward>", "forward")
        self.backward = _compiled(self.source, "<unrolled outputs>")


def unroll_outputs(roots: list[Value], wanted: list[Value] | None = None) -> Replay:
    """The graph under `roots` as two functions, for training on plain floats.

    `replay.forward(data)` takes the data of `replay.leaves` (in order) and
    returns the roots' values and `saved`, the values the backward pass
    needs. `replay.backward(data, saved, seeds, grads)` takes the same data,
    `saved`, d(loss)/d(root) for each root (`seeds`) and the grads the
    leaves hold; it runs the backward pass, each root's grad starting at its
    seed, and returns the leaves' new grads. (Two passes, so that a loss can
    be computed from all the rows' outputs in between: nn's `CompiledModel`
    runs a model this way.) Give `wanted`, the leaves whose grads you need
    (a model's parameters), and the backward pass computes only what leads
    to them; the other leaves' grads come back as they were given.

    >>> from engine import Value
    >>> x, y = Value(3.0, label="x"), Value(2.0, label="y")
    >>> replay = unroll_outputs([x * y, x + 1])
    >>> [leaf.label for leaf in replay.leaves]  # the 1 is in the code, as 1.0
    ['x', 'y']
    >>> outputs, saved = replay.forward([5.0, 2.0])  # on new data: x = 5
    >>> outputs
    [10.0, 6.0]
    >>> replay.backward([5.0, 2.0], saved, [1.0, 10.0], [0.0, 0.0])  # seeds 1 and 10
    [12.0, 5.0]

    (x gets 1 * y + 10 * 1, and y gets 1 * x.)
    """
    for root in roots:
        _check_value(root)
    return Replay(list(roots), wanted)


def unroll(root: Value) -> Unrolled:
    """The graph under `root` as straight-line Python: see this module's docstring.

    >>> from engine import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x + 1
    >>> code = unroll(y)
    >>> code(), x.grad          # y = 10, dy/dx = 2x = 6
    (10.0, 6.0)
    >>> x.data = 4.0
    >>> code(), x.grad          # the grads add up, as with backward()
    (17.0, 14.0)
    """
    _check_value(root)
    return Unrolled(root)


def _check_value(root: object) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"unroll() needs a Value, the root of a graph, not {type(root).__name__}")
