"""Tests for nn/data.py: generators, split, standardize, the CSV loader and iris."""

import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

import nn.data
from nn.data import (
    Standardization,
    blobs,
    circles,
    load_csv,
    load_iris,
    moons,
    signed_labels,
    spiral,
    standardize,
    train_test_split,
    xor,
)

ROOT = Path(__file__).resolve().parent.parent

GENERATORS = {
    "moons": (moons, {}, [0, 1]),
    "circles": (circles, {}, [0, 1]),
    "xor": (xor, {}, [0, 1]),
    "spiral": (spiral, {"classes": 4}, [0, 1, 2, 3]),
    "blobs": (blobs, {"centers": 3}, [0, 1, 2]),
}


# ---------------------------------------------------------------------- generators


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_shapes_labels_and_determinism(name: str) -> None:
    generator, options, classes = GENERATORS[name]
    X, y = generator(n=61, seed=5, **options)
    assert len(X) == len(y) == 61
    assert all(len(row) == 2 and all(isinstance(x, float) for x in row) for row in X)
    assert sorted(set(y)) == classes
    # The same seed gives the same data; a different seed different data.
    assert generator(n=61, seed=5, **options) == (X, y)
    assert generator(n=61, seed=6, **options)[0] != X
    # A random.Random works as a seed too.
    assert generator(n=61, seed=random.Random(5), **options) == (X, y)


@pytest.mark.parametrize("name", ["moons", "circles", "spiral", "blobs"])
def test_classes_are_balanced(name: str) -> None:
    generator, options, classes = GENERATORS[name]
    _, y = generator(n=100, seed=0, **options)
    counts = [y.count(label) for label in classes]
    assert max(counts) - min(counts) <= 1


def test_moons_without_noise_lie_on_the_half_circles() -> None:
    X, y = moons(n=40, noise=0.0, seed=0)
    for (x1, x2), label in zip(X, y):
        if label == 0:
            assert math.isclose(math.hypot(x1, x2), 1.0)
            assert x2 >= -1e-12
        else:
            assert math.isclose(math.hypot(x1 - 1.0, x2 - 0.5), 1.0)
            assert x2 <= 0.5 + 1e-12


def test_circles_radii() -> None:
    X, y = circles(n=40, noise=0.0, factor=0.3, seed=0)
    for (x1, x2), label in zip(X, y):
        assert math.isclose(math.hypot(x1, x2), 1.0 if label == 0 else 0.3)


def test_xor_labels_follow_the_quadrant() -> None:
    X, y = xor(n=50, seed=2)
    assert all(label == int((x1 > 0) != (x2 > 0)) for (x1, x2), label in zip(X, y))


def test_blobs_with_given_centres() -> None:
    X, y = blobs(n=40, centers=[(10, 0), (-10, 0)], spread=0.5, seed=0)
    assert all((x1 > 0) == (label == 0) for (x1, _), label in zip(X, y))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: moons(n=1), ValueError, "n must be .*>= 2, not 1"),
        (lambda: moons(n=2.5), TypeError, "n must be a whole number.*2.5"),
        (lambda: moons(noise=-0.1), ValueError, "noise .*>= 0, not -0.1"),
        (lambda: moons(seed="abc"), TypeError, "seed must be"),
        (lambda: circles(factor=1.5), ValueError, "factor .*< 1, not 1.5"),
        (lambda: spiral(classes=1), ValueError, "classes .*>= 2, not 1"),
        (lambda: spiral(n=2, classes=3), ValueError, "n .*>= 3, not 2"),
        (lambda: blobs(centers=[(0, 0)]), ValueError, "at least 2 centres"),
        (lambda: blobs(centers=[(0, 0, 0), (1, 1)]), ValueError, "(0, 0, 0)"),
        (lambda: blobs(centers="abc"), TypeError, "centers must be"),
    ],
)
def test_generator_errors(call, error, words) -> None:
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_signed_labels() -> None:
    assert signed_labels([0, 1, 0]) == [-1, 1, -1]
    with pytest.raises(ValueError, match=r"y\[1\] = 2"):
        signed_labels([0, 2])


