"""Small data sets to train on: toy generators, splitting, scaling, CSV files.

Everything here is pure Python: a data set is a pair `(X, y)` of plain lists.

- `X` is a list of rows; each row is a list of floats (two of them for the
  toy generators, so that you can plot the points).
- `y` is a list of labels, one per row.

**The label convention.** Every generator returns *class indices*:
`0, 1, ..., classes - 1`. That is what cross-entropy (`"bce"` for two
classes, `"cross_entropy"` for more) expects, and what the plots colour by.
The classic hinge-loss demo wants the labels `-1` and `+1` instead; one call
converts them:

>>> X, y = moons(n=6, seed=0)
>>> y
[1, 1, 1, 0, 0, 0]
>>> signed_labels(y)
[1, 1, 1, -1, -1, -1]

Every generator is seeded: the same `seed` (an int, or your own
`random.Random`) gives the same points on every run and every machine.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import random
from dataclasses import dataclass
from importlib import resources
from os import PathLike
from typing import Iterator, NamedTuple, Sequence

from engine.files import read_file
from nn.checks import check_count, check_number, check_one_label_per_row, shown
from nn.randomness import Seed, random_source

Rows = list[list[float]]


# ---------------------------------------------------------------------- helpers


def _split_evenly(n: int, classes: int) -> list[int]:
    """How many of n points go to each class: as even as possible, the first classes first."""
    return [n // classes + (1 if k < n % classes else 0) for k in range(classes)]


def _shuffled(rng: random.Random, points: Rows, labels: list[int]) -> tuple[Rows, list[int]]:
    """Shuffle points and labels together, so that classes are mixed in the list."""
    order = list(range(len(points)))
    rng.shuffle(order)
    return [points[i] for i in order], [labels[i] for i in order]


# ---------------------------------------------------------------------- generators


def moons(n: int = 100, noise: float = 0.1, seed: Seed = 0) -> tuple[Rows, list[int]]:
    """Two interleaving half circles ("moons"): the classic 2-D toy problem.

    Class 0 is the upper moon, (cos t, sin t) for t in [0, pi]; class 1 is
    the lower one, (1 - cos t, 0.5 - sin t). Each point then gets Gaussian
    `noise` (its standard deviation) added to both coordinates.

    Labels are 0 and 1; use `signed_labels(y)` for the hinge loss's -1/+1.

    >>> X, y = moons(n=100, noise=0.1, seed=0)
    >>> len(X), len(X[0]), sorted(set(y))
    (100, 2, [0, 1])
    >>> X == moons(n=100, noise=0.1, seed=0)[0]
    True
    """
    check_count("n", n, 2)
    noise = check_number("noise", noise, at_least=0.0)
    rng = random_source(seed)
    points: Rows = []
    labels: list[int] = []
    for label, count in enumerate(_split_evenly(n, 2)):
        for i in range(count):
            t = math.pi * i / max(count - 1, 1)
            if label == 0:
                x1, x2 = math.cos(t), math.sin(t)
            else:
                x1, x2 = 1.0 - math.cos(t), 0.5 - math.sin(t)
            points.append([x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)])
            labels.append(label)
    return _shuffled(rng, points, labels)


def circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0
) -> tuple[Rows, list[int]]:
    """A circle inside a circle: no straight line separates them.

    Class 0 lies on the unit circle, class 1 on a circle of radius `factor`
    (between 0 and 1). Gaussian `noise` is added to both coordinates.

    >>> X, y = circles(n=50, seed=1)
    >>> len(X), sorted(set(y))
    (50, [0, 1])
    """
    check_count("n", n, 2)
    noise = check_number("noise", noise, at_least=0.0)
    factor = check_number("factor", factor, above=0.0, below=1.0, hint="the inner circle's radius")
    rng = random_source(seed)
    points: Rows = []
    labels: list[int] = []
    for label, count in enumerate(_split_evenly(n, 2)):
        radius = 1.0 if label == 0 else factor
        for i in range(count):
            t = 2.0 * math.pi * i / count
            points.append(
                [
                    radius * math.cos(t) + rng.gauss(0.0, noise),
                    radius * math.sin(t) + rng.gauss(0.0, noise),
                ]
            )
            labels.append(label)
    return _shuffled(rng, points, labels)


def spiral(
    n: int = 150, classes: int = 3, noise: float = 0.2, seed: Seed = 0
) -> tuple[Rows, list[int]]:
    """Arms of a spiral, one per class: a multi-class problem for cross-entropy.

    Point i of the `count` points of class k sits at radius
    r = i / (count - 1), from 0 to 1, and angle 4 * r + 2 * pi * k / classes,
    plus Gaussian `noise` on the angle.
    The `n` points are shared among the classes as evenly as possible.

    >>> X, y = spiral(n=90, classes=3, seed=0)
    >>> len(X), sorted(set(y)), y.count(2)
    (90, [0, 1, 2], 30)
    """
    classes = check_count("classes", classes, 2)
    check_count("n", n, classes)
    noise = check_number("noise", noise, at_least=0.0)
    rng = random_source(seed)
    points: Rows = []
    labels: list[int] = []
    for label, count in enumerate(_split_evenly(n, classes)):
        for i in range(count):
            radius = i / max(count - 1, 1)
            angle = 4.0 * radius + 2.0 * math.pi * label / classes + rng.gauss(0.0, noise)
            points.append([radius * math.sin(angle), radius * math.cos(angle)])
            labels.append(label)
    return _shuffled(rng, points, labels)


def xor(n: int = 100, noise: float = 0.0, seed: Seed = 0) -> tuple[Rows, list[int]]:
    """The XOR problem: the label is 1 when the two coordinates have different signs.

    Points are uniform in the square [-1, 1] x [-1, 1]; the label is computed
    from the clean point, then Gaussian `noise` moves it (so with noise, a few
    points sit on the wrong side of an axis). A single neuron cannot learn
    this; one hidden layer can.

    >>> X, y = xor(n=4, seed=3)
    >>> all(label == int((x1 > 0) != (x2 > 0)) for (x1, x2), label in zip(X, y))
    True
    """
    check_count("n", n, 2)
    noise = check_number("noise", noise, at_least=0.0)
    rng = random_source(seed)
    points: Rows = []
    labels: list[int] = []
    for _ in range(n):
        x1, x2 = rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
        labels.append(int((x1 > 0.0) != (x2 > 0.0)))
        points.append([x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)])
    return points, labels


def blobs(
    n: int = 100,
    centers: int | Sequence[Sequence[float]] = 3,
    spread: float = 0.5,
    seed: Seed = 0,
) -> tuple[Rows, list[int]]:
    """Gaussian blobs around centres, one class per centre.

    `centers` is either a number of classes (the centres are then spaced
    evenly on a circle of radius 2 around the origin) or a list of (x1, x2)
    centres. `spread` is the standard deviation of each blob.

    >>> X, y = blobs(n=30, centers=[(0, 0), (5, 5)], spread=0.1, seed=0)
    >>> sorted(set(y)), y.count(0), y.count(1)
    ([0, 1], 15, 15)
    """
    spread = check_number("spread", spread, at_least=0.0)
    if isinstance(centers, int) and not isinstance(centers, bool):
        count = check_count("centers", centers, 2)
        centre_points = [
            (2.0 * math.cos(2.0 * math.pi * k / count), 2.0 * math.sin(2.0 * math.pi * k / count))
            for k in range(count)
        ]
    elif isinstance(centers, Sequence) and not isinstance(centers, str):
        centre_points = []
        for centre in centers:
            if (
                not isinstance(centre, Sequence)
                or len(centre) != 2
                or not all(
                    isinstance(c, numbers.Real) and not isinstance(c, bool) for c in centre
                )
            ):
                raise ValueError(
                    f"each centre must be a pair of numbers (x1, x2), not {centre!r}"
                )
            centre_points.append((float(centre[0]), float(centre[1])))
        if len(centre_points) < 2:
            raise ValueError(f"blobs needs at least 2 centres, got {len(centre_points)}")
    else:
        raise TypeError(
            "centers must be a number of classes or a list of (x1, x2) centres, "
            f"not {type(centers).__name__} {centers!r}"
        )
    check_count("n", n, len(centre_points))
    rng = random_source(seed)
    points: Rows = []
    labels: list[int] = []
    for label, count in enumerate(_split_evenly(n, len(centre_points))):
        c1, c2 = centre_points[label]
        for _ in range(count):
            points.append([c1 + rng.gauss(0.0, spread), c2 + rng.gauss(0.0, spread)])
            labels.append(label)
    return _shuffled(rng, points, labels)


def signed_labels(y: Sequence[int]) -> list[int]:
    """Turn 0/1 class labels into the -1/+1 labels of the hinge loss (0 -> -1, 1 -> +1).

    >>> signed_labels([0, 1, 1])
    [-1, 1, 1]
    """
    signed = []
    for i, label in enumerate(y):
        if label not in (0, 1) or isinstance(label, bool):
            raise ValueError(
                f"y[{i}] = {label!r}: signed_labels converts two classes, 0 and 1, to -1 and +1"
            )
        signed.append(2 * int(label) - 1)
    return signed


# ---------------------------------------------------------------------- preparing data


def train_test_split(
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    test_fraction: float = 0.25,
    seed: Seed = 0,
) -> tuple[Rows, Rows, list[int], list[int]]:
    """Shuffle the rows and hold out a fraction for testing.

    Returns `X_train, X_test, y_train, y_test` (in that order, as in
    scikit-learn). The test set has round(len(X) * test_fraction) rows, but
    at least one, and at least one row is left for training.

    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     [[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1], test_fraction=0.25, seed=0)
    >>> len(X_train), len(X_test)
    (3, 1)
    """
    check_one_label_per_row(X, y)
    hint = "e.g. 0.25 for a quarter"
    check_number("test_fraction", test_fraction, above=0.0, below=1.0, hint=hint)
    if len(X) < 2:
        raise ValueError(f"cannot split {len(X)} row(s): a split needs at least 2 rows")
    order = list(range(len(X)))
    random_source(seed).shuffle(order)
    test_size = min(max(round(len(X) * test_fraction), 1), len(X) - 1)
    test, train = order[:test_size], order[test_size:]
    return (
        [list(X[i]) for i in train],
        [list(X[i]) for i in test],
        [y[i] for i in train],
        [y[i] for i in test],
    )


@dataclass(frozen=True)
class Standardization:
    """The per-column `means` and `stds` that `standardize` found, to reuse on new data."""

    means: tuple[float, ...]
    stds: tuple[float, ...]

    def apply(self, X: Sequence[Sequence[float]]) -> Rows:
        """Scale rows with these means and stds: (x - mean) / std, column by column.

        Use it on test data with the numbers found on the training data.
        """
        scaled = []
        for i, row in enumerate(X):
            if len(row) != len(self.means):
                raise ValueError(
                    f"row {i} has {len(row)} columns, but the standardization was "
                    f"fitted on {len(self.means)}"
                )
            scaled.append([(x - m) / s for x, m, s in zip(row, self.means, self.stds)])
        return scaled


def standardize(X: Sequence[Sequence[float]]) -> tuple[Rows, Standardization]:
    """Scale each column to mean 0 and standard deviation 1.

    Returns the scaled rows and a `Standardization` holding the means and
    standard deviations (population std, dividing by n), whose `apply()`
    scales test data the same way. A constant column keeps std 1 (it is
    only shifted), so nothing divides by zero.

    >>> scaled, scaling = standardize([[1.0, 5.0], [3.0, 5.0]])
    >>> scaled
    [[-1.0, 0.0], [1.0, 0.0]]
    >>> scaling.means, scaling.stds
    ((2.0, 5.0), (1.0, 1.0))
    >>> scaling.apply([[4.0, 6.0]])
    [[2.0, 1.0]]
    """
    if len(X) == 0:
        raise ValueError("standardize needs at least one row, got an empty X")
    width = len(X[0])
    for i, row in enumerate(X):
        if len(row) != width:
            raise ValueError(f"row {i} has {len(row)} columns, but row 0 has {width}")
    n = len(X)
    means = tuple(sum(row[j] for row in X) / n for j in range(width))
    stds = []
    for j in range(width):
        try:
            variance = sum((row[j] - means[j]) ** 2 for row in X) / n
        except OverflowError:  # a square beyond the largest float (1.8e308)
            variance = math.inf
        if not math.isfinite(means[j] + variance):
            raise ValueError(
                f"column {j} holds numbers too large to standardize (their mean or "
                "spread is beyond the largest float); rescale it, e.g. to other units"
            )
        std = math.sqrt(variance)
        stds.append(std if std > 0.0 else 1.0)
    scaling = Standardization(means, tuple(stds))
    return scaling.apply(X), scaling


# ---------------------------------------------------------------------- CSV files


class Dataset(NamedTuple):
    """A table read from a CSV file: rows, labels, and the names of both.

    `y[i]` is an index into `class_names`. The class names are sorted, so the
    mapping is the same however the file is ordered: by value when every name
    is a number ("0", "1", "2", "10"), alphabetically otherwise.
    Unpack it like a tuple: `X, y, feature_names, class_names = load_iris()`.
    """

    X: Rows
    y: list[int]
    feature_names: list[str]
    class_names: list[str]


# The largest CSV file `load_csv` reads: 32 MiB, a million rows of a few
# numbers, far more than a scalar engine trains on in a lesson.
MAX_CSV_BYTES = 32 * 1024 * 1024

# The largest size of a number `load_csv` reads. Floats reach 1.8e308, but
# the square of 1e155 is already too large for one (standardize() and the
# losses square numbers), so a table of such numbers could not be trained on.
MAX_CSV_NUMBER = 1e100


def load_csv(path: str | PathLike[str], label_column: str | int = -1) -> Dataset:
    """Read a CSV file with a header line: number columns are features, one column the label.

    The file must be UTF-8 text with commas between the fields (Excel's
    "CSV UTF-8" format; its byte-order mark is fine) and at most
    `MAX_CSV_BYTES` long. `label_column` is the label's name in the header,
    or its position (0 for the first column, -1 for the last). Every other
    column must hold numbers. Labels are class names; they become the ints
    0, 1, ... in sorted order of the names: by value if every name is a
    number ("2" before "10"), else alphabetically.

    A file that is not such a table raises one ValueError naming the file
    and the line, e.g. `iris.csv, line 7, column 2 ('sepal_width'): 'abc'
    is not a number` (a number larger than `MAX_CSV_NUMBER` in size too). That includes files a spreadsheet would read as
    something else than the author meant: a quote that is never closed (it
    would swallow the lines after it), rows longer or shorter than the
    header, an empty label, a first line of numbers (a missing header), a
    column name used twice. A missing file, a folder or a FIFO raise the
    OSErrors of `engine.files.read_file`, naming the file.
    """
    content = read_file(path, MAX_CSV_BYTES, what="a CSV file for load_csv")
    return _parse_csv(_decode(content, str(path)), str(path), label_column)


def load_iris() -> Dataset:
    """Fisher's iris flowers: 150 rows, 4 measurements in cm, 3 species (50 each).

    The file ships inside the package (`nn/data/iris.csv`), so this works
    after `pip install` too. Classes: 0 setosa, 1 versicolor, 2 virginica.

    >>> X, y, features, classes = load_iris()
    >>> len(X), features[0], classes
    (150, 'sepal_length', ['setosa', 'versicolor', 'virginica'])
    """
    text = resources.files("nn").joinpath("data", "iris.csv").read_text(encoding="utf-8")
    return _parse_csv(text, "iris.csv", "species")


def _decode(content: bytes, source: str) -> str:
    """The text of a file's bytes: UTF-8, with or without the byte-order mark Excel writes."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        raise ValueError(
            f"{source}, line {line}: byte {content[error.start]:#04x} is not UTF-8; "
            "the file must be UTF-8 text: re-save it as 'CSV UTF-8' "
            "(a spreadsheet such as .xlsx must be exported to CSV first)"
        ) from None
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise ValueError(
            f"{source}, line {line}: a NUL character, so this is not a text file; "
            "re-save it as 'CSV UTF-8'"
        )
    return text


