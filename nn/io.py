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

Writes are **atomic**: the file is written to a temporary file in the same
folder and then renamed over the old one, so a crash half-way never leaves a
half-written model behind.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Mapping, Union

from engine.files import write_atomic
from nn.checks import check_choice, check_count, check_layer_sizes
from nn.layers import ACTIVATIONS, INITIALIZERS, MLP, Layer, Neuron
from nn.module import Module

FORMAT = "stepgrad-model"
VERSION = 1

PathLike = Union[str, "os.PathLike[str]"]

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
    None). An existing file at `path` is replaced only once the new one is
    completely written.
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
    try:
        text = json.dumps(document, indent=2, allow_nan=False) + "\n"
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"the recipe cannot be saved as JSON ({error}); use only dicts, lists, "
            "strings, numbers, booleans and None"
        ) from None
    write_atomic(path, text.encode("utf-8"))  # the old file survives any failure


def load(path: PathLike) -> Module:
    """Rebuild the model saved at `path` with its saved weights.

    A file that is not valid JSON, not a stepgrad model, from another
    version, with a wrong architecture field, or whose weights do not fit its
    architecture raises ValueError naming the file and the problem. All of
    this is checked before the model is built, so a hand-edited
    `"nouts": [100000000]` is refused at once instead of filling the memory.
    """
    path = Path(path)
    document = read_model_document(path)
    architecture = dict(document["architecture"])
    class_name = architecture.pop("class", None)
    check_architecture(path, class_name, architecture)
    weights = document["weights"]
    count = parameter_count(class_name, architecture)
    if count != len(weights):
        shape = ", ".join(
            f"{key}={architecture[key]}" for key in SIZE_FIELDS if key in architecture
        )
        raise ValueError(
            f"{path}: the weights do not fit the architecture: {class_name}({shape}) "
            f"has {count} parameters, but the file holds {len(weights)} weights"
        )
    # seed=0: the saved weights replace the initial ones, so any seed will
    # do; a fixed one leaves Python's global random alone.
    model = MODEL_CLASSES[class_name](**architecture, seed=0)
    try:
        model.load_state_dict(weights)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: the weights do not fit the architecture: {error}") from None
    return model


def check_architecture(path: Path, class_name: object, architecture: Mapping[str, Any]) -> None:
    """Raise ValueError naming `path` if a `class_name` model cannot have the
    fields of `architecture` (unknown or missing fields, wrong types or values).

    >>> check_architecture(Path("model.json"), "Layer", {"nin": 2, "nout": 3, "fused": "no"})
    Traceback (most recent call last):
    ...
    ValueError: model.json: the architecture is not valid: fused must be true or false, not 'no'
    """
    if not isinstance(class_name, str) or class_name not in FIELDS:
        choices = ", ".join(FIELDS)
        raise ValueError(f"{path}: unknown model class {class_name!r}; expected one of {choices}")
    fields = FIELDS[class_name]
    expected = f"{class_name} takes the fields {', '.join(fields)}"
    try:
        for key in architecture:
            if key not in fields:
                raise ValueError(f"unknown field {key!r}; {expected}")
        for key in SIZE_FIELDS:
            if key in fields and key not in architecture:
                raise ValueError(f"missing field {key!r}; {expected}")
        for key, value in architecture.items():
            check_field(key, value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: the architecture is not valid: {error}") from None


def check_field(key: str, value: Any) -> None:
    """Raise TypeError or ValueError if `value` does not suit the architecture field `key`.

    The sizes and choices are checked by the same helpers the models use.
    """
    if key in ("nin", "nout"):
        check_count(key, value)
    elif key == "nouts":
        check_layer_sizes(value)
    elif key in ("activation", "output_activation"):
        check_choice(key, value, ACTIVATIONS)
    elif key == "init":
        check_choice(key, value, INITIALIZERS)
    elif key == "fused" and not isinstance(value, bool):
        raise TypeError(f"fused must be true or false, not {value!r}")


def parameter_count(class_name: str, architecture: Mapping[str, Any]) -> int:
    """How many parameters a model of this (checked) architecture has, without building it.

    A layer of `nout` neurons reading `nin` inputs has nout * (nin + 1) of
    them: each neuron has nin weights and a bias. A Neuron is a layer of one.

    >>> parameter_count("MLP", {"nin": 2, "nouts": [3, 1]})  # 3 * (2 + 1) + 1 * (3 + 1)
    13
    """
    if class_name == "MLP":
        nouts = architecture["nouts"]
    elif class_name == "Layer":
        nouts = [architecture["nout"]]
    else:
        nouts = [1]
    sizes = [architecture["nin"], *nouts]
    return sum(nout * (nin + 1) for nin, nout in zip(sizes, sizes[1:]))


def load_recipe(path: PathLike) -> dict[str, Any] | None:
    """The recipe dict saved with the model at `path` (None if it has none)."""
    path = Path(path)
    recipe = read_model_document(path).get("recipe")
    if recipe is not None and not isinstance(recipe, dict):
        raise ValueError(f"{path}: the recipe must be an object or null, not {recipe!r}")
    return recipe


def read_model_document(path: Path) -> dict[str, Any]:
    """The checked JSON document of a model file (format, version, parts)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a stepgrad model file (not UTF-8 text)") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}: corrupt or truncated model file, not valid JSON ({error})"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(
            f"{path}: not a stepgrad model file (expected \"format\": \"{FORMAT}\" at the top)"
        )
    version = document.get("version")
    if version != VERSION:
        raise ValueError(
            f"{path}: model file version {version!r}; this stepgrad reads version {VERSION}"
        )
    for key in ("architecture", "weights"):
        if not isinstance(document.get(key), dict):
            raise ValueError(f"{path}: the model file has no {key!r} object")
    return document
