"""The `stepgrad` command: backprop you can watch, from a terminal.

    stepgrad step "tanh(x1*w1 + x2*w2 + b)" x1=2 w1=-3 x2=0 w2=1 b=6.88

prints the forward values of every node, every backward step (the chain rule
with its numbers), and the final grads of the named inputs. Each subcommand
has its own `add_..._command()` that sets up its arguments and a `run_...()`
that does the work; `main()` only dispatches. `stepgrad --help` lists them,
and `python -m nn` is the same command.

Mistakes print one message on stderr, folded at 80 columns between words by
`error_lines()` (a bad formula adds two lines: the formula and a caret under
the place), and exit with status 2 (a bad formula, a bad `name=value`, a
missing input, a run too large) or 1 (arithmetic that fails for these
numbers, such as log(-1), or a file that cannot be written).
Ctrl-C prints one line and exits with status 130, at any moment (see
`nn/apps/interrupts.py`); the files of a run are put in place only when the
run is complete, so an interrupted or failed run leaves the output folder as
it was (see `nn/apps/runfolder.py`).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Sequence

from engine.graph import node_names, topological_order
from engine.views.stepper import (
    backward_steps,
    format_number,
    pack_line,
    terminal_width,
)
from nn.apps import interrupts
from nn.apps.arguments import CommandLineError, error_lines, parse_assignments
from nn.apps.classroom.command import add_serve_command
from nn.apps.runfolder import OutputFolder, check_output_folder
from nn.io import parameter_count

if TYPE_CHECKING:
    from nn.apps.plots import PlotFigure

USAGE_ERROR = 2  # the command line is wrong: fix the arguments
RUN_ERROR = 1  # the arguments are fine but the work failed
INTERRUPTED = interrupts.INTERRUPTED  # Ctrl-C, as a shell reports it (128 + SIGINT)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one message on stderr, not a usage block."""

    commands: argparse._SubParsersAction | None = None  # set by build_parser

    def error(self, message: str) -> NoReturn:
        if self.prog == "stepgrad step" and re.search(r"unrecognized arguments: -[^-]", message):
            message += (
                '; if that is a formula starting with a minus, put -- before it: '
                'stepgrad step -- "-x" x=1'
            )
        line = f"{self.prog}: error: {message} (see {self.prog} --help)"
        self.exit(USAGE_ERROR, error_lines(line) + "\n")


def build_parser() -> _Parser:
    """The `stepgrad` parser with one subparser per command."""
    parser = _Parser(
        prog="stepgrad",
        description="stepgrad: watch backpropagation one chain-rule step at a time.",
    )
    parser.add_argument("--version", action="version", version=version_text())
    commands = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", parser_class=_Parser
    )
    parser.commands = commands
    add_step_command(commands)
    add_demo_command(commands)
    add_train_command(commands)
    add_serve_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `stepgrad` with `argv` (default: the real command line); return the exit status."""
    parser = build_parser()
    arguments = parse_arguments(parser, sys.argv[1:] if argv is None else list(argv))
    interrupts.name_command(f"stepgrad {arguments.command}")
    try:
        return int(arguments.run(arguments))
    except BrokenPipeError:
        # The reader went away (e.g. `stepgrad step ... | head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return RUN_ERROR
    except KeyboardInterrupt:  # the one line (see nn/apps/interrupts.py)
        sys.stderr.write(interrupts.interrupted_line())
        return INTERRUPTED
    except CommandLineError as error:
        print(error_lines(f"stepgrad {arguments.command}: error: {error}"), file=sys.stderr)
        if error.details:
            print(error.details, file=sys.stderr)
        return USAGE_ERROR
    except (ArithmeticError, ValueError, OSError) as error:
        print(error_lines(f"stepgrad {arguments.command}: error: {error}"), file=sys.stderr)
        return RUN_ERROR


def parse_arguments(parser: _Parser, argv: list[str]) -> argparse.Namespace:
    """`parser.parse_args(argv)`, with each mistake reported by the parser it belongs to.

    argparse alone reports an unknown option of `stepgrad train` as a mistake
    of `stepgrad` (pointing to the wrong --help), and `stepgrad --bogus` as a
    missing command.
    """
    arguments, unknown = parser.parse_known_args(argv)
    command = arguments.command
    if unknown:
        # An unknown option after the command's name belongs to that command.
        after_command = (
            command is not None
            and unknown[0] in argv
            and argv.index(unknown[0]) > argv.index(command)
        )
        owner = parser
        if after_command and parser.commands is not None:
            owner = parser.commands.choices[command]
        owner.error(f"unrecognized arguments: {' '.join(unknown)}")
    if command is None and not argv:  # bare `stepgrad`: what it can do
        parser.print_help()
        parser.exit(0)
    if command is None:
        parser.error("the following arguments are required: COMMAND")
    return arguments


def version_text() -> str:
    """`stepgrad 0.1.0`: the installed version, else the one in pyproject.toml beside the code."""
    from importlib import metadata

    try:
        return f"stepgrad {metadata.version('stepgrad')}"
    except metadata.PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"  # nn/apps/cli.py
    try:
        found = re.search(r'^version = "([^"]+)"', pyproject.read_text(), re.MULTILINE)
    except OSError:
        found = None
    if found:  # running from a source folder, not installed
        return f"stepgrad {found.group(1)}"
    return "stepgrad (version unknown: not installed)"


# ---------------------------------------------------------------------- text that fits the terminal


class ParagraphsFormatter(argparse.HelpFormatter):
    """Help whose description and epilog keep their paragraphs (blank lines)
    and indented example lines, and wrap every other line to the terminal
    (never at a hyphen, so stepgrad-out stays whole)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in text.split("\n\n"):
            if any(line.startswith("  ") for line in paragraph.splitlines()):  # an example
                paragraphs.append(textwrap.indent(paragraph, indent))
            else:
                paragraphs.append(textwrap.fill(paragraph, width, initial_indent=indent,
                                                subsequent_indent=indent))
        return "\n\n".join(paragraphs)