def _rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """Each row of the CSV text with the number of the line it is on.

    strict=True makes the csv module refuse `"ab"c` and a quote still open
    at the end of the file; a field that runs over several lines (a quote
    opened and closed lines later) is refused here, because in a table of
    numbers and class names it means a quote swallowed whole lines.
    """
    # newline=None: "\r\n" and an old Mac's "\r" end lines too.
    reader = csv.reader(io.StringIO(text, newline=None), strict=True)
    line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problem = str(error)
            if problem == "unexpected end of data":
                problem = "a quote opened here is never closed"
            raise ValueError(f"{source}, line {line}: not a valid CSV row ({problem})") from None
        if any("\n" in field for field in fields):
            raise ValueError(
                f"{source}, line {line}: a quote opened here is closed only on line "
                f"{reader.line_num}, so those lines became one field; remove the stray quote"
            )
        yield line, fields
        line = reader.line_num + 1


def _parse_csv(text: str, source: str, label_column: str | int) -> Dataset:
    """The body of `load_csv`: `source` is the file name that errors mention."""
    rows = _rows(text, source)
    header: list[str] = []
    line = 0
    for line, header in rows:
        if not _blank(header):  # skip blank lines before the header
            break
    if _blank(header):
        raise ValueError(f"{source} is empty: expected a header line and rows of data")
    where = f"{source}, line {line}"
    _check_header(header, where)
    width = len(header)
    label_index = _label_index(header, label_column, where)
    if all(_finite_number(name) is not None for i, name in enumerate(header) if i != label_index):
        raise ValueError(
            f"{where}: the header {shown(', '.join(header))} holds numbers, so the file has "
            "no header line; add a first line naming the columns (and rename number "
            "names such as '0' to words such as 'x0')"
        )

    X: Rows = []
    names: list[str] = []
    for line, fields in rows:
        if _blank(fields):
            continue
        if len(fields) != width:
            raise ValueError(
                f"{source}, line {line}: expected {width} fields like the header, "
                f"found {len(fields)}: {shown(fields)}"
            )
        row = []
        for column, field in enumerate(fields):
            if column == label_index:
                continue
            number = _finite_number(field)
            if number is None or abs(number) > MAX_CSV_NUMBER:
                where = f"{source}, line {line}, column {column + 1} ({shown(header[column])})"
                if number is None:
                    raise ValueError(f"{where}: {shown(field)} is not a number")
                raise ValueError(
                    f"{where}: {shown(field)} is too large; load_csv reads numbers up to "
                    f"{MAX_CSV_NUMBER:g} in size, so that training never overflows: "
                    "rescale this column (other units)"
                )
            row.append(number)
        label = fields[label_index].strip()
        if not label:
            raise ValueError(
                f"{source}, line {line}, column {label_index + 1} "
                f"({shown(header[label_index])}): the label is empty"
            )
        X.append(row)
        names.append(label)
    if not X:
        raise ValueError(f"{source} has a header but no rows of data")
    class_names = _class_order(set(names), source)
    index = {name: i for i, name in enumerate(class_names)}
    feature_names = [name for column, name in enumerate(header) if column != label_index]
    return Dataset(X, [index[name] for name in names], feature_names, class_names)