# ---------------------------------------------------------------------- split and scale


def test_train_test_split_partitions_the_rows() -> None:
    X = [[float(i)] for i in range(20)]
    y = list(range(20))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.25, seed=1)
    assert len(X_test) == 5 and len(X_train) == 15
    assert sorted(y_train + y_test) == y
    assert all(row == [float(label)] for row, label in zip(X_train + X_test, y_train + y_test))
    assert train_test_split(X, y, test_fraction=0.25, seed=1) == (X_train, X_test, y_train, y_test)
    assert train_test_split(X, y, test_fraction=0.25, seed=2)[3] != y_test


@pytest.mark.parametrize(
    "X, y, fraction, words",
    [
        ([[1.0], [2.0]], [0], 0.5, "X has 2 rows but y has 1"),
        ([[1.0], [2.0]], [0, 1], 1.0, "test_fraction .*< 1, not 1.0"),
        ([[1.0], [2.0]], [0, 1], 0.0, "test_fraction .*> 0 .*not 0.0"),
        ([[1.0]], [0], 0.5, "at least 2 rows"),
    ],
)
def test_train_test_split_errors(X, y, fraction, words) -> None:
    with pytest.raises(ValueError, match=words):
        train_test_split(X, y, test_fraction=fraction)


def test_standardize_gives_mean_zero_std_one_and_applies_to_test_data() -> None:
    X, _ = moons(n=50, seed=0)
    scaled, scaling = standardize(X)
    assert isinstance(scaling, Standardization)
    for j in range(2):
        column = [row[j] for row in scaled]
        mean = sum(column) / len(column)
        std = math.sqrt(sum((x - mean) ** 2 for x in column) / len(column))
        assert abs(mean) < 1e-12 and math.isclose(std, 1.0)
    assert scaling.apply(X) == scaled
    with pytest.raises(ValueError, match="row 0 has 3 columns"):
        scaling.apply([[1.0, 2.0, 3.0]])


def test_standardize_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        standardize([])
    with pytest.raises(ValueError, match="row 1 has 1 columns"):
        standardize([[1.0, 2.0], [3.0]])


# ---------------------------------------------------------------------- iris and CSV


def test_iris_has_150_rows_50_per_species_and_the_known_means() -> None:
    X, y, features, classes = load_iris()
    assert len(X) == 150 and all(len(row) == 4 for row in X)
    assert features == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert classes == ["setosa", "versicolor", "virginica"]
    assert [y.count(k) for k in range(3)] == [50, 50, 50]
    means = [round(sum(row[j] for row in X) / 150, 3) for j in range(4)]
    assert means == [5.843, 3.057, 3.758, 1.199]
    assert X[0] == [5.1, 3.5, 1.4, 0.2] and y[0] == 0


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "table.csv"
    path.write_text(text)
    return path


def test_load_csv_by_name_and_by_position(tmp_path: Path) -> None:
    path = write(tmp_path, "kind,a,b\ncat,1,2\ndog,3,4\ncat,5,6\n")
    X, y, features, classes = load_csv(path, label_column="kind")
    assert X == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert y == [0, 1, 0] and classes == ["cat", "dog"] and features == ["a", "b"]
    assert load_csv(path, label_column=0) == (X, y, features, classes)


