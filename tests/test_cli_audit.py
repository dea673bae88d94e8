"""What a new user's audit of the CLI found (session 9), each pinned on real data.

Every test here failed before its fix: tables cut to "-443.26…" in a pipe, a calendar gap
joined silently, a silent Ctrl-C, a folder reported as a missing file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from cli_runner import invoke

TINY = ("--epochs", "2", "--hidden", "8", "--layers", "1", "--batch-size", "128")


def _airline_rows(sample_data: Path) -> list[list[str]]:
    with (sample_data / "sktime_airline.csv").open(newline="") as f:
        return list(csv.reader(f))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def test_piped_tables_never_cut_numbers_or_dates(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path, tmp_path: Path
) -> None:
    """Airline negated: seven 10-character columns overflow a pipe's 80 columns, and rich cut
    every cell to "1961-01…" / "-443.26…" before; the table now keeps them whole."""
    header, *rows = _airline_rows(sample_data)
    data = _write(tmp_path / "negated.csv", [header] + [[d, f"-{v}"] for d, v in rows])
    code, out, err = invoke(capsys, "train", data, *TINY, "--quiet")
    assert code == 0, err
    code, out, err = invoke(capsys, "predict")
    assert code == 0, err
    assert "…" not in out
    assert "1961-01-01" in out and "1961-12-01" in out