def _check_header(header: list[str], where: str) -> None:
    """Refuse a header with a column name used twice, or with one column only
    (the file has no features, or is not separated by commas)."""
    first_column: dict[str, int] = {}  # each name's first column: one pass, not one per name
    for column, name in enumerate(name.strip() for name in header):
        if name and name in first_column:
            raise ValueError(
                f"{where}: the header names two columns {shown(name)} (columns "
                f"{first_column[name] + 1} and {column + 1}); give each column its own name"
            )
        first_column.setdefault(name, column)
    if len(header) > 1:
        return
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        if separator in header[0]:
            raise ValueError(
                f"{where}: the header {shown(header[0])} seems to be separated by {name}, "
                "but load_csv reads comma-separated files: re-save the file as CSV "
                "with commas (in Excel: 'CSV UTF-8 (Comma delimited)')"
            )
    raise ValueError(
        f"{where}: the header has a single column {shown(header[0])}; load_csv needs "
        "at least one feature column besides the label"
    )


def _finite_number(text: str) -> float | None:
    """The number written in `text`, or None if it is not a finite number.

    Python's float() reads "1_000" as 1000; in a CSV file it is no number
    (a spreadsheet would not read it either), so it is refused here.
    """
    if "_" in text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _blank(fields: list[str]) -> bool:
    """True for a line with nothing but spaces and commas (skipped)."""
    return all(not field.strip() for field in fields)


