"""Numbers in every common spelling are numbers, never class labels (issue 11 section 3).

The hostile files are real MSFT closes (sample_data/pmdarima_msft.csv) rewritten the way
spreadsheets export them: decimal commas with ';', quoted thousands, broken quoting.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_runner import invoke

import forecast.data
from forecast.data.numbers import looks_numeric, plain, spelling

ROWS = 300


def _closes(sample_data: Path) -> list[tuple[str, float]]:
    frame = pd.read_csv(sample_data / "pmdarima_msft.csv").tail(ROWS)
    return list(zip(frame["Date"], frame["Close"]))


def _write(tmp_path: Path, name: str, header: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _hostile(kind: str, sample_data: Path, tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A rewritten copy of the closes and the numbers it means (100x for the thousands)."""
    rows = _closes(sample_data)
    if kind == "decimal_comma":
        lines = [f"{d};{repr(c).replace('.', ',')}" for d, c in rows]
        return _write(tmp_path, "eu.csv", "date;price", lines), np.array([c for _, c in rows])
    if kind == "eu_grouped":  # 5.625,40 with ';'
        lines = [f"{d};{c * 100:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
                 for d, c in rows]
        return _write(tmp_path, "eu2.csv", "date;price", lines), np.array([round(c * 100, 2) for _, c in rows])
    if kind == "quoted_thousands":
        lines = [f'{d},"{c * 100:,.2f}"' for d, c in rows]
        return _write(tmp_path, "thousands.csv", "date,price", lines), np.array([round(c * 100, 2) for _, c in rows])
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["decimal_comma", "eu_grouped", "quoted_thousands"])
def test_spelled_numbers_train_a_regressor(
    kind: str, sample_data: Path, tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, expected = _hostile(kind, sample_data, tmp_path)
    code, out, err = invoke(capsys, "train", path, "--epochs", "1", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["rows"] == ROWS and "classes" not in json.dumps(result["forecast"])
    assert any(note.startswith("column price: read numbers written with") for note in result["notes"])
    from forecast.config import DataSpec
    from forecast.data.csv import read_csv_series

    series = read_csv_series(DataSpec(path=str(path)))
    assert series.classes == ()
    np.testing.assert_allclose(series.y, expected, rtol=1e-12)


def _refused(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    code, out, err = invoke(capsys, "train", path, "--epochs", "1")
    assert code == 4, out + err
    line = err.strip()
    assert "\n" not in line and path.name in line and "column 'price'" in line
    return line


def test_unbalanced_trailing_quotes_are_refused(
    sample_data: Path, tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "quote.csv", "date,price", [f'{d},{c}"' for d, c in _closes(sample_data)])
    assert "stray quote characters at rows 2, 3" in _refused(capsys, path)


def test_unbalanced_opening_quotes_are_refused(
    sample_data: Path, tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "quote2.csv", "date,price", [f'{d},"{c}' for d, c in _closes(sample_data)])
    assert "runs over several lines" in _refused(capsys, path)


def test_ambiguous_comma_is_refused_with_the_fix(
    sample_data: Path, tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # whole numbers with a quoted ',' before three digits: 1,234 could be 1.234 or 1234
    rows = [f'{d},"{int(c * 1000) // 1000},{int(c * 1000) % 1000:03d}"' for d, c in _closes(sample_data)]
    line = _refused(capsys, _write(tmp_path, "ambiguous.csv", "date,price", rows))
    assert "decimal comma or a thousands separator" in line and "1234.5" in line


def test_real_labels_stay_classes(sample_data: Path) -> None:
    from forecast.config import DataSpec
    from forecast.data.csv import read_csv_series

    series = read_csv_series(DataSpec(path=str(sample_data / "vega_seattle_weather.csv"), target="weather"))
    assert len(series.classes) == 5


@pytest.mark.parametrize(
    ("cells", "sep", "numbers"),
    [
        (["1,5", "2,25", "10"], ";", [1.5, 2.25, 10.0]),
        (["1.234,5", "999,0"], ";", [1234.5, 999.0]),
        (["1,234.5", "999.0"], ",", [1234.5, 999.0]),
        (["1,234,567", "12"], ",", [1234567.0, 12.0]),
        (["1.234.567", "1,5"], ";", [1234567.0, 1.5]),
        (["$1,234.50", "-$3.25"], ",", [1234.5, -3.25]),
        (["1 234,5", "2 000,25"], ";", [1234.5, 2000.25]),
        (["101,288", "56,254"], ";", [101.288, 56.254]),
        (["1.12e+306", "-2.5E-3", "7"], ",", [1.12e306, -2.5e-3, 7.0]),
    ],
)
def test_spellings(cells: list[str], sep: str, numbers: list[float]) -> None:
    column = pd.Series(cells, dtype=object)
    assert looks_numeric(column).all()
    how = spelling(column, sep, "f.csv", "price")
    assert pd.to_numeric(plain(column, how)).tolist() == numbers


def test_ambiguous_dot_in_a_semicolon_file_is_refused() -> None:
    with pytest.raises(ValueError, match="'.' could be a decimal point or a thousands separator"):
        spelling(pd.Series(["1.234", "56.254"], dtype=object), ";", "f.csv", "price")
    how = spelling(pd.Series(["1.234", "56.3"], dtype=object), ";", "f.csv", "price")  # 56.3 decides
    assert how.decimal == "."


def test_mixed_decimal_marks_are_refused() -> None:
    with pytest.raises(ValueError, match="both decimal commas and decimal points"):
        spelling(pd.Series(["1,5", "2.25"], dtype=object), ",", "f.csv", "price")


# ---------------------------------------------------------------- RE2 (pyarrow) patterns


def _reader_patterns() -> list[tuple[str, re.Pattern[str]]]:
    found = []
    for info in pkgutil.iter_modules(forecast.data.__path__):
        module = importlib.import_module(f"forecast.data.{info.name}")
        found += [(f"{info.name}.{k}", v) for k, v in vars(module).items() if isinstance(v, re.Pattern)]
    return found


def test_every_reader_pattern_compiles_under_re2() -> None:
    """pandas before 3.1 hands .str regexes on pyarrow-backed strings to pyarrow's RE2 (seen on a
    GPU machine's pandas: '\\u00a0' and a look-behind were internal errors on every spelled
    number); RE2 has neither, so every pattern the readers keep must compile there too."""
    pc = pytest.importorskip("pyarrow.compute")
    import pyarrow as pa

    patterns = _reader_patterns()
    assert {"numbers._SPELLED", "numbers._GROUPS", "frame._OFFSET"} <= {name for name, _ in patterns}
    for name, pattern in patterns:
        try:
            pc.match_substring_regex(pa.array(["1"]), pattern=pattern.pattern)
        except pa.ArrowInvalid as err:
            pytest.fail(f"{name} {pattern.pattern!r} is not RE2: {err}")


def test_offsets_are_cut_alike_by_python_and_re2() -> None:
    pc = pytest.importorskip("pyarrow.compute")
    import pyarrow as pa

    from forecast.data.frame import _OFFSET, _offsets

    cells = ["2020-01-01 10:00+02:00", "2020-01-01T10:00:00Z", "2020-01-01 10:00 -0530", "1959-Q1"]
    offsets, rest = _offsets(pd.Series(cells, dtype="string[pyarrow]"))
    assert list(rest) == ["2020-01-01 10:00", "2020-01-01T10:00:00", "2020-01-01 10:00", "1959-Q1"]
    assert list(offsets) == ["+02:00", "Z", "-0530"]
    by_re2 = pc.replace_substring_regex(pa.array(cells[:3]), pattern=_OFFSET.pattern, replacement=r"\1")
    assert by_re2.to_pylist() == list(rest[:3])
    spaced = pd.Series(["1\u00a0234,5", "1\u202f234,5"], dtype="string[pyarrow]")
    assert looks_numeric(spaced).all()
