"""Turn a formula such as "tanh(x1*w1 + x2*w2 + b)" into a graph of Values, safely.

The text is read with Python's own parser (`ast.parse`), and then every piece
of the parsed tree is checked against a short list of what a formula may
contain:

- numbers (`2`, `0.5`, `1e-3`) and named inputs (`x1`, `w`, `bias`),
- the operators `+ - * / **`, a leading minus, and parentheses,
- calls of `exp`, `log`, `tanh`, `sigmoid` and `relu` with one argument.

Anything else (attribute access, subscripts, lambdas, comprehensions, keyword
arguments, any other function) is refused with an `ExpressionError` that
says what and at which column. Nothing is ever passed to `eval`: the graph is
built by walking the checked tree and calling the matching `Value` operation.

>>> expression = parse_expression("tanh(x*w + b)")
>>> expression.input_names
('x', 'w', 'b')
>>> out = expression.build({"x": 2.0, "w": -3.0, "b": 6.5})
>>> out
Value('tanh(x*w + b)', data=0.46211715726000974, grad=0.0)
>>> parse_expression("x.__class__")
Traceback (most recent call last):
...
engine.expression.ExpressionError: column 2: attribute access (.__class__) is not allowed; use + - * / ** and exp, log, relu, sigmoid, tanh

A formula that Python's parser cannot read is explained in plain words too,
at the place where it goes wrong, and `show_column` draws that place for a
terminal:

>>> parse_expression("2x + 1")
Traceback (most recent call last):
...
engine.expression.ExpressionError: column 1: a number followed by a name: write 2*x to multiply

Each input becomes a leaf Value labelled with its name (an input used twice
is one Value used twice), and each intermediate node is labelled with the
source text it came from, so drawings and backprop steps read like the formula.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Mapping

from engine.checks import described
from engine.value import Value, as_value

# The functions a formula may call, each a Value operation of one argument.
FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
}

# Limits that make absurd input fail at once with a clear message.
MAX_LENGTH = 1000  # characters of source text
MAX_DEPTH = 500  # nesting of operations, e.g. tanh(tanh(...)), or a long sum a + b + c + ...
MAX_EXPONENT = 1000.0  # |n| in a ** n; a float overflows long before this matters

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_ALLOWED = "use + - * / ** and " + ", ".join(sorted(FUNCTIONS))


class ExpressionError(ValueError):
    """A formula that is refused, or inputs that do not fit it.

    `column` counts characters from 1 (None when no single place is at fault).
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        self.column = column
        super().__init__(f"column {column}: {message}" if column is not None else message)


class EvaluationError(ExpressionError):
    """A well-formed formula whose arithmetic fails for these inputs, e.g. log(-1)."""


@dataclass(frozen=True)
class Expression:
    """A checked formula: its source, its input names, and how to build its graph.

    Make one with `parse_expression(source)`.
    """

    source: str
    input_names: tuple[str, ...]  # in order of first appearance
    _text: _Text = field(repr=False, compare=False)
    _tree: ast.expr = field(repr=False, compare=False)

    def build(self, values: Mapping[str, float]) -> Value:
        """Compute the formula for these input values; return the output Value.

        >>> parse_expression("x ** 2 + 1").build({"x": 3}).data
        10.0
        """
        _check_values(self.input_names, values)
        inputs = {name: Value(values[name], label=name) for name in self.input_names}
        return _build_graph(self._text, self._tree, inputs)


def parse_expression(source: str) -> Expression:
    """Check `source` against the allowed syntax and return an `Expression`.

    Raises `ExpressionError` naming the problem and its column.

    >>> parse_expression("relu(a) - a / 2").input_names
    ('a',)
    >>> parse_expression("open('x')")
    Traceback (most recent call last):
    ...
    engine.expression.ExpressionError: column 1: unknown function open; the functions are exp, log, relu, sigmoid, tanh
    """
    if not isinstance(source, str):
        raise TypeError(f"the expression must be a str, not {described(source)}")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(source)} characters long; the limit is {MAX_LENGTH}"
        )
    if not source.strip():
        raise ExpressionError("the expression is empty; write a formula such as 'x * w + b'")
    for index, character in enumerate(source):
        if character.isspace() and character not in " \n\r\t":
            raise ExpressionError(
                f"the character {character!r} is a special space: type a plain space",
                index + 1,
            )
        if not character.isprintable():
            raise ExpressionError(
                f"the character {character!r} is not allowed; write the formula on one line",
                index + 1,
            )
    # ast.parse refuses leading spaces; count columns in the text as given.
    text = _Text(source.lstrip(), shift=len(source) - len(source.lstrip()))
    try:
        tree = ast.parse(text.text, mode="eval").body
    except SyntaxError as error:
        message, column = _explain_syntax_error(source, error.msg, error.offset, text.shift)
        raise ExpressionError(message, column) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            f"the expression is nested too deeply; the limit is {MAX_DEPTH} levels"
        ) from None
    names = _check_tree(text, tree)
    return Expression(source=source, input_names=names, _text=text, _tree=tree)


