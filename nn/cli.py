"""The `stepgrad` command: backprop you can watch, from a terminal.

    stepgrad step "tanh(x1*w1 + x2*w2 + b)" x1=2 w1=-3 x2=0 w2=1 b=6.88

prints the forward values of every node, every backward step (the chain rule
with its numbers), and the final grads of the named inputs. Each subcommand
has its own `add_..._command()` that sets up its arguments and a `run_...()`
that does the work; `main()` only dispatches. `stepgrad --help` lists them,
and `python -m nn` is the same command.

Mistakes print one line on stderr and exit with status 2 (a bad formula, a
bad `name=value`, a missing input) or 1 (arithmetic that fails for these
numbers, such as log(-1), or a file that cannot be written).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import NoReturn, Sequence

from engine.stepper import backward_steps, format_number, node_name
from engine.graph import topological_order

USAGE_ERROR = 2  # the command line is wrong: fix the arguments
RUN_ERROR = 1  # the arguments are fine but the work failed


class CommandLineError(Exception):
    """A mistake on the command line; `main()` prints it as one line and exits 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The `stepgrad` parser with one subparser per command."""
    parser = _Parser(
        prog="stepgrad",
        description="stepgrad: watch backpropagation one chain-rule step at a time.",
    )
    commands = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", parser_class=_Parser
    )
    commands.required = True
    add_step_command(commands)
    # Later commands go here, each as add_<name>_command(commands) + run_<name>(arguments):
    # add_demo_command(commands)
    # add_train_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `stepgrad` with `argv` (default: the real command line); return the exit status."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        return int(arguments.run(arguments))
    except BrokenPipeError:
        # The reader went away (e.g. `stepgrad step ... | head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return RUN_ERROR
    except CommandLineError as error:
        print(f"stepgrad {arguments.command}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except (ArithmeticError, ValueError, OSError) as error:
        print(f"stepgrad {arguments.command}: error: {error}", file=sys.stderr)
        return RUN_ERROR


# ---------------------------------------------------------------------- stepgrad step


STEP_EXAMPLE = 'stepgrad step "tanh(x1*w1 + x2*w2 + b)" x1=2 w1=-3 x2=0 w2=1 b=6.8813735870195432'


def add_step_command(commands: argparse._SubParsersAction) -> None:
    """`stepgrad step EXPRESSION name=value ...`"""
    parser = commands.add_parser(
        "step",
        help="run backprop on a formula and print every chain-rule step",
        description=(
            "Build the graph of EXPRESSION for the given input values, then print "
            "the forward value of every node, every backward step with its "
            "arithmetic, and the gradient of each input."
        ),
        epilog=(
            "The formula may use numbers, input names, + - * / **, parentheses and\n"
            "exp, log, tanh, sigmoid, relu. It is parsed, never run as Python code.\n"
            "Put -- before a formula that starts with a minus: stepgrad step -- \"-x\" x=1\n"
            f"\nexample:\n  {STEP_EXAMPLE}"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expression", metavar="EXPRESSION", help='a formula, e.g. "tanh(x*w + b)"')
    parser.add_argument(
        "values",
        metavar="NAME=VALUE",
        nargs="*",
        help="a number for each input of the formula, e.g. x=2 w=-3",
    )
    parser.add_argument(
        "--graph",
        metavar="PATH",
        type=Path,
        help="also draw the graph with its grads to PATH (.svg or .png)",
    )
    parser.set_defaults(run=run_step)


def parse_assignments(texts: Sequence[str]) -> dict[str, float]:
    """`["x=2", "w=-3"]` -> `{"x": 2.0, "w": -3.0}`, naming any bad argument.

    >>> parse_assignments(["x=2", "w=-3.5"])
    {'x': 2.0, 'w': -3.5}
    >>> parse_assignments(["x2"])
    Traceback (most recent call last):
    ...
    nn.cli.CommandLineError: bad input 'x2': write NAME=VALUE, e.g. x=2.0
    """
    values: dict[str, float] = {}
    for text in texts:
        name, equals, number = text.partition("=")
        name, number = name.strip(), number.strip()
        if not equals or not name:
            raise CommandLineError(f"bad input {text!r}: write NAME=VALUE, e.g. x=2.0")
        if not name.isidentifier():
            raise CommandLineError(f"bad input {text!r}: {name!r} is not a name like x or w1")
        if name in values:
            raise CommandLineError(f"bad input {text!r}: {name} is given twice")
        try:
            value = float(number)
        except ValueError:
            raise CommandLineError(f"bad input {text!r}: {number!r} is not a number") from None
        if not math.isfinite(value):
            raise CommandLineError(f"bad input {text!r}: the value must be a finite number")
        values[name] = value
    return values


def run_step(arguments: argparse.Namespace) -> int:
    """Print the forward pass, every backward step and the input grads."""
    from nn.expression import EvaluationError, ExpressionError, parse_expression

    graph_path: Path | None = arguments.graph
    if graph_path is not None and graph_path.suffix.lower() not in (".svg", ".png"):
        raise CommandLineError(f"--graph {str(graph_path)!r}: the file must end in .svg or .png")
    values = parse_assignments(arguments.values)
    try:
        expression = parse_expression(arguments.expression)
        root = expression.build(values)
    except EvaluationError as error:
        raise ArithmeticError(str(error)) from None
    except ExpressionError as error:
        raise CommandLineError(str(error)) from None

    order = topological_order(root)
    print(f"forward pass ({len(order)} {'node' if len(order) == 1 else 'nodes'}, inputs first):")
    for index, node in enumerate(order):
        name = node_name(node, index)
        source = f" = {node.label}" if node.label and node.label != name else ""
        print(f"  {name}{source} = {format_number(node.data)}")

    print()
    print("backward pass:")
    for step in backward_steps(root):
        print(step)

    print()
    print("gradients of the inputs:")
    inputs = {node.label: node for node in order if not node.children and node.label}
    for input_name in expression.input_names:
        print(f"  {input_name}.grad = {format_number(inputs[input_name].grad)}")

    if graph_path is not None:
        from engine.draw import draw, save

        save(draw(root), graph_path)
        print()
        print(f"wrote the graph to {graph_path}")
    return 0


# The lead adds `stepgrad demo` and `stepgrad train` below, each as
# add_<name>_command(commands) and run_<name>(arguments), registered in build_parser().
