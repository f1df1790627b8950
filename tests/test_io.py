"""nn.save / nn.load: round trips, atomic writes, and every broken-file case."""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn.io
from engine.files import SpecialFileError
from nn import MLP, Layer, Neuron, load, load_recipe, save
from nn.module import Module


@pytest.mark.parametrize(
    "model",
    [
        MLP(2, [16, 16, 1], seed=0),
        MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", init="xavier", seed=1, fused=True),
        Layer(3, 2, activation="sigmoid", init="he", seed=2),
        Neuron(4, activation="linear", seed=3, fused=True),
    ],
    ids=["mlp", "mlp-options", "layer", "neuron"],
)
def test_round_trip(model: Module, tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save(model, path)
    copy = load(path)
    assert type(copy) is type(model)
    assert repr(copy) == repr(model)
    assert copy.state_dict() == model.state_dict()  # floats survive JSON exactly
    assert [p.label for p in copy.parameters()] == [p.label for p in model.parameters()]
    x = [0.25 * (i + 1) for i in range(model.nin)]
    assert repr(copy(x)) == repr(model(x))
    assert load_recipe(path) is None


def test_file_is_readable_json_with_format_version_and_recipe(tmp_path: Path) -> None:
    path = str(tmp_path / "class.json")  # a str path works too
    recipe = {"seed": 1337, "data": {"name": "moons", "n": 100, "noise": 0.1}}
    save(MLP(2, [3, 1], seed=0), path, recipe=recipe)
    text = Path(path).read_text()
    assert text.startswith('{\n  "format": "stepgrad-model",\n  "version": 1,')
    document = json.loads(text)
    assert document["architecture"] == {
        "class": "MLP", "nin": 2, "nouts": [3, 1], "activation": "relu",
        "output_activation": "linear", "init": "uniform", "fused": False,
    }
    assert list(document["weights"])[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert load_recipe(path) == recipe


def test_save_overwrites_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [2, 1], seed=0), path)
    save(MLP(2, [2, 1], seed=1), path)
    assert load(path).state_dict() == MLP(2, [2, 1], seed=1).state_dict()
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_write_failing_midway_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [2, 1], seed=0), path)
    before = path.read_bytes()

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(nn.io.os, "fsync", disk_full)  # the text is written, not yet on disk
    with pytest.raises(OSError, match="No space left"):
        save(MLP(2, [2, 1], seed=5), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def test_unsaveable_recipe_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    with pytest.raises(TypeError, match="recipe cannot be saved as JSON"):
        save(MLP(2, [2, 1]), path, recipe={"data": object()})
    with pytest.raises(TypeError, match="recipe must be a dict"):
        save(MLP(2, [2, 1]), path, recipe=[1, 2])
    assert not path.exists()


def test_only_known_models_can_be_saved(tmp_path: Path) -> None:
    class Custom(Module):
        pass

    with pytest.raises(TypeError, match="can store a Neuron, Layer, MLP, not Custom"):
        save(Custom(), tmp_path / "x.json")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_a_diverged_model_is_not_saved(tmp_path: Path, bad: float) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [2, 1], seed=0), path)
    before = path.read_bytes()
    model = MLP(2, [2, 1], seed=1)
    model.layers[0].neurons[1].w[0].data = bad  # what a too-large learning rate does
    model.layers[1].neurons[0].b.data = bad
    with pytest.raises(
        ValueError,
        match=rf"parameter layers\.0\.neurons\.1\.w\.0 is {bad!r}.*smaller learning rate",
    ):
        save(model, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def test_saving_onto_a_folder_or_into_a_missing_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match=re.escape(f"cannot write {tmp_path}: it is a folder")):
        save(MLP(2, [2, 1]), tmp_path)
    with pytest.raises(FileNotFoundError, match=re.escape(f"there is no folder {tmp_path / 'runs'};")):
        save(MLP(2, [2, 1]), tmp_path / "runs" / "model.json")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------- broken files