def build_expression(source: str, values: Mapping[str, float]) -> Value:
    """Parse `source` and build its graph for `values` in one call.

    >>> out = build_expression("x * w", {"x": 2, "w": -3})
    >>> out.backward()
    >>> [(child.label, child.grad) for child in out.children]
    [('x', -3.0), ('w', 2.0)]
    """
    return parse_expression(source).build(values)


def show_column(source: str, column: int | None, width: int = 80) -> str:
    """The formula on one line and a caret under `column`, for a terminal.

    A formula wider than `width` is cut around the column, with ... for the
    parts cut; wide characters (full-width letters) count two columns.

    >>> print(show_column("2x + 1", 2))
      2x + 1
       ^
    """
    if column is None:
        return ""
    start, end = 0, len(source)
    room = max(width - 8, 10)  # 2 spaces of indent, and ... on either side
    if _screen_width(source) > room:
        start = max(0, column - 1 - room // 2)
        end = start
        while end < len(source) and _screen_width(source[start : end + 1]) <= room:
            end += 1
    shown = ("..." if start > 0 else "") + source[start:end] + ("..." if end < len(source) else "")
    before = ("..." if start > 0 else "") + source[start : column - 1]
    return f"  {shown}\n  {' ' * _screen_width(before)}^"


def _screen_width(text: str) -> int:
    """How many terminal columns `text` takes (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


# ---------------------------------------------------------------------- syntax errors in words

# The pieces a formula is made of, for explaining a formula Python cannot read.
_TOKEN = re.compile(
    r"(?P<number>(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?)"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<operator>\*\*|[-+*/])"
    r"|(?P<open>\()|(?P<close>\))"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)"
)
_OPENERS = {")": "(", "]": "[", "}": "{"}


def _explain_syntax_error(
    source: str, python_message: str, offset: int | None, shift: int
) -> tuple[str, int]:
    """Plain words for a formula that Python's parser refuses, and the column to point at.

    Reads the formula left to right and names the first thing that cannot
    be read: a number followed by a name (`2x`), two operators in a row, a
    formula ending in an operator, a bracket never closed or never opened, a
    character a formula never holds.
    """
    tokens = [
        (match.lastgroup or "other", match.group(), match.start() + 1)
        for match in _TOKEN.finditer(source)
        if match.lastgroup != "space"
    ]
    value_kinds = ("number", "name", "close")
    open_columns: list[int] = []
    previous: tuple[str, str, int] | None = None
    for kind, text, column in tokens:
        if kind == "other":
            return _explain_character(text, previous), column
        if kind == "number" and not text.isascii():  # e.g. a full-width digit
            index = next(i for i, char in enumerate(text) if not char.isascii())
            return _explain_character(text[index], previous), column + index
        if kind == "name" and keyword.iskeyword(text):
            return f"{text!r} is a Python keyword; a formula cannot use it", column
        if kind == "number" and re.fullmatch(r"0+\d+", text):
            return f"write {int(text)}, not {text}: a whole number cannot start with 0", column
        if previous is not None:
            previous_kind, previous_text, previous_column = previous
            joined = previous_column + len(previous_text) == column
            if previous_kind == "number" and kind == "name" and joined:
                return (
                    f"a number followed by a name: write {previous_text}*{text} to multiply",
                    previous_column,
                )
            if previous_kind == "number" and kind == "number" and joined:
                return f"the number {previous_text}{text} has two decimal points", column
            if previous_text in FUNCTIONS and kind in ("number", "name"):
                return f"call {previous_text} with parentheses: {previous_text}({text})", column
            if previous_kind in value_kinds and kind in ("number", "name"):
                return (
                    f"{text!r} follows {previous_text!r} with no operator between them: "
                    f"write {previous_text}*{text}, {previous_text} + {text}, ...",
                    column,
                )
            if previous_kind in ("operator", "open") and kind in ("operator", "close"):
                if not (kind == "operator" and text in "+-"):  # a sign: x * -2
                    missing = "a number or name is missing"
                    return f"{text!r} right after {previous_text!r}: {missing}", column
        elif (kind == "operator" and text not in "+-") or kind == "close":
            return f"the formula starts with {text!r}: something is missing before it", column
        if kind == "open":
            open_columns.append(column)
        elif kind == "close":
            if not open_columns:
                return "this ')' closes no '('", column
            open_columns.pop()
        previous = (kind, text, column)
    if previous is not None and previous[0] in ("operator", "open"):
        return f"the formula ends after {previous[1]!r}: something is missing", len(source) + 1
    if open_columns:
        return "this '(' is never closed: add a ')'", open_columns[-1]
    # Nothing above explains it: say where Python stopped, without its jargon.
    if "too many nested" in python_message:
        return "too many nested parentheses", (offset or 1) + shift
    column = (offset + shift) if offset else len(source) + 1
    return "this formula cannot be read from here; check the spelling", column


def _explain_character(character: str, previous: tuple[str, str, int] | None) -> str:
    """Why a formula cannot hold `character`, and what to write instead."""
    normal = unicodedata.normalize("NFKC", character)
    if normal != character and _TOKEN.fullmatch(normal) and normal.isascii():
        return f"the character {character!r} is not allowed: write {normal!r}"
    if character == "=":
        return "a formula holds no '=': give the input values after it, as x=1"
    if character in "'\"":
        return "a formula holds no quotes: only numbers, names, + - * / ** and ( )"
    if character in _OPENERS.values():
        return f"use ( ) for grouping, not {character}"
    if character in _OPENERS:
        return f"this {character!r} closes no {_OPENERS[character]!r}"
    if character == "." and previous is not None and previous[0] != "number":
        return "'.' is not allowed here: a formula has no attributes"
    if character == "^":
        return "'^' is not a power here: write ** (x**2)"
    return f"the character {character!r} is not allowed in a formula; {_ALLOWED}"


# ---------------------------------------------------------------------- checking


@dataclass(frozen=True)
class _Text:
    """The formula's text as parsed, and how many spaces were cut from its front."""

    text: str
    shift: int

    def column(self, byte_offset: int) -> int:
        """The 1-based character column of a 0-based UTF-8 byte offset (as ast counts)."""
        before = self.text.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace")
        return len(before) + self.shift + 1

    def column_of(self, node: ast.expr) -> int:
        return self.column(node.col_offset)

    def segment(self, node: ast.expr) -> str:
        """The text that `node` was parsed from."""
        return ast.get_source_segment(self.text, node) or type(node).__name__


def _operands(node: ast.expr) -> list[ast.expr]:
    """The sub-formulas of an allowed node, left to right."""
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _check_tree(text: _Text, tree: ast.expr) -> tuple[str, ...]:
    """Refuse anything outside the allowed syntax; return the input names in order.

    Walks the tree with an explicit stack (depth first, left to right), so a
    problem is reported before those inside it (`x.a % 2` names the %), and
    of two side by side the left one first.
    """
    names: list[str] = []
    stack: list[tuple[ast.expr, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        column = text.column_of(node)
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"the expression is nested too deeply; the limit is {MAX_DEPTH} levels", column
            )
        _check_node(text, node, column)
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
        for operand in reversed(_operands(node)):
            stack.append((operand, depth + 1))
    return tuple(names)


def _check_node(text: _Text, node: ast.expr, column: int) -> None:
    """Raise ExpressionError if this one node is not allowed (its operands are checked later)."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(f"{value!r} is not a number; only numbers are allowed", column)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ExpressionError(f"the number {_shorten(text.segment(node))} is too large", column)
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function; call it as {node.id}(...)", column)
        if node.id.startswith("_"):
            raise ExpressionError(
                f"the name {node.id} is not allowed: input names start with a letter", column
            )
    elif isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            raise ExpressionError(
                "'^' is not a power here: write ** (x**2)", text.column_of(node.right) - 1
            )
        if type(node.op) not in _OPERATORS:
            raise ExpressionError(
                f"the operator {_operator_symbol(node.op)} is not allowed; {_ALLOWED}",
                text.column_of(node.right) - 1,
            )
        if isinstance(node.op, ast.Pow):
            exponent = _literal_number(node.right)
            if exponent is not None and abs(exponent) > MAX_EXPONENT:
                raise ExpressionError(
                    f"the exponent {text.segment(node.right)} is too large; "
                    f"exponents are limited to {MAX_EXPONENT:g}",
                    text.column_of(node.right),
                )
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExpressionError(
                f"the operator {_operator_symbol(node.op)} is not allowed; {_ALLOWED}", column
            )
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Constant):
            raise ExpressionError(
                f"a number followed by '(': write {text.segment(node.func)}*(...) to multiply",
                column,
            )
        if not isinstance(node.func, ast.Name):
            # Only a plain name can be called; say what the callee is.
            _check_node(text, node.func, text.column_of(node.func))
            raise ExpressionError(
                f"only exp, log, relu, sigmoid, tanh can be called, not "
                f"{text.segment(node.func)}",
                column,
            )
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(
                f"unknown function {name}; the functions are {', '.join(sorted(FUNCTIONS))}",
                column,
            )
        if node.keywords:
            raise ExpressionError(
                f"keyword arguments are not allowed: write {name}(x), not "
                f"{text.segment(node)}",
                column,
            )
        if len(node.args) != 1:
            raise ExpressionError(
                f"{name} takes exactly one argument, not {len(node.args)}", column
            )
        if isinstance(node.args[0], ast.Starred):
            raise ExpressionError("starred arguments (*) are not allowed", column)
    elif isinstance(node, ast.Attribute):
        raise ExpressionError(
            f"attribute access (.{node.attr}) is not allowed; {_ALLOWED}",
            text.column(node.value.end_col_offset or node.col_offset),
        )
    else:
        # Anything else: show the text itself (the caret shows where it is).
        raise ExpressionError(
            f"{_shorten(text.segment(node))} is not allowed in a formula; {_ALLOWED}", column
        )


def _shorten(text: str, limit: int = 30) -> str:
    """`text`, cut to `limit` characters for an error message."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def _operator_symbol(operator: ast.AST) -> str:
    symbols = {
        ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<",
        ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^",
        ast.Invert: "~", ast.Not: "not",
    }  # fmt: skip
    return symbols.get(type(operator), type(operator).__name__)


def _literal_number(node: ast.expr) -> float | None:
    """The number written as `node` (`3`, `-2.5`), or None if it is not a plain number."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        try:
            return sign * float(node.value)
        except OverflowError:
            return math.inf
    return None


def _check_values(names: tuple[str, ...], values: Mapping[str, float]) -> None:
    """Every input has a value, and every value belongs to an input."""
    missing = [name for name in names if name not in values]
    if missing:
        raise ExpressionError(
            f"no value for the input {missing[0]}; give a value for each of "
            f"{', '.join(names)} (e.g. {missing[0]}=1.0)"
        )
    extra = [name for name in values if name not in names]
    if extra:
        inputs = ", ".join(names) if names else "none"
        raise ExpressionError(
            f"{extra[0]} is not an input of the expression (its inputs: {inputs})"
        )


# ---------------------------------------------------------------------- building


def _build_graph(text: _Text, tree: ast.expr, inputs: dict[str, Value]) -> Value:
    """Walk the checked tree children first (no recursion) and apply each operation."""
    results: dict[ast.expr, Value] = {}
    stack: list[tuple[ast.expr, bool]] = [(tree, False)]
    while stack:
        node, operands_done = stack.pop()
        if not operands_done:
            stack.append((node, True))
            for operand in reversed(_operands(node)):
                stack.append((operand, False))
            continue
        operands = [results[operand] for operand in _operands(node)]
        results[node] = _apply(text, node, operands, inputs)
    return results[tree]


def _apply(text: _Text, node: ast.expr, operands: list[Value], inputs: dict[str, Value]) -> Value:
    """One node of the formula as a Value, from the Values of its operands."""
    if isinstance(node, ast.Name):
        return inputs[node.id]
    segment = text.segment(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return _number(node.value, segment)  # _check_tree refused every other constant
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
        return operands[0]
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return _number(-operands[0].data, segment)  # a negative number: no graph node
    try:
        if isinstance(node, ast.UnaryOp):
            result = -operands[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            result = FUNCTIONS[node.func.id](operands[0])
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            result = _power(text, node, operands[0], operands[1])
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            result = operands[0] + operands[1]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
            result = operands[0] - operands[1]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            result = operands[0] * operands[1]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            result = operands[0] / operands[1]
        else:  # _check_tree let nothing else through
            raise AssertionError(f"unchecked node {type(node).__name__}")
    except ExpressionError:
        raise  # from _power: it names the exponent's own column
    except (ArithmeticError, ValueError) as error:
        raise EvaluationError(f"{segment}: {error}", text.column_of(node)) from None
    if not math.isfinite(result.data):
        raise EvaluationError(
            f"{segment} = {result.data} is too large for a float", text.column_of(node)
        )
    result.label = segment
    return result


def _number(number: float, segment: str) -> Value:
    """A number of the formula, wrapped as Python wraps the 3 of `x * 3`
    (so `engine.unroll` writes it as itself), labelled with its text."""
    value = as_value(number)
    assert isinstance(value, Value)  # a finite int or float
    value.label = segment
    return value


def _power(text: _Text, node: ast.BinOp, base: Value, exponent: Value) -> Value:
    """base ** exponent, with the size of the exponent checked before computing."""
    if abs(exponent.data) > MAX_EXPONENT:
        raise ExpressionError(
            f"the exponent {text.segment(node.right)} = {exponent.data:g} is too large; "
            f"exponents are limited to {MAX_EXPONENT:g}",
            text.column_of(node.right),
        )
    if not any(isinstance(part, ast.Name) for part in ast.walk(node.right)):
        # A constant exponent such as 2 or (1/2): the node is `**2`, one child.
        return base**exponent.data
    return base**exponent