# ---------------------------------------------------------------------- stepgrad step

STEP_EXAMPLE = (
    'stepgrad step "tanh(x1*w1 + x2*w2 + b)" \\\n      x1=2 w1=-3 x2=0 w2=1 b=6.8813735870195432'
)


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
            "The formula may use numbers, input names, + - * / **, parentheses and "
            "exp, log, tanh, sigmoid, relu. It is parsed, never run as Python code. "
            "Long lines of the output are broken to fit the terminal.\n\n"
            "Put -- before a formula that starts with a minus:\n"
            '  stepgrad step -- "-x" x=1\n\n'
            f"example:\n  {STEP_EXAMPLE}"
        ),
        formatter_class=ParagraphsFormatter,
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
        help="also draw the graph with its grads to PATH (.svg or .png) in a folder that exists",
    )
    parser.add_argument(
        "--code",
        action="store_true",
        help="print the forward and backward pass as Python code instead (engine.unroll)",
    )
    parser.set_defaults(run=run_step)


def check_graph_path(path: Path) -> None:
    """Refuse, before any work, a --graph path that cannot be written.

    The folder must exist already: a typo in it should not create a new tree of folders.
    """
    where = f"--graph {str(path)!r}"
    if path.suffix.lower() not in (".svg", ".png"):
        raise CommandLineError(f"{where}: the file must end in .svg or .png")
    folder = path.parent
    if not folder.is_dir():
        if folder.exists():
            raise CommandLineError(f"{where}: {str(folder)!r} is a file, not a folder")
        raise CommandLineError(
            f"{where}: there is no folder {str(folder)!r}; create it first "
            f"(mkdir -p {folder}) or choose another path"
        )
    if path.is_dir():
        raise CommandLineError(f"{where} is a folder; give a file name such as graph.svg")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandLineError(f"{where}: cannot write into {str(folder)!r}")


