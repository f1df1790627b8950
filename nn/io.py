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
from nn.layers import MLP, Layer, Neuron
from nn.module import Module

FORMAT = "stepgrad-model"
VERSION = 1

PathLike = Union[str, "os.PathLike[str]"]

# The model classes a file may name; each is rebuilt from its `config()`.
MODEL_CLASSES: dict[str, Callable[..., Module]] = {"Neuron": Neuron, "Layer": Layer, "MLP": MLP}


def save(model: Module, path: PathLike, recipe: Mapping[str, Any] | None = None) -> None:
    """Write `model` (a Neuron, Layer or MLP) and an optional `recipe` dict to `path`.

    The recipe must be JSON data (dicts, lists, strings, numbers, booleans,
    None). An existing file at `path` is replaced only once the new one is
    completely written.
    """
    # Exactly these classes: a subclass may need other constructor arguments.
    if not isinstance(model, (Neuron, Layer, MLP)) or type(model) not in (Neuron, Layer, MLP):
        choices = ", ".join(MODEL_CLASSES)
        raise TypeError(f"save() can store a {choices}, not {type(model).__name__}")
    if recipe is not None and not isinstance(recipe, Mapping):
        raise TypeError(f"recipe must be a dict or None, not {type(recipe).__name__}")
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
    version, or whose weights do not fit its architecture raises ValueError
    naming the file and the problem.
    """
    path = Path(path)
    document = read_model_document(path)
    architecture = dict(document["architecture"])
    class_name = architecture.pop("class", None)
    if class_name not in MODEL_CLASSES:
        choices = ", ".join(MODEL_CLASSES)
        raise ValueError(f"{path}: unknown model class {class_name!r}; expected one of {choices}")
    try:
        model = MODEL_CLASSES[class_name](**architecture)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: the architecture is not valid: {error}") from None
    try:
        model.load_state_dict(document["weights"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: the weights do not fit the architecture: {error}") from None
    return model


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