@pytest.mark.parametrize(
    "text, label_column, words",
    [
        ("", -1, "table.csv is empty"),
        ("\n  \n , \n", -1, "table.csv is empty"),
        ("a,label\n1,1\n2,1.0\n3,0\n", -1, "table.csv: the labels '1' and '1.0' are the same number"),
        ("a,b,label\n", -1, "table.csv has a header but no rows"),
        ("a,b,label\n1,2,x\n3,abc,y\n", -1, r"table.csv, line 3, column 2 \('b'\): 'abc' is not a number"),
        ("a,b,label\n1,2,x\n3,nan,y\n", -1, r"line 3, column 2 \('b'\): 'nan'"),
        ("a,b,label\n1,2,x\n3,4\n", -1, "table.csv, line 3: expected 3 fields like the header, found 2"),
        ("a,b,label\n1,2,x\n", "kind", r"table.csv, line 1: no column named 'kind'"),
        ("a,b,label\n1,2,x\n", 5, "table.csv, line 1: label_column=5 is out of range"),
        ("\n  \na,b,label\n1,2,x\n", "kind", "table.csv, line 3: no column named 'kind'"),
        ("a;b;label\n1;2;x\n", -1, "table.csv, line 1: .* separated by semicolons.* comma"),
        ("a\tb\tlabel\n1\t2\tx\n", -1, "table.csv, line 1: .* separated by tabs.* comma"),
        ("label\nx\ny\n", -1, "table.csv, line 1: .* at least one feature column"),
    ],
)
def test_load_csv_errors_name_file_line_and_column(
    tmp_path: Path, text: str, label_column: str | int, words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        load_csv(write(tmp_path, text), label_column=label_column)


def test_load_csv_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing.csv"):
        load_csv(tmp_path / "nothing.csv")


@pytest.mark.parametrize(
    "text, words",
    [
        # A quote never closed swallowed every line after it into one label.
        ('a,b,label\n1,2,"x\n3,4,y\n5,6,z\n', "line 2: .*quote opened here is never closed"),
        # ... or the lines up to the next quote.
        ('a,b,label\n1,2,"x\n3,4,y\n5,6,z"\n7,8,w\n', "line 2: .*closed only on line 4"),
        ('a,b,label\n1,2,"x"y\n', "line 2: not a valid CSV row"),  # read as 'xy'
        ("a,b,label\n1,2,\n3,4,y\n", r"line 2, column 3 \('label'\): the label is empty"),
        ("5.1,3.5,setosa\n4.9,3.0,setosa\n", "line 1: .*holds numbers.*no header line"),
        ("a,a,label\n1,2,x\n", "line 1: .*two columns 'a' .*own name"),
        ("a,b,label\n1,2,x\x00\n", "line 2: a NUL character"),
        ("a,b,label\n1,2_5,x\n", r"line 2, column 2 \('b'\): '2_5' is not a number"),
        ('a,b,label\n1,2,"' + "x" * 200_000 + '"\n', "line 2: not a valid CSV row .*field limit"),
    ],
    ids=["unclosed-quote", "quote-swallows-lines", "text-after-quote", "empty-label",
         "no-header", "same-name-twice", "nul", "underscore", "huge-field"],
)
def test_load_csv_refuses_files_that_would_load_wrong_or_crash(
    tmp_path: Path, text: str, words: str
) -> None:
    with pytest.raises(ValueError, match="table.csv, " + words) as caught:
        load_csv(write(tmp_path, text))
    assert type(caught.value) is ValueError  # not the csv module's own error
    assert len(str(caught.value)) < 400


def test_load_csv_reads_old_mac_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(b"a,label\r1,x\r2,y\r")
    assert load_csv(path).X == [[1.0], [2.0]]


def test_load_csv_refuses_a_folder_a_device_and_a_file_too_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        load_csv(tmp_path)
    link = tmp_path / "zero.csv"
    link.symlink_to("/dev/zero")
    with pytest.raises(OSError, match="zero.csv: it is a device"):
        load_csv(link)
    path = write(tmp_path, "a,label\n1,x\n")
    monkeypatch.setattr(nn.data, "MAX_CSV_BYTES", 5)
    with pytest.raises(ValueError) as refusal:
        load_csv(path)
    assert str(refusal.value) == (
        f"{path} is 12 bytes, but a CSV file for load_csv may have at most 5 bytes"
    )


def test_load_csv_reads_the_byte_order_mark_excel_writes(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(b"\xef\xbb\xbfkind,a\r\ncat,1\r\ndog,2\r\n")
    X, y, features, classes = load_csv(path, label_column="kind")
    assert X == [[1.0], [2.0]] and y == [0, 1] and features == ["a"]
    assert load_csv(path, label_column=0).feature_names == ["a"]


@pytest.mark.parametrize(
    "content, line",
    [
        ("a,b,label\n1,2,café\n".encode("latin-1"), 2),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1),
    ],
)
def test_load_csv_refuses_a_file_that_is_not_utf8_text(
    tmp_path: Path, content: bytes, line: int
) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=f"table.csv, line {line}: .*must be UTF-8 text") as error:
        load_csv(path)
    assert not isinstance(error.value, UnicodeDecodeError)