def run_step(arguments: argparse.Namespace) -> int:
    """Print the forward pass, every backward step and the input grads."""
    from engine.expression import (
        EvaluationError,
        ExpressionError,
        parse_expression,
        show_column,
    )

    graph_path: Path | None = arguments.graph
    if graph_path is not None:
        check_graph_path(graph_path)
    values = parse_assignments(arguments.values)
    try:
        expression = parse_expression(arguments.expression)
        root = expression.build(values)
    except EvaluationError as error:
        raise ArithmeticError(str(error)) from None
    except ExpressionError as error:
        where = show_column(arguments.expression, error.column, terminal_width())
        raise CommandLineError(str(error), details=where) from None

    if arguments.code:  # the same passes, as the straight-line Python they are
        from engine.unroll import unroll

        print(unroll(root).source, end="")
        return 0
    order = topological_order(root)
    width = terminal_width()
    print(f"forward pass ({len(order)} {'node' if len(order) == 1 else 'nodes'}, inputs first):")
    names = node_names(order)  # as the steps and the --graph drawing call them
    for node in order:
        name = names[node]
        # An operation shows the formula it computes; a constant just its number.
        source = f" = {node.label}" if node.children and node.label != name else ""
        parts = [("", f"{name}{source}"), (" ", f"= {format_number(node.data)}")]
        print("\n".join(pack_line(parts, width, "  ", "      ")))

    print()
    print("backward pass:")
    for step in backward_steps(root):
        print(step.text(width))  # fitted to the terminal, broken between its parts

    print()
    print("gradients of the inputs:")
    inputs = {node.label: node for node in order if not node.children and node.label}
    for input_name in expression.input_names:
        print(f"  {input_name}.grad = {format_number(inputs[input_name].grad)}")

    if graph_path is not None:
        from engine.views.drawing import draw
        from engine.views.render import save_drawing

        save_drawing(draw(root, max_nodes=None), graph_path)  # a formula's graph is small enough
        print()
        print(f"wrote the graph to {graph_path}")
    return 0


# ---------------------------------------------------------------------- shared by demo and train

DEFAULT_OUTPUT_FOLDER = Path("stepgrad-out")


def add_force_and_progress_options(parser: argparse.ArgumentParser) -> None:
    """The options `demo` and `train` share besides --out."""
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the files of an earlier run in the output folder",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def print_written(folder: Path, names: Sequence[str]) -> None:
    """The last lines of `demo` and `train`: the files the run put in place."""
    print(f"wrote {len(names)} files to {folder}/:")
    for name in names:
        print(f"  {folder / name}")


def save_figure(figure: PlotFigure, path: Path) -> Path:
    """Save a figure of `nn.apps.plots` as PNG, atomically."""
    from engine.files import write_atomic

    write_atomic(path, figure.png())
    return path


def step_count(text: str) -> int:
    """argparse type: a number of training steps, 1 to MAX_STEPS."""
    steps = positive_int(text)
    if steps > MAX_STEPS:
        raise argparse.ArgumentTypeError(f"{text!r} is more than the limit of {MAX_STEPS:,} steps")
    return steps


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return number


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(number) and number > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number above 0")
    return number


def layer_sizes(text: str) -> list[int]:
    """argparse type: hidden layer sizes as "16,16" (empty for none)."""
    if not text.strip():
        return []
    sizes = []
    for part in text.split(","):
        try:
            size = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: {part.strip()!r} is not a whole number; write sizes like 16,16"
            ) from None
        if size < 1:
            raise argparse.ArgumentTypeError(f"{text!r}: a layer needs at least 1 neuron")
        if size > MAX_PARAMETERS:  # no network with such a layer is within the limit
            raise argparse.ArgumentTypeError(
                f"{text!r}: a layer of {size:,} neurons is too large; the limit is "
                f"{MAX_PARAMETERS:,} parameters in all"
            )
        sizes.append(size)
    return sizes


# The engine makes one Python object per number, so a run's cost grows with
# parameters x rows per step x steps. These limits refuse, before any work,
# runs that would take hours (or memory the machine does not have).
MAX_PARAMETERS = 20_000
MAX_STEPS = 100_000
MAX_ROWS = 10_000
MAX_WORK = 250_000_000  # parameters x rows per step x steps: minutes on a laptop

SIZE_LIMITS = (
    f"limits: at most {MAX_PARAMETERS:,} parameters, {MAX_STEPS:,} steps and "
    f"{MAX_ROWS:,} rows of data, and parameters x rows per step x steps at most "
    f"{MAX_WORK // 1_000_000:,} million (a few minutes): each number is a Python "
    "object here, so larger runs would take hours."
)


def check_run_size(
    features: int,
    sizes: Sequence[int],
    rows_per_step: int,
    steps: int,
    fix: str = "use fewer --steps, a --batch-size, or smaller --hidden layers",
) -> None:
    """Refuse a model or a run too large for a scalar engine, before building it."""
    parameters = parameter_count("MLP", {"nin": features, "nouts": sizes})
    shape = "-".join(str(size) for size in [features, *sizes])
    if parameters > MAX_PARAMETERS:
        raise CommandLineError(
            f"a {shape} network has {parameters:,} parameters; the limit is "
            f"{MAX_PARAMETERS:,}: use smaller --hidden layers"
        )
    work = parameters * rows_per_step * steps
    if work > MAX_WORK:
        raise CommandLineError(
            f"{parameters:,} parameters x {rows_per_step:,} rows x {steps:,} steps is "
            f"{work / 1e6:,.0f} million, above the limit of {MAX_WORK // 1_000_000:,} "
            f"million (too long for this engine): {fix}"
        )


