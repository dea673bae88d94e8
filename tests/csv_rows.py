"""Read a CSV into rows of cells and write rows back: the tests' way to make a broken copy of a real file."""

from __future__ import annotations

import csv
from pathlib import Path


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path