def test_load_csv_orders_number_labels_by_value(tmp_path: Path) -> None:
    path = write(tmp_path, "a,label\n1,10\n2,2\n3,0\n4,1\n")
    dataset = load_csv(path)
    assert dataset.class_names == ["0", "1", "2", "10"]
    assert dataset.y == [3, 2, 0, 1]
    # One name that is not a number: every name is sorted alphabetically.
    mixed = load_csv(write(tmp_path, "a,label\n1,10\n2,2\n3,b\n"))
    assert mixed.class_names == ["10", "2", "b"]


def test_seed_none_follows_pythons_global_random_everywhere() -> None:
    """One rule for seed=None in weights, data and mini-batches: random.seed decides."""
    from nn import MLP, fit

    def run() -> tuple[list[float], list[list[float]], list[float]]:
        X, y = moons(n=10, seed=None)
        model = MLP(2, [3, 1], seed=None)
        history = fit(model, X, signed_labels(y), steps=3, batch_size=4, seed=None,
                      progress=False)
        return list(model.state_dict().values()), X, history.loss

    random.seed(1337)
    first = run()
    random.seed(1337)
    assert run() == first
    random.seed(7)
    assert run() != first


@pytest.mark.parametrize("number", ["1e155", "-1e155", "1e308", "-1.7976931348623157e308", "1e101"])
def test_load_csv_refuses_numbers_too_large_to_train_on_naming_the_place(
    tmp_path: Path, number: str
) -> None:
    path = write(tmp_path, f"a,b,label\n1,2,x\n3,{number},y\n")
    with pytest.raises(ValueError, match=r"table.csv, line 3, column 2 \('b'\): .* too large.*rescale"):
        load_csv(path)
    assert load_csv(write(tmp_path, "a,b,label\n1,2,x\n3,-1e100,y\n")).X[1] == [3.0, -1e100]


def test_load_csv_checks_a_million_columns_in_seconds(tmp_path: Path) -> None:
    # Checking the header for a name used twice once compared each name with
    # all before it: 40,000 columns took 11 s, a million hours. A subprocess
    # with a generous limit (it takes about a second now) turns a hang into a failure.
    columns = 1_000_000
    header = ",".join(f"c{i}" for i in range(columns))
    write(tmp_path, f"{header},c0\n" + "1," * columns + "x\n")  # the last name repeats the first
    script = (
        "import sys; from nn.data import load_csv\n"
        "try: load_csv(sys.argv[1])\n"
        "except ValueError as error: print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "table.csv")],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert "two columns 'c0' (columns 1 and 1000001)" in done.stdout, done.stderr


@pytest.mark.parametrize("big", [1e155, 1e308])
def test_standardize_names_a_column_too_large_to_scale(big: float) -> None:
    with pytest.raises(ValueError) as refusal:
        standardize([[1.0, big], [2.0, -big], [3.0, big]])
    assert str(refusal.value) == (
        "column 1 holds numbers too large to standardize (their mean or spread is "
        "beyond the largest float); rescale it, e.g. to other units"
    )


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_load_csv_reads_the_last_row_of_a_file_with_no_final_newline(
    tmp_path: Path, ending: str
) -> None:
    """Editors and scripts often leave the last line unended: its row still counts."""
    lines = ["a,b,kind", "1,2,cat", "3,4,dog", "5,6,cow"]
    path = tmp_path / "table.csv"
    path.write_bytes(ending.join(lines).encode())  # no ending after "5,6,cow"
    X, y, features, classes = load_csv(path)
    assert len(X) == len(y) == 3
    for row, expected_row in zip(X, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]):
        assert row == expected_row
    assert y == [0, 2, 1] and classes == ["cat", "cow", "dog"] and features == ["a", "b"]
    path.write_bytes("a,kind\n7,cat".encode())  # a single row, unended
    assert load_csv(path).X == [[7.0]]