# ---------------------------------------------------------------------- stepgrad demo


def add_demo_command(commands: argparse._SubParsersAction) -> None:
    """`stepgrad demo [--out DIR]`"""
    parser = commands.add_parser(
        "demo",
        help="train the classic moons MLP and save its pictures",
        description=(
            "Train the classic demo: a 2-16-16-1 MLP on 100 'moons' points, hinge loss "
            "with a little L2, plain SGD with a linearly decaying learning rate. Then "
            "write into the output folder the decision boundary, the loss curve, the "
            "drawing of one neuron's graph with its grads, the whole network drawn one "
            "box per neuron (SVG, and PNG for slides), and the trained model."
        ),
        formatter_class=ParagraphsFormatter,
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=DEFAULT_OUTPUT_FOLDER,
        help=f"the folder for the pictures and the model (default: {DEFAULT_OUTPUT_FOLDER})",
    )
    demo_parameters = parameter_count("MLP", {"nin": 2, "nouts": DEMO_SIZES})
    most = MAX_WORK // (demo_parameters * DEMO_POINTS)
    parser.add_argument(
        "--steps",
        type=step_count,
        default=100,
        help=f"training steps (default: 100, at most {most:,})",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="the seed of the initial weights (default: 1)"
    )
    add_force_and_progress_options(parser)
    parser.set_defaults(run=run_demo)


DEMO_SIZES = [16, 16, 1]
DEMO_POINTS = 100
DEMO_FILES = (
    "moons_boundary.png",
    "moons_loss.png",
    "neuron_graph.svg",
    "model_graph.svg",
    "model_graph.png",
    "moons_model.json",
)


def run_demo(arguments: argparse.Namespace) -> int:
    """Train the classic moons MLP; save its boundary, loss curve, graphs and the model."""
    folder: Path = arguments.out
    check_run_size(2, DEMO_SIZES, DEMO_POINTS, arguments.steps, fix="use fewer --steps")
    check_output_folder(folder, DEMO_FILES, arguments.force)
    with OutputFolder(folder, DEMO_FILES) as output:
        written = train_demo(arguments, output)
        output.commit()
    print_written(folder, written)
    return 0


def train_demo(arguments: argparse.Namespace, output: OutputFolder) -> list[str]:
    """Train the demo's model and write its files into `output`; return their names."""
    from engine.views.drawing import draw
    from engine.views.render import save_drawing
    from nn import MLP, SGD, LinearDecay
    from nn.apps.plots import decision_boundary, training_curves
    from nn.data import moons, signed_labels
    from nn.io import save as save_model
    from nn.train import accuracy, fit

    X, labels = moons(n=DEMO_POINTS, noise=0.1, seed=0)
    y = signed_labels(labels)  # the hinge loss wants -1 / +1
    # fused=True: one node per neuron's w.x+b, the same numbers as the fine graph, faster.
    model = MLP(2, DEMO_SIZES, seed=arguments.seed, fused=True)
    print(model)
    print(f"training on {len(X)} moons points for {arguments.steps} steps")
    optimizer = SGD(model.parameters(), lr=1.0)
    schedule = LinearDecay(optimizer, start=1.0, end=0.1, steps=arguments.steps)
    history = fit(
        model,
        X,
        y,
        loss="hinge",
        l2=1e-4,
        optimizer=optimizer,
        schedule=schedule,
        steps=arguments.steps,
        progress=False if arguments.no_progress else None,
    )
    trained_accuracy = accuracy(model, X, y, loss="hinge")
    print(f"final loss {history.loss[-1]:.4f}, training accuracy {trained_accuracy:.0%}")

    boundary = decision_boundary(model, X, y, title="decision boundary, training points")
    save_figure(boundary, output.path("moons_boundary.png"))
    save_figure(training_curves(history, loss="hinge + L2"), output.path("moons_loss.png"))
    # One neuron of the first layer with every multiply and add drawn: a
    # fine-grained twin of the trained model, on the first point, picking a
    # neuron whose ReLU is on there (a neuron that is off passes no gradient).
    twin = MLP(2, DEMO_SIZES, fused=False)
    twin.load_state_dict(model.state_dict())
    outputs = twin.layers[0](X[0])
    neuron_output = next((out for out in outputs if out.data > 0.0), outputs[0])
    neuron_output.backward()
    save_drawing(draw(neuron_output, edge_labels=True), output.path("neuron_graph.svg"))
    # The whole network on that point, one box per neuron.
    score = model(X[0])
    score.backward()
    network = draw(score, collapse=True)
    save_drawing(network, output.path("model_graph.svg"))
    save_drawing(network, output.path("model_graph.png"))  # for slides
    recipe = {
        "data": "moons", "n": DEMO_POINTS, "noise": 0.1, "data_seed": 0, "seed": arguments.seed
    }
    save_model(model, output.path("moons_model.json"), recipe=recipe)
    return list(DEMO_FILES)