def _class_order(names: set[str], source: str) -> list[str]:
    """Class names in label order: by value if all are numbers, else alphabetically.

    >>> _class_order({"10", "2", "0", "1"}, "data.csv")
    ['0', '1', '2', '10']
    >>> _class_order({"dog", "cat", "10", "2"}, "data.csv")
    ['10', '2', 'cat', 'dog']
    """
    alphabetical = sorted(names)
    if not all(_finite_number(name) is not None for name in names):
        return alphabetical
    by_value: dict[float, str] = {}
    for name in alphabetical:
        same = by_value.setdefault(float(name), name)
        if same != name:
            raise ValueError(
                f"{source}: the labels {shown(same)} and {shown(name)} are the same number written "
                "two ways, so they would be two classes; write each class the same way"
            )
    return sorted(alphabetical, key=float)


def _label_index(header: list[str], label_column: str | int, where: str) -> int:
    """The position of the label column in the header; `where` names the file and line."""
    if isinstance(label_column, str):
        names = [name.strip() for name in header]
        if label_column not in names:
            raise ValueError(
                f"{where}: no column named {label_column!r} in the header; "
                f"the columns are {shown(names)}"
            )
        return names.index(label_column)
    if isinstance(label_column, bool) or not isinstance(label_column, int):
        raise TypeError(
            "label_column must be a column name or a position, "
            f"not {type(label_column).__name__} {label_column!r}"
        )
    if not -len(header) <= label_column < len(header):
        raise ValueError(
            f"{where}: label_column={label_column} is out of range; "
            f"the header has {len(header)} columns"
        )
    return label_column % len(header)
