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
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Sequence

from engine.graph import topological_order
from engine.stepper import backward_steps, format_number, node_name
from nn.classroom.command import add_serve_command

if TYPE_CHECKING:
    from matplotlib.figure import Figure

USAGE_ERROR = 2  # the command line is wrong: fix the arguments
RUN_ERROR = 1  # the arguments are fine but the work failed


class CommandLineError(Exception):
    """A mistake on the command line; `main()` prints it as one line and exits 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr, not a usage block."""

    def error(self, message: str) -> NoReturn:
        if re.search(r"unrecognized arguments: -[^-]", message):
            message += (
                '; if that is a formula starting with a minus, put -- before it: '
                'stepgrad step -- "-x" x=1'
            )
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
    add_demo_command(commands)
    add_train_command(commands)
    add_serve_command(commands)
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
    from engine.expression import EvaluationError, ExpressionError, parse_expression

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
        # An operation shows the formula it computes; a constant just its number.
        source = f" = {node.label}" if node.children and node.label != name else ""
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
        from engine.drawing import draw
        from engine.render import save_drawing

        save_drawing(draw(root, max_nodes=None), graph_path)  # a formula's graph is small enough
        print()
        print(f"wrote the graph to {graph_path}")
    return 0


# ---------------------------------------------------------------------- stepgrad demo

DEFAULT_OUTPUT_FOLDER = Path("stepgrad-out")


def add_demo_command(commands: argparse._SubParsersAction) -> None:
    """`stepgrad demo [--out DIR]`"""
    parser = commands.add_parser(
        "demo",
        help="train the classic moons MLP and save its pictures",
        description=(
            "Train the classic demo: a 2-16-16-1 MLP on 100 'moons' points, hinge loss "
            "with a little L2, plain SGD with a linearly decaying learning rate. Then "
            "write into the output folder the decision boundary, the loss curve, the "
            "drawing of one neuron's graph with its grads, and the trained model."
        ),
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=DEFAULT_OUTPUT_FOLDER,
        help=f"the folder for the pictures and the model (default: {DEFAULT_OUTPUT_FOLDER})",
    )
    parser.add_argument(
        "--steps", type=positive_int, default=100, help="training steps (default: 100)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="the seed of the initial weights (default: 1)"
    )
    add_force_and_progress_options(parser)
    parser.set_defaults(run=run_demo)


DEMO_FILES = (
    "moons_boundary.png",
    "moons_loss.png",
    "neuron_graph.svg",
    "model_graph.svg",
    "moons_model.json",
)


def add_force_and_progress_options(parser: argparse.ArgumentParser) -> None:
    """The options `demo` and `train` share besides --out."""
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the files of an earlier run in the output folder",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def check_output_folder(folder: Path, names: Sequence[str], force: bool) -> None:
    """Refuse, before any training, an output folder that cannot be written or
    that holds files of an earlier run (the `names` this command writes).

    A file of an earlier run is replaced only with --force (each file is
    replaced atomically once the new one is ready, so a failed run keeps the
    old files).
    """
    where = f"--out {str(folder)!r}"
    # The folder, or the nearest folder above it that exists (where it will be made).
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "is a file" if existing == folder else f"is inside {str(existing)!r}, a file"
        raise CommandLineError(f"{where} {what}; give a folder name")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CommandLineError(
            f"{where}: cannot write into {str(existing)!r}; choose another folder with --out"
        )
    earlier = [name for name in names if (folder / name).exists()]
    if earlier and not force:
        raise CommandLineError(
            f"{where} already holds {', '.join(earlier)} from an earlier run; "
            "choose another folder with --out, or add --force to replace them"
        )