# ---------------------------------------------------------------------- stepgrad train

TOY_DATA = ("moons", "circles", "spiral", "xor", "blobs")


def add_train_command(commands: argparse._SubParsersAction) -> None:
    """`stepgrad train --data NAME|FILE.csv ...`"""
    parser = commands.add_parser(
        "train",
        help="train an MLP on a toy data set, iris, or your CSV file",
        description=(
            "Train an MLP with plain gradient descent, report training and test "
            "accuracy, and save the model (a readable JSON file) and its plots."
        ),
        epilog=(
            "Two classes train one output with the hinge loss (as the classic demo); "
            "more classes train one output per class with softmax cross-entropy. "
            "Features of iris and CSV files are standardised (the means and scales "
            "are saved in the model file's recipe). The files of a run appear in the "
            "output folder only when it is complete.\n\n"
            f"{SIZE_LIMITS}\n\n"
            "example:\n  stepgrad train --data iris --hidden 8 --steps 100 --out iris-run"
        ),
        formatter_class=ParagraphsFormatter,
    )
    parser.add_argument(
        "--data",
        metavar="NAME",
        default="moons",
        help=f"one of {', '.join(TOY_DATA)}, iris, or a path to a .csv file (default: moons)",
    )
    parser.add_argument(
        "--label-column",
        metavar="COLUMN",
        default="-1",
        help="for a CSV file: the label column's name or position (default: -1, the last)",
    )
    parser.add_argument(
        "--hidden",
        metavar="SIZES",
        type=layer_sizes,
        default=[16, 16],
        help=f"hidden layer sizes, e.g. 16,16 (default) or 8 (at most {MAX_PARAMETERS:,} "
        "parameters in all)",
    )
    parser.add_argument(
        "--steps",
        type=step_count,
        default=100,
        help=f"training steps (default: 100, at most {MAX_STEPS:,})",
    )
    parser.add_argument(
        "--lr", type=positive_float, default=0.5, help="learning rate of SGD (default: 0.5)"
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="rows per step (default: all training rows)",
    )
    parser.add_argument("--seed", type=int, default=0, help="the random seed (default: 0)")
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=DEFAULT_OUTPUT_FOLDER,
        help=f"the folder for the model and plots (default: {DEFAULT_OUTPUT_FOLDER})",
    )
    add_force_and_progress_options(parser)
    parser.set_defaults(run=run_train)


TRAIN_FILES = ("model.json", "loss.png", "boundary.png")


def load_training_data(
    data: str, label_column: str, seed: int
) -> tuple[list[list[float]], list[int], dict[str, object]]:
    """The rows, integer class labels and a JSON recipe for `--data`."""
    from nn import data as datasets

    if data in TOY_DATA:
        generator = getattr(datasets, data)
        X, y = generator(seed=seed)
        return X, list(y), {"data": data, "seed": seed}
    if data == "iris":
        iris = datasets.load_iris()
        return iris.X, iris.y, {"data": "iris", "classes": iris.class_names}
    if not data.lower().endswith(".csv"):
        raise CommandLineError(
            f"--data {data!r}: use one of {', '.join(TOY_DATA)}, iris, or a path to a .csv file"
        )
    if not Path(data).is_file():
        raise CommandLineError(f"--data {data!r}: no such file")
    column: str | int = int(label_column) if label_column.lstrip("-").isdigit() else label_column
    table = datasets.load_csv(data, label_column=column)
    return table.X, table.y, {"data": str(data), "classes": table.class_names}


