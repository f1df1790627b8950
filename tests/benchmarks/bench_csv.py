"""CSV benchmark: how long `load_csv` takes for a header of many columns.

    python tests/benchmarks/bench_csv.py                      # 40k, 200k, 1M columns
    python tests/benchmarks/bench_csv.py --columns 40000

Writes a CSV file with a header of N columns and two rows of data into a
temporary folder, then times `load_csv` on it (time.perf_counter, one run
each, in this process), and the same with a header whose last name repeats
the first (refused: the duplicate is found only at the end). A check that
compared each name with all those before it took 11 s for 40,000 columns;
the target is that a million columns (a 12 MB file, under the 32 MiB limit)
are read or refused in seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from nn.data import load_csv


def time_load(path: Path) -> tuple[float, str]:
    """Seconds `load_csv(path)` took, and what it gave (a shape or the error's start)."""
    start = time.perf_counter()
    try:
        table = load_csv(path)
        outcome = f"read {len(table.X)} rows of {len(table.X[0]):,} features"
    except ValueError as error:
        outcome = f"refused: {str(error)[-60:]}"
    return time.perf_counter() - start, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, nargs="*", default=[40_000, 200_000, 1_000_000])
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for columns in arguments.columns:
            names = [f"c{i}" for i in range(columns)]
            rows = ("1," * columns + "x\n") + ("2," * columns + "y\n")
            for last, kind in (("label", "distinct names"), ("c0", "last name repeated")):
                path = Path(folder) / "table.csv"
                path.write_text(",".join(names) + f",{last}\n" + rows)
                size = path.stat().st_size / 1e6
                seconds, outcome = time_load(path)
                print(f"{columns:>9,} columns ({size:5.1f} MB, {kind}): {seconds:6.2f} s, {outcome}")


if __name__ == "__main__":
    main()