# Each refusal word for word: what the user reads is the file, the line (and
# column), the bad value, and what to do. `t.csv` is written as bytes.
CSV_REFUSALS = [
    (b"\na,label\n1,caf\xe9\n",  # a blank first line still counts as line 1
     "line 3: byte 0xe9 is not UTF-8; the file must be UTF-8 text: re-save it as "
     "'CSV UTF-8' (a spreadsheet such as .xlsx must be exported to CSV first)"),
    (b"\na,label\n1,x\x00\n2,y\x00\n\n\n",  # the first NUL's line
     "line 3: a NUL character, so this is not a text file; re-save it as 'CSV UTF-8'"),
    (b"a,label\n1,1\n2,1.0\n",
     ": the labels '1' and '1.0' are the same number written two ways, so they "
     "would be two classes; write each class the same way"),
    (b"a,b,label\n", " has a header but no rows of data"),
    (b" , \n", " is empty: expected a header line and rows of data"),
    (b"a,b,label\n1,2,x\n3,abc,y\n", "line 3, column 2 ('b'): 'abc' is not a number"),
    (b"a,b,label\n1,2,x\n3,-1e101,y\n",
     "line 3, column 2 ('b'): '-1e101' is too large; load_csv reads numbers up to "
     "1e+100 in size, so that training never overflows: rescale this column (other units)"),
    (b"a,b,label\n1,2,x\n3,4\n",
     "line 3: expected 3 fields like the header, found 2: ['3', '4']"),
    (b'a,b,label\n1,2,"x\n3,4,y\n',
     "line 2: not a valid CSV row (a quote opened here is never closed)"),
    (b'a,b,label\n1,2,"x\n3,4,y\n5,6,z"\n7,8,w\n',
     "line 2: a quote opened here is closed only on line 4, so those lines became "
     "one field; remove the stray quote"),
    (b'a,b,label\n\n1,2,"x"y\n', "line 3: not a valid CSV row (',' expected after '\"')"),
    (b"a,b,label\n1,2, \n", "line 2, column 3 ('label'): the label is empty"),
    (b"5.1,3.5,setosa\n",
     "line 1: the header '5.1, 3.5, setosa' holds numbers, so the file has no header "
     "line; add a first line naming the columns (and rename number names such as "
     "'0' to words such as 'x0')"),
    (b"a,b, a \n1,2,x\n",
     "line 1: the header names two columns 'a' (columns 1 and 3); give each column "
     "its own name"),
    (b"a;b;label\n",
     "line 1: the header 'a;b;label' seems to be separated by semicolons, but "
     "load_csv reads comma-separated files: re-save the file as CSV with commas "
     "(in Excel: 'CSV UTF-8 (Comma delimited)')"),
    (b"a\tb\tlabel\n",
     "line 1: the header 'a\\tb\\tlabel' seems to be separated by tabs, but load_csv "
     "reads comma-separated files: re-save the file as CSV with commas (in Excel: "
     "'CSV UTF-8 (Comma delimited)')"),
    (b"label\nx\n",
     "line 1: the header has a single column 'label'; load_csv needs at least one "
     "feature column besides the label"),
]


@pytest.mark.parametrize("content, message", CSV_REFUSALS)
def test_load_csv_refusals_word_for_word(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError) as refusal:
        load_csv(path)
    separator = "" if message[0] in " :" else ", "
    assert str(refusal.value) == f"{path}{separator}{message}"