def _saved(tmp_path: Path) -> tuple[Path, dict]:
    path = tmp_path / "model.json"
    save(MLP(2, [2, 1], seed=0), path)
    return path, json.loads(path.read_text())


def _write(path: Path, document: object) -> None:
    path.write_text(json.dumps(document))


def test_truncated_file(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    path.write_text(path.read_text()[:150])
    with pytest.raises(ValueError, match=f"{path}, line \\d+: corrupt or truncated"):
        load(path)


def test_corrupt_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(ValueError, match="model.json, line 1: not a stepgrad model file"):
        load(path)
    path.write_text("")
    with pytest.raises(ValueError, match="model.json, line 1: corrupt or truncated"):
        load(path)


@pytest.mark.parametrize("document", [{"name": "package.json", "version": "1.0"}, [1, 2, 3], "hello", None])
def test_foreign_json(tmp_path: Path, document: object) -> None:
    path = tmp_path / "other.json"
    _write(path, document)
    with pytest.raises(ValueError, match="other.json: not a stepgrad model file"):
        load(path)


def test_other_version(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    _write(path, {**document, "version": 99})
    with pytest.raises(ValueError, match="model.json: .*version 99; .*reads version 1"):
        load(path)


def test_weights_that_do_not_fit(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    document["architecture"]["nouts"] = [3, 1]
    _write(path, document)
    with pytest.raises(
        ValueError,
        match=r"model.json: the weights do not fit.*nouts=\[3, 1\]\) has 13 parameters.*holds 9",
    ):
        load(path)
    path, document = _saved(tmp_path)
    document["weights"]["layers.0.neurons.0.bias"] = document["weights"].pop("layers.0.neurons.0.b")
    _write(path, document)
    with pytest.raises(ValueError, match=r"model.json: .*missing key \('layers\.0\.neurons\.0\.b'\)"):
        load(path)
    path, document = _saved(tmp_path)
    document["weights"]["layers.0.neurons.0.b"] = "zero"
    _write(path, document)
    with pytest.raises(ValueError, match="key 'layers.0.neurons.0.b' .*'zero'"):
        load(path)


@pytest.mark.parametrize(
    "architecture, parameters",  # nout * (nin + 1)
    [({"class": "Neuron", "nin": 3}, 4), ({"class": "Layer", "nin": 3, "nout": 3}, 12)],
    ids=["neuron", "layer"],
)
def test_parameter_count_of_each_class(tmp_path: Path, architecture: dict, parameters: int) -> None:
    path, document = _saved(tmp_path)
    _write(path, {**document, "architecture": architecture})  # still the MLP's 9 weights
    with pytest.raises(ValueError, match=f"has {parameters} parameters.* holds 9 weights"):
        load(path)


@pytest.fixture
def no_building(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make building a model fail the test: bad files must be refused before."""

    def build(**architecture: object) -> Module:
        raise AssertionError(f"a model was built from a bad file: {architecture}")

    for name in ("Neuron", "Layer", "MLP"):
        monkeypatch.setitem(nn.io.MODEL_CLASSES, name, build)


def test_an_absurd_size_is_refused_before_building(tmp_path: Path, no_building: None) -> None:
    path, document = _saved(tmp_path)
    document["architecture"]["nouts"] = [100_000_000]  # would take minutes and gigabytes to build
    _write(path, document)
    with pytest.raises(ValueError, match=r"model.json: .*has 300000000 parameters.* holds 9 weights"):
        load(path)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("fused", "no", "fused must be True or False, not str 'no'"),
        ("fused", 0, "fused .* not int 0"),
        ("nin", "2", "nin .* not str '2'"),
        ("nin", True, "nin .* not bool True"),
        ("nin", 0, "nin must be .*>= 1, not 0"),
        ("nouts", [2.0, 1], r"nouts\[0\] .*not float 2.0"),
        ("nouts", [2, -1], r"nouts\[1\] .*>= 1, not -1"),
        ("nouts", [], r"nouts must be a non-empty list .*not \[\]"),
        ("nouts", 3, "nouts must be a non-empty list"),
        ("activation", "gelu", "unknown activation 'gelu'; choose one of 'relu', 'tanh'"),
        ("output_activation", 7, "unknown output_activation 7; choose one of"),
        ("init", "zeros", "unknown init 'zeros'; choose one of 'uniform', 'xavier', 'he'"),
        ("depth", 3, "unknown field 'depth'; MLP takes the fields nin, nouts"),
        ("seed", 0, "unknown field 'seed'"),
    ],
)
def test_bad_architecture_fields_are_refused_before_building(
    tmp_path: Path, no_building: None, field: str, value: object, message: str
) -> None:
    path, document = _saved(tmp_path)
    document["architecture"][field] = value
    _write(path, document)
    with pytest.raises(ValueError, match=f"model.json: .*architecture .*{message}"):
        load(path)


def test_missing_size_field(tmp_path: Path, no_building: None) -> None:
    path, document = _saved(tmp_path)
    del document["architecture"]["nouts"]
    _write(path, document)
    with pytest.raises(ValueError, match="model.json: .*missing field 'nouts'"):
        load(path)


def test_options_may_be_left_out_of_a_hand_written_file(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    _write(path, {**document, "architecture": {"class": "MLP", "nin": 2, "nouts": [2, 1]}})
    assert load(path).state_dict() == MLP(2, [2, 1], seed=0).state_dict()


def test_bad_architecture(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    _write(path, {**document, "architecture": {**document["architecture"], "class": "Transformer"}})
    with pytest.raises(ValueError, match="model.json: .*'Transformer'; choose one of 'Neuron', 'Layer', 'MLP'"):
        load(path)
    _write(path, {**document, "architecture": {**document["architecture"], "class": ["MLP"]}})
    with pytest.raises(ValueError, match=r"model.json: unknown model class \['MLP'\]"):
        load(path)
    _write(path, {key: value for key, value in document.items() if key != "weights"})
    with pytest.raises(ValueError, match="model.json: the model file has no 'weights' object"):
        load(path)


def test_bad_recipe_in_file(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    _write(path, {**document, "recipe": [1, 2]})
    for read in (load_recipe, load):  # load refuses the file too: it is not a model file
        with pytest.raises(ValueError, match="the recipe must be an object or null"):
            read(path)


def test_missing_file_or_a_folder_is_a_documented_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing.json: there is no such file"):
        load(tmp_path / "nothing.json")
    with pytest.raises(IsADirectoryError, match=f"{tmp_path}: it is a folder"):
        load(tmp_path)
    for word in ("FileNotFoundError", "IsADirectoryError", "SpecialFileError", "ValueError"):
        assert word in (nn.io.__doc__ or "")


# ---------------------------------------------------------------------- links, pipes, bombs


def test_save_through_a_symlink_updates_the_file_it_points_to(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    save(MLP(2, [2, 1], seed=0), real)
    link = tmp_path / "model.json"
    link.symlink_to(real)
    save(MLP(2, [2, 1], seed=1), link)
    assert link.is_symlink()
    assert load(real).state_dict() == MLP(2, [2, 1], seed=1).state_dict()


def test_save_refuses_a_fifo_or_a_device_at_the_target(tmp_path: Path) -> None:
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    with pytest.raises(SpecialFileError, match="model.json: it is a named pipe"):
        save(MLP(2, [2, 1]), fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    link = tmp_path / "device.json"
    link.symlink_to("/dev/null")
    with pytest.raises(SpecialFileError, match="device.json .*: it is a device"):
        save(MLP(2, [2, 1]), link)


def test_load_refuses_a_link_to_a_device_without_reading_it(tmp_path: Path) -> None:
    link = tmp_path / "model.json"
    link.symlink_to("/dev/zero")  # reading it would fill the memory
    with pytest.raises(SpecialFileError, match="model.json: it is a device"):
        load(link)
    with pytest.raises(SpecialFileError, match="model.json: it is a device"):
        load_recipe(link)


def test_load_refuses_a_fifo_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            load(fifo)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(30)
    if reader.is_alive():  # blocked: give it a writer so that the thread ends
        with open(fifo, "wb"):
            pass
        pytest.fail("load() waited on a FIFO")
    assert isinstance(outcome[0], SpecialFileError)


def test_a_file_over_the_size_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = _saved(tmp_path)
    monkeypatch.setattr(nn.io, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValueError, match=r"model.json is \d+ bytes, .*at most 100 bytes"):
        load(path)


def test_a_json_nesting_bomb_is_a_value_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="model.json: .*nested too deep"):
        load(path)
    path, document = _saved(tmp_path)
    path.write_text(json.dumps(document)[:-1] + ', "recipe": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ValueError, match="model.json: .*nested too deep"):
        load_recipe(path)


@pytest.mark.parametrize("digits", [5000, 4000], ids=["over-python-limit", "too-large-for-a-float"])
def test_a_huge_integer_is_a_value_error_naming_the_file(tmp_path: Path, digits: int) -> None:
    path, document = _saved(tmp_path)
    text = json.dumps(document).replace('"layers.0.neurons.0.b": 0.0', '"layers.0.neurons.0.b": ' + "9" * digits)
    assert "9" * digits in text
    path.write_text(text)
    with pytest.raises(ValueError, match="model.json: ") as caught:
        load(path)
    assert len(str(caught.value)) < 400  # the number is not repeated in full
    path.write_text(json.dumps(document).replace('"nin": 2', '"nin": ' + "9" * 4000))
    with pytest.raises(ValueError, match="model.json: .*nin=an int of 4000 digits"):
        load(path)


def test_nesting_that_json_can_read_but_repr_could_not_is_refused(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    document["architecture"]["nouts"] = json.loads("[" * 500 + "]" * 500)
    document["recipe"] = json.loads("[" * 500 + "]" * 500)
    _write(path, document)
    for read in (load, load_recipe):
        with pytest.raises(ValueError, match="model.json: .*nested too deep"):
            read(path)


# ---------------------------------------------------------------------- save refuses what load refuses


def _nested_list(depth: int) -> list:
    """[[[...]]]: `depth` lists, each inside the one before."""
    inner: list = []
    for _ in range(depth - 1):
        inner = [inner]
    return inner


@pytest.mark.parametrize("depth", [99, 100, 500, 990])
def test_save_refuses_a_recipe_that_load_would_refuse_and_keeps_the_old_file(
    tmp_path: Path, depth: int
) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [2, 1], seed=0), path)
    before = path.read_bytes()
    recipe = {"deep": _nested_list(depth)}  # the recipe nests depth + 1 levels
    with pytest.raises(ValueError, match=r"recipe nests .* at most 99 .*nothing was written"):
        save(MLP(2, [2, 1], seed=1), path, recipe=recipe)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def test_the_deepest_recipe_save_accepts_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    for recipe in ({"deep": _nested_list(98)}, {"deep": [_nested_list(97), 1.5]}):
        save(MLP(2, [2, 1], seed=0), path, recipe=recipe)  # 99 levels: the limit
        assert load_recipe(path) == recipe


def test_a_recipe_that_holds_itself_is_refused(tmp_path: Path) -> None:
    recipe: dict = {"seed": 0}
    recipe["again"] = [recipe, recipe]
    with pytest.raises(ValueError, match="recipe nests .* more than 99 levels"):
        save(MLP(2, [2, 1], seed=0), tmp_path / "model.json", recipe=recipe)


def test_save_refuses_a_file_load_would_find_too_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [2, 1], seed=0), path)
    before = path.read_bytes()
    monkeypatch.setattr(nn.io, "MAX_FILE_BYTES", len(before) + 10)
    with pytest.raises(ValueError, match=r"would be [\d,]+ bytes, but load\(\) reads at most"):
        save(MLP(2, [2, 1], seed=0), path, recipe={"note": "x" * 100})
    assert path.read_bytes() == before


@pytest.mark.parametrize("recipe", [{1: "a", "1": "b"}, {"data": {None: 2}}, {"x": [{2.5: 0}]}])
def test_save_refuses_recipe_keys_that_json_would_change(tmp_path: Path, recipe: dict) -> None:
    path = tmp_path / "model.json"
    with pytest.raises(TypeError, match="recipe has the key .* string keys"):
        save(MLP(2, [2, 1], seed=0), path, recipe=recipe)
    assert not path.exists()


def test_a_key_given_twice_is_refused_by_name(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    text = json.dumps(document)
    path.write_text(text.replace('"version": 1,', '"version": 1, "version": 1,'))
    with pytest.raises(ValueError, match="model.json: the key 'version' appears twice"):
        load(path)
    path.write_text(text.replace('"nin": 2,', '"nin": 2, "nin": 3,'))
    with pytest.raises(ValueError, match="model.json: the key 'nin' appears twice"):
        load(path)


def test_the_repeated_key_error_names_the_key_by_itself() -> None:
    """Its own message, for any reader of JSON that uses the hook (load rewords it)."""
    with pytest.raises(nn.io.RepeatedKeyError) as error:
        json.loads('{"a": 1, "b": {"c": 2, "c": 3}}',
                   object_pairs_hook=nn.io._object_without_repeated_keys)
    assert str(error.value) == "the key 'c' appears twice" and error.value.key == "c"
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize("version", [True, 1.0, "1", [1]])
def test_a_version_that_only_equals_one_is_refused(tmp_path: Path, version: object) -> None:
    path, document = _saved(tmp_path)
    _write(path, {**document, "version": version})
    with pytest.raises(ValueError, match="model.json: model file version .*reads version 1"):
        load(path)


def test_an_unknown_part_is_refused_by_name(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    _write(path, {**document, "recipie": {"seed": 0}})
    with pytest.raises(ValueError, match="model.json: unknown part 'recipie'"):
        load(path)


_recipe_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=3) | st.integers(0, 3) | st.booleans(), inner, max_size=3),
    max_leaves=200,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recipe=st.dictionaries(st.text(max_size=3), _recipe_values, max_size=4), depth=st.integers(0, 120))
def test_whatever_save_writes_load_reads_back(tmp_path: Path, recipe: dict, depth: int) -> None:
    path = tmp_path / "model.json"
    recipe = {**recipe, "deep": _nested_list(depth) if depth else 0}
    try:
        save(MLP(2, [2, 1], seed=0), path, recipe=recipe)
    except (TypeError, ValueError):
        return  # refused before writing: fine
    assert load_recipe(path) == json.loads(json.dumps(recipe))


# ---------------------------------------------------------------------- refusals word for word


def test_load_refusals_word_for_word(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, document = _saved(tmp_path)

    def refusal() -> str:
        with pytest.raises(ValueError) as error:
            load(path)
        return str(error.value)

    weights = dict(list(document["weights"].items())[:-1])
    _write(path, {**document, "weights": weights})
    assert refusal() == (
        f"{path}: the weights do not fit the architecture: MLP(nin=2, nouts=[2, 1]) "
        f"has 9 parameters, but the file holds 8 weights"
    )
    _write(path, {**document, "extra": 1})
    assert refusal() == (
        f"{path}: unknown part 'extra' in the model file; it may have format, version, "
        "architecture, weights, recipe"
    )
    _write(path, {**document, "recipe": [1, 2]})
    assert refusal() == f"{path}: the recipe must be an object or null, not [1, 2]"
    path.write_text(json.dumps(document).replace('"version": 1,', '"version": 1, "version": 1,'))
    assert refusal() == (
        f"{path}: the key 'version' appears twice in one object; a model file gives "
        "each field once (which one was meant?)"
    )
    path.write_bytes(b'\n\n{"format": "stepgrad-model", "x": "\xff"}')
    assert refusal() == f"{path}, line 3: not a stepgrad model file (not UTF-8 text)"
    path.write_text("[" * 100_000 + "]" * 100_000)  # deeper than Python's recursion
    assert refusal() == f"{path}: corrupt model file, not usable JSON (nested too deep)"
    path.write_text('{"format": ' + "1" * 5000 + "}")  # more digits than int() reads
    message = refusal()
    assert message.startswith(f"{path}: corrupt model file, not usable JSON (Exceeds the limit")
    assert "4300" in message and "nested" not in message
    _saved(tmp_path)
    size = path.stat().st_size
    monkeypatch.setattr(nn.io, "MAX_FILE_BYTES", size - 1)
    assert refusal() == (
        f"{path} is {size:,} bytes, but a stepgrad model file may have at most {size - 1:,} bytes"
    )


def test_save_refusals_word_for_word(tmp_path: Path) -> None:
    path = tmp_path / "model.json"

    class MyMLP(MLP):
        pass

    with pytest.raises(TypeError) as error:
        save(MyMLP(2, [1], seed=0), path)
    assert str(error.value) == "save() can store a Neuron, Layer, MLP, not MyMLP"
    with pytest.raises(TypeError) as error:
        save(MLP(2, [1], seed=0), path, recipe=[1])  # type: ignore[arg-type]
    assert str(error.value) == "recipe must be a dict or None, not list"
    with pytest.raises(TypeError) as error:
        save(MLP(2, [1], seed=0), path, recipe={"rate": float("nan")})
    assert str(error.value) == (
        "the recipe cannot be saved as JSON (Out of range float values are not JSON "
        "compliant: nan); use only dicts, lists, strings, numbers, booleans and None"
    )
    with pytest.raises(TypeError) as error:
        save(MLP(2, [1], seed=0), path, recipe={"sizes": {3: "three"}})
    assert str(error.value) == (
        "the recipe has the key 3, a int: a model file keeps only string keys (JSON "
        "would write it as a string); nothing was written"
    )
    model = MLP(2, [1], seed=0)
    model.parameters()[0].data = float("inf")
    with pytest.raises(ValueError) as error:
        save(model, path)
    assert str(error.value) == (
        "cannot save the model: parameter layers.0.neurons.0.w.0 is inf, so training "
        "diverged; train again with a smaller learning rate (nothing was written)"
    )
    assert not path.exists()


def test_save_writes_a_file_of_exactly_the_largest_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = _saved(tmp_path)
    size = path.stat().st_size
    path.unlink()
    monkeypatch.setattr(nn.io, "MAX_FILE_BYTES", size)
    save(MLP(2, [2, 1], seed=0), path)  # exactly the limit: written, and it loads
    assert load(path).state_dict() == MLP(2, [2, 1], seed=0).state_dict()
    path.unlink()
    monkeypatch.setattr(nn.io, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(ValueError) as error:
        save(MLP(2, [2, 1], seed=0), path)
    assert str(error.value) == (
        f"the model file would be {size:,} bytes, but load() reads at most "
        f"{size - 1:,}; nothing was written"
    )
    assert not path.exists()


def test_load_leaves_pythons_global_random_alone(tmp_path: Path) -> None:
    import random

    path, _ = _saved(tmp_path)
    random.seed(7)
    expected = [random.random() for _ in range(3)]
    random.seed(7)
    load(path)
    assert [random.random() for _ in range(3)] == expected
