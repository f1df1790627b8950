"""Save a model to a readable JSON file, and load it back.

The file holds everything needed to rebuild the model: a format tag and
version, the architecture and its options, every weight by name, and an
optional **recipe** (for example the seed and the data set), so a teacher can
share a whole class setup as one file.

>>> import tempfile, pathlib
>>> from nn.layers import MLP
>>> model = MLP(2, [3, 1], seed=0)
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> save(model, folder / "model.json", recipe={"seed": 0, "data": "moons"})
>>> copy = load(folder / "model.json")
>>> copy
MLP(2 -> [3, 1], activation=relu)
  (layers.0): Layer(2 -> 3, relu)
  (layers.1): Layer(3 -> 1, linear)
>>> copy.state_dict() == model.state_dict()
True
>>> load_recipe(folder / "model.json")
{'seed': 0, 'data': 'moons'}

Writes are **atomic** (see `engine.files`): the file is written to a
temporary file in the same folder and then renamed over the old one, so a
crash half-way never leaves a half-written model behind. A symbolic link is
followed: the file it points to gets the model.

**Reading a file is a boundary**: everything in it is checked before the
model is built. Errors:

- `FileNotFoundError` (no such file), `IsADirectoryError` (a folder),
  `engine.files.SpecialFileError` (a FIFO, a device or a socket; refused
  without reading or waiting), all OSErrors naming the file;
- `ValueError` naming the file, and the line where JSON can tell, for
  everything else: larger than `MAX_FILE_BYTES`, not UTF-8, not JSON
  (truncated, nested deeper than `MAX_NESTING`, a number of more than 4300
  digits, a key given twice in one object), not a stepgrad model, another
  version, an unknown or wrong field, or weights that do not fit.

**Saving checks the same limits**: `save` refuses, before anything is
written, a model file that `load` would refuse (a recipe nested too deep, a
file too large), so a saved file always loads.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Iterator, Mapping, Union

from engine.files import read_file, write_atomic
from nn.checks import check_choice, check_count, check_flag, check_layer_sizes, shown
from nn.layers import ACTIVATIONS, INITIALIZERS, MLP, Layer, Neuron
from nn.module import Module

FORMAT = "stepgrad-model"
VERSION = 1

# The largest model file `load` reads: 32 MiB, about 500,000 weights, which
# is more than a scalar engine can train in a lesson.
MAX_FILE_BYTES = 32 * 1024 * 1024

# The deepest nesting of lists and objects a model file may have: a model
# needs 3 levels (its recipe a few more); a deeper value would break repr().
MAX_NESTING = 100

PathLike = Union[str, "os.PathLike[str]"]

# The parts of a model file; "recipe" may be left out.
PARTS = ("format", "version", "architecture", "weights", "recipe")

# The model classes a file may name; each is rebuilt from its `config()`.
MODEL_CLASSES: dict[str, Callable[..., Module]] = {"Neuron": Neuron, "Layer": Layer, "MLP": MLP}

# The architecture fields a file may give for each class (the constructor
# arguments but the seed). The sizes are required; the options have defaults.
FIELDS = {
    "Neuron": ("nin", "activation", "init", "fused"),
    "Layer": ("nin", "nout", "activation", "init", "fused"),
    "MLP": ("nin", "nouts", "activation", "output_activation", "init", "fused"),
}
SIZE_FIELDS = ("nin", "nout", "nouts")


def save(model: Module, path: PathLike, recipe: Mapping[str, Any] | None = None) -> None:
    """Write `model` (a Neuron, Layer or MLP) and an optional `recipe` dict to `path`.

    The recipe must be JSON data (dicts, lists, strings, numbers, booleans,
    None) with string keys, nested at most `MAX_NESTING` - 1 levels deep:
    what `load` would refuse is refused here (TypeError, ValueError) before
    anything is written. An existing file at `path` is replaced only once
    the new one is completely written; the errors of writing are those of
    `engine.files.write_atomic`.
    """
    # Exactly these classes: a subclass may need other constructor arguments.
    # (The isinstance part tells the type checker that `model` has `config()`.)
    if not isinstance(model, (Neuron, Layer, MLP)) or type(model) not in (Neuron, Layer, MLP):
        choices = ", ".join(MODEL_CLASSES)
        raise TypeError(f"save() can store a {choices}, not {type(model).__name__}")
    if recipe is not None and not isinstance(recipe, Mapping):
        raise TypeError(f"recipe must be a dict or None, not {type(recipe).__name__}")
    bad = model.first_non_finite()
    if bad is not None:
        name, number = bad
        raise ValueError(
            f"cannot save the model: parameter {name} is {number!r}, so "
            "training diverged; train again with a smaller learning rate "
            "(nothing was written)"
        )
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": {"class": type(model).__name__, **model.config()},
        "weights": model.state_dict(),
        "recipe": dict(recipe) if recipe is not None else None,
    }
    check_loadable(document)  # load's limits, checked before any writing
    try:
        text = json.dumps(document, indent=2, allow_nan=False) + "\n"
    except (TypeError, ValueError, RecursionError) as error:
        raise TypeError(
            f"the recipe cannot be saved as JSON ({error}); use only dicts, lists, "
            "strings, numbers, booleans and None"
        ) from None
    content = text.encode("utf-8")
    if len(content) > MAX_FILE_BYTES:
        raise ValueError(
            f"the model file would be {len(content):,} bytes, but load() reads at most "
            f"{MAX_FILE_BYTES:,}; nothing was written"
        )
    write_atomic(path, content)  # the old file survives any failure


def check_loadable(document: Mapping[str, Any]) -> None:
    """Raise TypeError or ValueError if `load` would refuse this model document.

    `save` calls it before writing, so that it never replaces a good file
    with one that cannot be read back: the recipe may nest no deeper than
    `read_model_document` allows, and its keys must be strings (JSON writes
    every key as a string, so a key 1 would come back as "1", or clash with
    a key "1" in the same dict).
    """
    ending = "; nothing was written"
    depth = nesting_depth(document, stop_after=MAX_NESTING)  # stops: a recipe may be a loop
    if depth > MAX_NESTING:
        raise ValueError(
            f"the recipe nests lists and dicts more than {MAX_NESTING - 1} levels deep; "
            f"a model file nests at most {MAX_NESTING}, so at most {MAX_NESTING - 1} "
            f"in the recipe{ending}"
        )
    for key in _keys_not_strings(document.get("recipe")):
        raise TypeError(
            f"the recipe has the key {shown(key)}, a {type(key).__name__}: a model file "
            f"keeps only string keys (JSON would write it as a string){ending}"
        )


def load(path: PathLike) -> Module:
    """Rebuild the model saved at `path` with its saved weights.

    Everything in the file is checked before the model is built (the errors
    are in the module docstring), so a hand-edited `"nouts": [100000000]` is
    refused at once instead of filling the memory.
    """
    document = read_model_document(path)
    try:
        return build_model(document["architecture"], document["weights"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from None


def build_model(architecture: Mapping[str, Any], weights: Mapping[str, Any]) -> Module:
    """The model that `architecture` describes, holding `weights`: checked, then built."""
    fields = dict(architecture)
    class_name = check_choice("model class", fields.pop("class", None), tuple(FIELDS))
    try:
        check_architecture(class_name, fields)
    except (TypeError, ValueError) as error:
        raise ValueError(f"the architecture is not valid: {error}") from None
    count = parameter_count(class_name, fields)
    if count != len(weights):
        shape = ", ".join(f"{key}={shown(fields[key])}" for key in SIZE_FIELDS if key in fields)
        raise ValueError(
            f"the weights do not fit the architecture: {class_name}({shape}) "
            f"has {count} parameters, but the file holds {len(weights)} weights"
        )
    # seed=0: the saved weights replace the initial ones, so any seed will
    # do; a fixed one leaves Python's global random alone.
    model = MODEL_CLASSES[class_name](**fields, seed=0)
    try:
        model.load_state_dict(weights)
    except ValueError as error:
        raise ValueError(f"the weights do not fit the architecture: {error}") from None
    return model


def check_architecture(class_name: str, fields: Mapping[str, Any]) -> None:
    """Raise TypeError or ValueError if a `class_name` model cannot have these
    `fields` (unknown or missing fields, wrong types or values).

    The sizes and choices are checked by the same helpers the models use.

    >>> check_architecture("Layer", {"nin": 2, "nout": 3, "fused": "no"})
    Traceback (most recent call last):
    ...
    TypeError: fused must be True or False, not str 'no'
    """
    expected = f"{class_name} takes the fields {', '.join(FIELDS[class_name])}"
    for key in fields:
        if key not in FIELDS[class_name]:
            raise ValueError(f"unknown field {shown(key)}; {expected}")
    for key in SIZE_FIELDS:
        if key in FIELDS[class_name] and key not in fields:
            raise ValueError(f"missing field {key!r}; {expected}")
    for key, value in fields.items():
        if key in ("nin", "nout"):
            check_count(key, value)
        elif key == "nouts":
            check_layer_sizes(value)
        elif key in ("activation", "output_activation"):
            check_choice(key, value, ACTIVATIONS)
        elif key == "init":
            check_choice(key, value, INITIALIZERS)
        else:
            check_flag(key, value)  # fused


def parameter_count(class_name: str, fields: Mapping[str, Any]) -> int:
    """How many parameters a model of this (checked) architecture has, without building it.

    A layer of `nout` neurons reading `nin` inputs has nout * (nin + 1) of
    them: each neuron has nin weights and a bias. A Neuron is a layer of one.

    >>> parameter_count("MLP", {"nin": 2, "nouts": [3, 1]})  # 3 * (2 + 1) + 1 * (3 + 1)
    13
    """
    if class_name == "MLP":
        nouts = fields["nouts"]
    elif class_name == "Layer":
        nouts = [fields["nout"]]
    else:
        nouts = [1]
    sizes = [fields["nin"], *nouts]
    return sum(nout * (nin + 1) for nin, nout in zip(sizes, sizes[1:]))


def load_recipe(path: PathLike) -> dict[str, Any] | None:
    """The recipe dict saved with the model at `path` (None if it has none)."""
    recipe: dict[str, Any] | None = read_model_document(path).get("recipe")
    return recipe


def read_model_document(path: PathLike) -> dict[str, Any]:
    """The JSON document of a model file, with its format, version and parts checked."""
    content = read_file(path, MAX_FILE_BYTES, what="a stepgrad model file")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        raise ValueError(
            f"{path}, line {line}: not a stepgrad model file (not UTF-8 text)"
        ) from None
    try:
        document = json.loads(text, object_pairs_hook=_object_without_repeated_keys)
    except RepeatedKeyError as error:
        raise ValueError(
            f"{path}: the key {shown(error.key)} appears twice in one object; a model "
            "file gives each field once (which one was meant?)"
        ) from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}, line {error.lineno}: corrupt or truncated model file, "
            f"not valid JSON ({error.msg} at column {error.colno})"
        ) from None
    except (ValueError, RecursionError) as error:  # too many digits; nested too deep
        problem = "nested too deep" if isinstance(error, RecursionError) else str(error)
        raise ValueError(f"{path}: corrupt model file, not usable JSON ({problem})") from None
    if nesting_depth(document) > MAX_NESTING:  # such a value would be no fun to print
        raise ValueError(
            f"{path}: corrupt model file, nested too deep (more than {MAX_NESTING} levels)"
        )
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(
            f"{path}: not a stepgrad model file (expected \"format\": \"{FORMAT}\" at the top)"
        )
    unknown = [key for key in document if key not in PARTS]
    if unknown:
        raise ValueError(
            f"{path}: unknown part {shown(unknown[0])} in the model file; it may have "
            f"{', '.join(PARTS)}"
        )
    version = document.get("version")
    if type(version) is not int or version != VERSION:  # not true, nor 1.0: both == 1
        raise ValueError(
            f"{path}: model file version {shown(version)}; this stepgrad reads version {VERSION}"
        )
    for key in ("architecture", "weights"):
        if not isinstance(document.get(key), dict):
            raise ValueError(f"{path}: the model file has no {key!r} object")
    recipe = document.get("recipe")
    if recipe is not None and not isinstance(recipe, dict):  # load() refuses it too
        raise ValueError(f"{path}: the recipe must be an object or null, not {shown(recipe)}")
    return document


class RepeatedKeyError(ValueError):
    """A JSON object gives the same key twice (json.loads would keep the last)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key!r} appears twice")
        self.key = key


def _object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads' object_pairs_hook: the object as a dict, if no key is repeated."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise RepeatedKeyError(key)
            seen.add(key)
    return result


def _keys_not_strings(value: object) -> Iterator[object]:
    """The dict keys in `value` that are not strings (a walk without recursion)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, Mapping):
            yield from (key for key in item if not isinstance(key, str))
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)


def nesting_depth(document: object, stop_after: int | None = None) -> int:
    """How deeply lists and dicts nest in `document` (a walk without recursion).

    With `stop_after`, the walk stops at the first value nested deeper than
    that and returns its depth (so a list that holds itself ends the walk).

    >>> nesting_depth({"a": [1, [2]], "b": 3}), nesting_depth([]), nesting_depth(3)
    (3, 1, 0)
    """
    deepest = 0
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (list, tuple, Mapping)):  # tuples and Mappings: in a recipe
            if stop_after is not None and depth > stop_after:
                return depth
            deepest = max(deepest, depth)
            items = value.values() if isinstance(value, Mapping) else value
            pending.extend((item, depth + 1) for item in items)
    return deepest