@pytest.mark.parametrize(
    "label_column, message",
    [
        ("kind", "line 1: no column named 'kind' in the header; the columns are "
                 "['a', 'b', 'label']"),
        (3, "line 1: label_column=3 is out of range; the header has 3 columns"),
        (-4, "line 1: label_column=-4 is out of range; the header has 3 columns"),
    ],
)  # fmt: skip
def test_load_csv_label_column_refusals_word_for_word(
    tmp_path: Path, label_column: str | int, message: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b,label\n1,2,x\n")
    with pytest.raises(ValueError) as refusal:
        load_csv(path, label_column=label_column)
    assert str(refusal.value) == f"{path}, {message}"


@pytest.mark.parametrize("label_column", [True, 1.0, None])
def test_load_csv_label_column_must_be_a_name_or_a_position(
    tmp_path: Path, label_column: object
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b,label\n1,2,x\n")
    with pytest.raises(TypeError) as refusal:
        load_csv(path, label_column=label_column)  # type: ignore[arg-type]
    assert str(refusal.value) == (
        "label_column must be a column name or a position, "
        f"not {type(label_column).__name__} {label_column!r}"
    )


@pytest.mark.parametrize("label_column, index", [(-3, 0), (-1, 2), (0, 0), (2, 2), ("b", 1)])
def test_load_csv_label_column_at_the_edges_of_the_header(
    tmp_path: Path, label_column: str | int, index: int
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a, b ,c\n1,2,3\n4,5,6\n")
    dataset = load_csv(path, label_column=label_column)
    rows = [["1", "2", "3"], ["4", "5", "6"]]
    assert dataset.X == [[float(v) for i, v in enumerate(row) if i != index] for row in rows]
    assert dataset.class_names == [row[index] for row in rows] and dataset.y == [0, 1]
    assert dataset.feature_names == [n for i, n in enumerate(["a", " b ", "c"]) if i != index]


def test_load_csv_skips_blank_lines_anywhere_and_counts_them_in_line_numbers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\n,\na,label\n1,x\n\n , \n2,y\n\n3,z\n\n")
    dataset = load_csv(path)
    assert dataset.X == [[1.0], [2.0], [3.0]] and dataset.y == [0, 1, 2]
    path.write_bytes(b"\na,label\n1,x\n\n2,y\n\nthree,z\n")
    with pytest.raises(ValueError, match=r"t.csv, line 7, column 1 \('a'\): 'three' is not"):
        load_csv(path)


# ---------------------------------------------------------------------- generators, in detail


def close_rows(rows: list[list[float]], expected: list[list[float]]) -> bool:
    """The same points (in any order), to rounding error."""
    def key(row: list[float]) -> tuple[float, ...]:
        return tuple(round(x, 9) + 0.0 for x in row)  # + 0.0: -0.0 and 0.0 sort alike

    return sorted(map(key, rows)) == sorted(map(key, expected))


def of_class(X: list[list[float]], y: list[int], label: int) -> list[list[float]]:
    return [row for row, k in zip(X, y) if k == label]


@pytest.mark.parametrize(
    "generator, defaults",
    [
        (moons, {"n": 100, "noise": 0.1, "seed": 0}),
        (circles, {"n": 100, "noise": 0.05, "factor": 0.5, "seed": 0}),
        (spiral, {"n": 150, "classes": 3, "noise": 0.2, "seed": 0}),
        (xor, {"n": 100, "noise": 0.0, "seed": 0}),
        (blobs, {"n": 100, "centers": 3, "spread": 0.5, "seed": 0}),
    ],
    ids=["moons", "circles", "spiral", "xor", "blobs"],
)
def test_generators_defaults_are_the_documented_ones(generator, defaults) -> None:
    assert generator() == generator(**defaults)


def test_moons_without_noise_run_evenly_from_end_to_end() -> None:
    X, y = moons(n=10, noise=0.0, seed=0)
    t = [math.pi * i / 4 for i in range(5)]  # 5 points a moon, t from 0 to pi
    assert close_rows(of_class(X, y, 0), [[math.cos(a), math.sin(a)] for a in t])
    assert close_rows(of_class(X, y, 1), [[1 - math.cos(a), 0.5 - math.sin(a)] for a in t])


def test_circles_without_noise_are_evenly_spaced() -> None:
    X, y = circles(n=8, noise=0.0, factor=0.5, seed=0)
    quarter = [[math.cos(a), math.sin(a)] for a in (0.0, math.pi / 2, math.pi, 1.5 * math.pi)]
    assert close_rows(of_class(X, y, 0), quarter)
    assert close_rows(of_class(X, y, 1), [[0.5 * x1, 0.5 * x2] for x1, x2 in quarter])


def test_spiral_arms_without_noise_start_at_the_centre_and_end_on_the_unit_circle() -> None:
    X, y = spiral(n=9, classes=3, noise=0.0, seed=0)
    for k in range(3):
        arm = []
        for r in (0.0, 0.5, 1.0):  # radius i / (count - 1)
            angle = 4.0 * r + 2.0 * math.pi * k / 3
            arm.append([r * math.sin(angle), r * math.cos(angle)])
        assert close_rows(of_class(X, y, k), arm)


def test_xor_points_fill_the_square_from_corner_to_corner() -> None:
    X, _ = xor(n=2000, noise=0.0, seed=0)
    for j in (0, 1):
        column = [row[j] for row in X]
        assert -1.0 <= min(column) < -0.99 and 0.99 < max(column) <= 1.0


def test_blobs_without_spread_sit_on_their_centres_around_a_circle_of_radius_2() -> None:
    X, y = blobs(n=8, centers=4, spread=0.0, seed=0)
    for k, centre in enumerate([[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0], [0.0, -2.0]]):
        assert close_rows(of_class(X, y, k), [centre, centre])


def noise_of(residuals: list[float]) -> tuple[float, float]:
    """Mean and standard deviation."""
    mean = sum(residuals) / len(residuals)
    return mean, math.sqrt(sum((r - mean) ** 2 for r in residuals) / len(residuals))


def test_the_noise_is_centred_with_the_standard_deviation_asked_for() -> None:
    """4000 points: the sample mean is within 0.01 of 0 and the deviation
    within 10% of sigma (both are several standard errors away)."""
    sigma, n = 0.1, 4000

    def check(residuals: list[float]) -> None:
        mean, deviation = noise_of(residuals)
        assert abs(mean) < 0.01 and abs(deviation - sigma) < 0.1 * sigma, (mean, deviation)

    X, y = blobs(n=n, centers=[(3.0, -1.0), (-2.0, 5.0)], spread=sigma, seed=0)
    for j in (0, 1):
        check([row[j] - (3.0, -1.0)[j] for row in of_class(X, y, 0)])
        check([row[j] - (-2.0, 5.0)[j] for row in of_class(X, y, 1)])
    X, y = circles(n=n, noise=sigma, factor=0.5, seed=0)
    # the distance to the circle: about the noise along the radius
    check([math.hypot(*row) - 1.0 for row in of_class(X, y, 0)])
    X, y = moons(n=n, noise=sigma, seed=0)
    check([math.hypot(*row) - 1.0 for row in of_class(X, y, 0)])
    check([math.hypot(row[0] - 1.0, row[1] - 0.5) - 1.0 for row in of_class(X, y, 1)])
    X, y = spiral(n=n, classes=2, noise=sigma, seed=0)  # noise on the angle only
    for k in (0, 1):
        residuals = []
        for x1, x2 in of_class(X, y, k):
            r = math.hypot(x1, x2)
            if r > 0.1:  # the angle of a point near the centre is too coarse
                turn = math.atan2(x1, x2) - (4.0 * r + math.pi * k)
                residuals.append(math.remainder(turn, 2.0 * math.pi))
        check(residuals)
    X, y = xor(n=n, noise=sigma, seed=0)
    for j in (0, 1):
        column = [row[j] for row in X]
        assert abs(sum(column) / n) < 0.05  # centred on the square
        assert -1.0 - 5 * sigma < min(column) and max(column) < 1.0 + 5 * sigma


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: moons(n=1), ValueError, "n must be a whole number >= 2, not 1"),
        (lambda: moons(noise=-1), ValueError, "noise must be a finite number >= 0, not -1"),
        (lambda: circles(n=1), ValueError, "n must be a whole number >= 2, not 1"),
        (lambda: circles(noise=-0.5), ValueError, "noise must be a finite number >= 0, not -0.5"),
        (lambda: circles(factor=1.0), ValueError,
         "factor must be a finite number > 0 and < 1, not 1.0; the inner circle's radius"),
        (lambda: circles(factor=0.0), ValueError,
         "factor must be a finite number > 0 and < 1, not 0.0; the inner circle's radius"),
        (lambda: spiral(noise=-1), ValueError, "noise must be a finite number >= 0, not -1"),
        (lambda: spiral(n=2, classes=3), ValueError, "n must be a whole number >= 3, not 2"),
        (lambda: xor(n=1), ValueError, "n must be a whole number >= 2, not 1"),
        (lambda: xor(noise=-1), ValueError, "noise must be a finite number >= 0, not -1"),
        (lambda: blobs(spread=-1), ValueError, "spread must be a finite number >= 0, not -1"),
        (lambda: blobs(centers=1), ValueError, "centers must be a whole number >= 2, not 1"),
        (lambda: blobs(n=2, centers=3), ValueError, "n must be a whole number >= 3, not 2"),
        (lambda: blobs(n=2, centers=[(0, 0), (1, 1), (2, 2)]), ValueError,
         "n must be a whole number >= 3, not 2"),
        (lambda: blobs(centers=[("a", 1), (2, 2)]), ValueError,
         "each centre must be a pair of numbers (x1, x2), not ('a', 1)"),
        (lambda: blobs(centers=[(True, 1), (2, 2)]), ValueError,
         "each centre must be a pair of numbers (x1, x2), not (True, 1)"),
        (lambda: blobs(centers="ab"), TypeError,
         "centers must be a number of classes or a list of (x1, x2) centres, not str 'ab'"),
        (lambda: train_test_split([[1.0]] * 4, [0] * 4, test_fraction=1.0), ValueError,
         "test_fraction must be a finite number > 0 and < 1, not 1.0; e.g. 0.25 for a quarter"),
        (lambda: standardize([]), ValueError, "standardize needs at least one row, got an empty X"),
    ],
)  # fmt: skip
def test_generator_and_split_refusals_word_for_word(call, error, message) -> None:
    with pytest.raises(error) as refusal:
        call()
    assert str(refusal.value) == message


