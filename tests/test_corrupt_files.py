"""Hypothesis breaks model files and CSV files: each one loads, or is ONE ValueError naming it.

Truncation, flipped bytes, deep nesting, huge numbers and values of the wrong
type, in any mix. Whatever comes out must be a model / a data set that holds
up, or a ValueError whose message names the file (never a RecursionError,
OverflowError, KeyError, csv.Error...). The files are small, and reading is
bounded by the size limits, so every example takes milliseconds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn import MLP, load, load_csv, load_recipe, save
from nn.module import Module

# One folder per test: each example rewrites the file in it.
FIXTURE = [HealthCheck.function_scoped_fixture]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def byte_edits(draw: st.DrawFn, content: bytes) -> bytes:
    """`content` truncated, with bytes flipped, and with nesting or huge numbers put in."""
    data = bytearray(content)
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "nest", "huge", "quote", "newline"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "nest":
            depth = draw(st.sampled_from([10, 1_000, 50_000]))
            data[at:at] = b"[" * depth + b"]" * draw(st.sampled_from([0, depth]))
        elif kind == "huge":
            digits = draw(st.sampled_from([400, 4_000, 5_000, 100_000]))
            data[at:at] = draw(st.sampled_from([b"9", b"-1", b"0.", b"1e"])) + b"9" * digits
        elif kind == "quote":
            data[at:at] = b'"'
        else:
            data[at:at] = draw(st.sampled_from([b"\n", b"\r", b"\r\n", b"\x00", b","]))
    return bytes(data)


def replace_somewhere(document: Any, path: list[int], new: Any) -> Any:
    """`document` with the value that `path` leads to replaced by `new` (indices wrap around)."""
    if not path or not isinstance(document, (dict, list)) or not document:
        return new
    if isinstance(document, dict):
        key = list(document)[path[0] % len(document)]
        return {**document, key: replace_somewhere(document[key], path[1:], new)}
    index = path[0] % len(document)
    replaced = replace_somewhere(document[index], path[1:], new)
    return [*document[:index], replaced, *document[index + 1 :]]


def saved_model(folder: Path) -> tuple[Path, bytes]:
    path = folder / "model.json"
    save(MLP(2, [3, 2], seed=0), path, recipe={"seed": 0, "data": ["moons", 100]})
    return path, path.read_bytes()


def assert_loads_or_names_the_file(path: Path) -> None:
    for read in (load, load_recipe):
        try:
            result = read(path)
        except ValueError as error:
            assert type(error) is ValueError, repr(error)
            assert str(path) in str(error)
            assert len(str(error)) < 1000  # a bad value is shown cut, not in full
        else:
            if read is load:
                assert isinstance(result, Module)
                assert result.first_non_finite() is None


@settings(max_examples=150, suppress_health_check=FIXTURE)
@given(data=st.data())
def test_a_model_file_with_broken_bytes_loads_or_is_one_value_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    path, content = saved_model(tmp_path)
    path.write_bytes(data.draw(byte_edits(content)))
    assert_loads_or_names_the_file(path)


@settings(max_examples=100, suppress_health_check=FIXTURE)
@given(where=st.lists(st.integers(0, 100), max_size=5), new=json_values)
def test_a_model_file_with_a_value_of_the_wrong_type_loads_or_is_one_value_error(
    tmp_path: Path, where: list[int], new: Any
) -> None:
    path, content = saved_model(tmp_path)
    document = replace_somewhere(json.loads(content), where, new)
    path.write_text(json.dumps(document))  # nan and inf are written as NaN and Infinity
    assert_loads_or_names_the_file(path)


# ---------------------------------------------------------------------- CSV

TABLE = (
    b"sepal length,sepal width,species\n"
    b'5.1,3.5,setosa\n4.9,3.0,"setosa"\n7.0,3.2,versicolor\n'
    b'6.4,3.2,"versi, color"\n6.3,3.3,virginica\n'
)


def assert_csv_loads_well_or_names_the_file(path: Path) -> None:
    try:
        X, y, features, classes = load_csv(path)
    except ValueError as error:
        assert type(error) is ValueError, repr(error)
        assert str(path) in str(error)
        assert len(str(error)) < 1000
        return
    assert X and len(X) == len(y)
    assert all(len(row) == len(features) for row in X)
    assert all(math.isfinite(number) for row in X for number in row)
    assert sorted(set(y)) == list(range(len(classes)))
    for name in classes:  # a quote may not swallow lines or commas into a label
        assert name and name == name.strip() and "\n" not in name and "\r" not in name


@settings(max_examples=200, suppress_health_check=FIXTURE)
@given(data=st.data())
def test_a_csv_file_with_broken_bytes_loads_well_or_is_one_value_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    path = tmp_path / "flowers.csv"
    path.write_bytes(data.draw(byte_edits(TABLE)))
    assert_csv_loads_well_or_names_the_file(path)


@settings(max_examples=100, suppress_health_check=FIXTURE)
@given(rows=st.lists(st.lists(st.text(max_size=6), min_size=1, max_size=4), max_size=5))
def test_a_csv_file_of_random_fields_loads_well_or_is_one_value_error(
    tmp_path: Path, rows: list[list[str]]
) -> None:
    path = tmp_path / "random.csv"
    path.write_text("\n".join(",".join(fields) for fields in rows), encoding="utf-8")
    assert_csv_loads_well_or_names_the_file(path)


@pytest.mark.parametrize("text", ["a,label\n1,x\n2,y\n", "a,label\r\n1,x\r\n2,y\r\n"])
def test_the_strategies_start_from_files_that_load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(text.encode())
    assert load_csv(path).X == [[1.0], [2.0]]
    path = tmp_path / "table2.csv"
    path.write_bytes(TABLE)
    assert load_csv(path).class_names == ["setosa", "versi, color", "versicolor", "virginica"]
    model_path, _ = saved_model(tmp_path)
    assert load_recipe(model_path) == {"seed": 0, "data": ["moons", 100]}