def run_train(arguments: argparse.Namespace) -> int:
    """Train an MLP on --data; print accuracies; save the model and plots."""
    from nn.data import train_test_split

    folder: Path = arguments.out
    X, y, recipe = load_training_data(arguments.data, arguments.label_column, arguments.seed)
    classes = sorted(set(y))
    if len(classes) < 2:
        raise CommandLineError(f"--data {arguments.data!r}: needs at least two classes")
    if len(X) > MAX_ROWS:
        raise CommandLineError(
            f"--data {arguments.data!r} has {len(X):,} rows; the limit is {MAX_ROWS:,}: "
            "train on a sample of them"
        )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_fraction=0.25, seed=arguments.seed
    )
    if arguments.batch_size is not None and arguments.batch_size > len(X_train):
        raise CommandLineError(
            f"--batch-size {arguments.batch_size} is larger than the {len(X_train)} training "
            f"rows; use at most {len(X_train)}, or leave it out to train on all rows"
        )
    _, outputs = loss_and_outputs(len(classes))
    rows_per_step = arguments.batch_size or len(X_train)
    check_run_size(len(X[0]), [*arguments.hidden, outputs], rows_per_step, arguments.steps)
    check_output_folder(folder, TRAIN_FILES, arguments.force)
    with OutputFolder(folder, TRAIN_FILES) as output:
        written = train_model(
            arguments, len(classes), X_train, X_test, y_train, y_test, recipe, output
        )
        output.commit()
    print_written(folder, written)
    return 0


def loss_and_outputs(class_count: int) -> tuple[str, int]:
    """The loss `stepgrad train` uses for this many classes, and the outputs it needs.

    >>> loss_and_outputs(2), loss_and_outputs(3)
    (('hinge', 1), ('cross_entropy', 3))
    """
    if class_count == 2:
        return "hinge", 1
    return "cross_entropy", class_count


def train_model(
    arguments: argparse.Namespace,
    class_count: int,
    X_train: list[list[float]],
    X_test: list[list[float]],
    y_train: list[int],
    y_test: list[int],
    recipe: dict[str, object],
    output: OutputFolder,
) -> list[str]:
    """Train the MLP of `stepgrad train`, print its accuracies, write its files; return their names."""
    from nn import MLP, SGD
    from nn.apps.plots import decision_boundary, training_curves
    from nn.data import signed_labels, standardize
    from nn.io import save as save_model
    from nn.train import accuracy, fit

    if recipe["data"] not in TOY_DATA:
        X_train, scaling = standardize(X_train)
        X_test = scaling.apply(X_test)
        recipe["standardize"] = {"means": list(scaling.means), "stds": list(scaling.stds)}

    loss, outputs = loss_and_outputs(class_count)
    if loss == "hinge":  # it wants the labels -1 / +1
        y_train, y_test = signed_labels(y_train), signed_labels(y_test)
    features = len(X_train[0])
    model = MLP(features, [*arguments.hidden, outputs], seed=arguments.seed, fused=True)
    print(model)
    print(f"training on {len(X_train)} rows of {arguments.data} with the {loss} loss")
    history = fit(
        model,
        X_train,
        y_train,
        loss=loss,
        optimizer=SGD(model.parameters(), lr=arguments.lr),
        steps=arguments.steps,
        batch_size=arguments.batch_size,
        seed=arguments.seed,
        progress=False if arguments.no_progress else None,
    )
    train_accuracy = accuracy(model, X_train, y_train, loss=loss)
    test_accuracy = accuracy(model, X_test, y_test, loss=loss)
    print(
        f"final loss {history.loss[-1]:.4f}; accuracy {train_accuracy:.1%} on training rows, "
        f"{test_accuracy:.1%} on {len(X_test)} held-out test rows"
    )
    if history.loss_rose:
        print(
            f"warning: the loss rose from {history.loss[0]:.4g} to {history.loss[-1]:.4g}; "
            f"the training went the wrong way: try a smaller --lr (e.g. {arguments.lr / 10:g})"
        )

    recipe.update(
        hidden=arguments.hidden, steps=arguments.steps, lr=arguments.lr, seed=arguments.seed
    )
    save_model(model, output.path("model.json"), recipe=recipe)
    curves = training_curves(history, loss=loss.replace("_", "-"))  # "hinge loss (training data)"
    save_figure(curves, output.path("loss.png"))
    if features != 2:  # no boundary to draw (an earlier run's boundary.png goes)
        return ["model.json", "loss.png"]
    title = f"decision boundary, {Path(arguments.data).name} training points"  # a CSV: its name
    boundary = decision_boundary(model, X_train, y_train, title=title)
    save_figure(boundary, output.path("boundary.png"))
    return ["model.json", "loss.png", "boundary.png"]