def test_train_test_split_defaults_and_its_smallest_sets() -> None:
    X = [[float(i)] for i in range(8)]
    y = [0, 1] * 4
    assert train_test_split(X, y) == train_test_split(X, y, test_fraction=0.25, seed=0)
    X_train, X_test, _, _ = train_test_split([[1.0], [2.0]], [0, 1])  # the fewest rows
    assert sorted(X_train + X_test) == [[1.0], [2.0]] and len(X_test) == 1
    X_train, X_test, _, _ = train_test_split(X[:3], y[:3], test_fraction=0.99)
    assert (len(X_train), len(X_test)) == (1, 2)  # one row is always left for training
    X_train, X_test, _, _ = train_test_split(X[:3], y[:3], test_fraction=0.01)
    assert (len(X_train), len(X_test)) == (2, 1)  # and one is always held out


def test_two_points_a_class_sit_at_both_ends() -> None:
    """The smallest classes: a moon's two points at t = 0 and pi, a spiral arm's
    at radius 0 and 1."""
    X, y = moons(n=4, noise=0.0, seed=0)
    assert close_rows(of_class(X, y, 0), [[1.0, 0.0], [-1.0, 0.0]])
    assert close_rows(of_class(X, y, 1), [[0.0, 0.5], [2.0, 0.5]])
    X, y = spiral(n=4, classes=2, noise=0.0, seed=0)
    assert close_rows(of_class(X, y, 0), [[0.0, 0.0], [math.sin(4.0), math.cos(4.0)]])