def run_demo(arguments: argparse.Namespace) -> int:
    """Train the classic moons MLP; save its boundary, loss curve, a neuron's graph, the model."""
    from engine.drawing import draw
    from engine.render import save_drawing
    from nn import MLP, SGD, LinearDecay
    from nn.data import moons, signed_labels
    from nn.io import save as save_model
    from nn.plots import decision_boundary, training_curves
    from nn.train import accuracy, fit

    folder: Path = arguments.out
    check_output_folder(folder, DEMO_FILES, arguments.force)
    X, labels = moons(n=100, noise=0.1, seed=0)
    y = signed_labels(labels)  # the hinge loss wants -1 / +1
    # fused=True: one node per neuron's w.x+b, the same numbers as the fine graph, faster.
    model = MLP(2, [16, 16, 1], seed=arguments.seed, fused=True)
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

    written = []
    written.append(save_figure(decision_boundary(model, X, y), folder / "moons_boundary.png"))
    written.append(save_figure(training_curves(history), folder / "moons_loss.png"))
    # One neuron of the first layer with every multiply and add drawn: a
    # fine-grained twin of the trained model, on the first point, picking a
    # neuron whose ReLU is on there (a neuron that is off passes no gradient).
    twin = MLP(2, [16, 16, 1], fused=False)
    twin.load_state_dict(model.state_dict())
    outputs = twin.layers[0](X[0])
    neuron_output = next((out for out in outputs if out.data > 0.0), outputs[0])
    neuron_output.backward()
    written.append(save_drawing(draw(neuron_output, edge_labels=True), folder / "neuron_graph.svg"))
    # The whole network on that point, one box per neuron.
    score = model(X[0])
    score.backward()
    written.append(save_drawing(draw(score, collapse=True), folder / "model_graph.svg"))
    folder.mkdir(parents=True, exist_ok=True)
    recipe = {"data": "moons", "n": 100, "noise": 0.1, "data_seed": 0, "seed": arguments.seed}
    save_model(model, folder / "moons_model.json", recipe=recipe)
    written.append(folder / "moons_model.json")
    print(f"wrote {len(written)} files to {folder}/:")
    for path in written:
        print(f"  {path}")
    return 0


def save_figure(figure: Figure, path: Path) -> Path:
    """Save a matplotlib figure as PNG, atomically (the plots return figures)."""
    from io import BytesIO

    from engine.files import write_atomic

    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, buffer.getvalue())
    return path


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
        sizes.append(size)
    return sizes


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
            "are saved in the model file's recipe).\n\n"
            "example:\n  stepgrad train --data iris --hidden 8 --steps 100 --out iris-run"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        help="hidden layer sizes, e.g. 16,16 (default) or 8",
    )
    parser.add_argument(
        "--steps", type=positive_int, default=100, help="training steps (default: 100)"
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
    from nn import MLP, SGD
    from nn.data import signed_labels, standardize, train_test_split
    from nn.io import save as save_model
    from nn.plots import decision_boundary, training_curves
    from nn.train import accuracy, fit

    folder: Path = arguments.out
    X, y, recipe = load_training_data(arguments.data, arguments.label_column, arguments.seed)
    classes = sorted(set(y))
    if len(classes) < 2:
        raise CommandLineError(f"--data {arguments.data!r}: needs at least two classes")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_fraction=0.25, seed=arguments.seed
    )
    if arguments.batch_size is not None and arguments.batch_size > len(X_train):
        raise CommandLineError(
            f"--batch-size {arguments.batch_size} is larger than the {len(X_train)} training "
            f"rows; use at most {len(X_train)}, or leave it out to train on all rows"
        )
    check_output_folder(folder, TRAIN_FILES, arguments.force)
    if recipe["data"] not in TOY_DATA:
        X_train, scaling = standardize(X_train)
        X_test = scaling.apply(X_test)
        recipe["standardize"] = {"means": list(scaling.means), "stds": list(scaling.stds)}

    if len(classes) == 2:
        loss, outputs = "hinge", 1
        y_train, y_test = signed_labels(y_train), signed_labels(y_test)
    else:
        loss, outputs = "cross_entropy", len(classes)
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

    recipe.update(
        hidden=arguments.hidden, steps=arguments.steps, lr=arguments.lr, seed=arguments.seed
    )
    folder.mkdir(parents=True, exist_ok=True)
    save_model(model, folder / "model.json", recipe=recipe)
    written = [folder / "model.json"]
    written.append(save_figure(training_curves(history), folder / "loss.png"))
    if features == 2:
        boundary = decision_boundary(model, X_train, y_train)
        written.append(save_figure(boundary, folder / "boundary.png"))
    elif (folder / "boundary.png").exists():  # an earlier run's (--force): not this model's
        (folder / "boundary.png").unlink()
    print(f"wrote {len(written)} files to {folder}/:")
    for path in written:
        print(f"  {path}")
    return 0
