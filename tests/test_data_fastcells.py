"""The reader's fast lane (forecast/data/fastcells.py) gives exactly what the per-cell path gives.

Every file is read twice: as it is, and with the fast-lane checks forced to say no (the general
per-cell path, which the reader used for every column before issue 15); the series must agree
in every field, and a file the general path refuses must be refused with the same message.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast.data.csv as csv_mod
import forecast.data.frame as frame_mod
from forecast.config import DataSpec
from forecast.data import fastcells
from forecast.data.sources import read_series
from forecast.errors import ForecastError


def _general(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force every fast-lane check to fail: the per-cell path reads every column."""
    monkeypatch.setattr(csv_mod, "clean", lambda cells: False)
    monkeypatch.setattr(frame_mod, "plain_numbers", lambda cells, integers=False: False)
    monkeypatch.setattr(frame_mod, "same_layout", lambda cells: False)


def _read(path: Path, **spec: object) -> tuple[str, object]:
    try:
        series = read_series(DataSpec(path=str(path), **spec))  # type: ignore[arg-type]
    except ForecastError as err:
        return "error", (type(err).__name__, str(err))
    return "series", (series.dates.astype("int64").tolist(), series.dates.dtype.str,
                      np.asarray(series.values).tolist(), series.target, series.features, series.freq,
                      series.name, series.classes, series.notes, str(series.tz))


def _both(path: Path, monkeypatch: pytest.MonkeyPatch, **spec: object) -> tuple[object, object]:
    fast = _read(path, **spec)
    with monkeypatch.context() as m:
        _general(m)
        general = _read(path, **spec)
    return fast, general


def _real_files(sample_data: Path) -> list[Path]:
    shared = sample_data.parent.parent / "shared" / "data"
    files = sorted(sample_data.glob("*.csv"))
    return files + (sorted(shared.glob("*.csv")) if shared.is_dir() else [])


def test_real_files_read_the_same_through_the_fast_lane(sample_data: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    files = _real_files(sample_data)
    assert len(files) >= 6
    for path in files:
        fast, general = _both(path, monkeypatch)
        assert fast == general, path.name
        if "msft" in path.name:  # a clean ISO-dated numeric file: the fast lane applies there
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
            assert fastcells.same_layout(raw["Date"]) and fastcells.plain_numbers(raw["Close"])


CASES = {
    "iso minutes": "date,y\n2020-01-01 00:00,1.5\n2020-01-01 00:01,2\n2020-01-01 00:02,-3.25\n",
    "iso T seconds": "ds,y\n2020-01-01T00:00:00,1\n2020-01-01T00:00:30,2\n2020-01-01T00:01:00,3\n",
    "utc offsets": "date,y\n2020-01-01T00:00+01:00,1\n2020-01-01T01:00+01:00,2\n2020-01-01T02:00+01:00,3\n",
    "day first": "date,y\n13/01/2020,1\n14/01/2020,2\n15/01/2020,3\n",
    "ambiguous day order": "date,y\n01/02/2020,1\n02/02/2020,2\n03/02/2020,3\n",
    "one-digit months": "date,y\n2020-1-5,1\n2020-2-5,2\n2020-3-5,3\n",
    "bare years": "year,y\n1959,1\n1960,2\n1961,3\n",
    "yyyymmdd": "date,y\n20200101,1\n20200102,2\n20200103,3\n",
    "steps": "t,y\n0,1\n1,2\n2,3\n3,4\n",
    "signed steps": "t,y\n-2,1\n-1,2\n+0,3\n",
    "fractional steps": "t,y\n0.5,1\n1.0,2\n1.5,3\n",
    "bad date": "date,y\n2020-01-01,1\n2020-02-31,2\n2020-03-01,3\n",
    "exponent": "date,y\n2020-01-01,1e3\n2020-01-02,2E-1\n2020-01-03,3\n",
    "huge": "date,y\n2020-01-01,1" + "0" * 400 + "\n2020-01-02,2\n2020-01-03,3\n",
    "decimal commas": "date;y\n2020-01-01;1,5\n2020-01-02;2,5\n2020-01-03;3,5\n",
    "semicolon plain": "date;y\n2020-01-01;1.5\n2020-01-02;2.25\n2020-01-03;3\n",
    "grouped": 'date,y\n2020-01-01,"1,234.5"\n2020-01-02,"2,000.25"\n2020-01-03,"3,100.5"\n',
    "padded cells": "date , y\n 2020-01-01 , 1\n2020-01-02,2 \n2020-01-03,\t3\n",
    "blank row": "date,y\n2020-01-01,1\n,\n2020-01-02,2\n2020-01-03,3\n",
    "missing value": "date,y\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n",
    "na text": "date,y\n2020-01-01,1\n2020-01-02,NA\n2020-01-03,3\n",
    "labels": "date,y\n2020-01-01,up\n2020-01-02,down\n2020-01-03,up\n",
    "non-ascii": "date,y\n2020-01-01,1\n2020-01-02,２\n2020-01-03,3\n",
    "unsorted": "date,y\n2020-01-03,3\n2020-01-01,1\n2020-01-02,2\n",
    "repeated": "date,y\n2020-01-01,1\n2020-01-01,2\n2020-01-02,3\n",
    "lone sign": "date,y\n2020-01-01,1\n2020-01-02,-\n2020-01-03,3\n",
    "two dots": "date,y\n2020-01-01,1.2.3\n2020-01-02,2\n2020-01-03,3\n",
    "dot only": "date,y\n2020-01-01,.5\n2020-01-02,5.\n2020-01-03,+.25\n",
    "short row": "date,y,z\n2020-01-01,1,4\n2020-01-02,2\n2020-01-03,3,5\n",
    "symbols": "date,symbol,y\n2020-01-01,A,1\n2020-01-01,B,2\n2020-01-02,A,3\n2020-01-02,B,4\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_odd_cells_read_the_same_or_fail_the_same(name: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / f"{name.replace(' ', '_')}.csv"
    path.write_text(CASES[name], encoding="utf-8")
    spec = {"series": "A"} if name == "symbols" else {}
    fast, general = _both(path, monkeypatch, **spec)
    assert fast == general


@pytest.mark.parametrize("dtype", ["str", object])  # pyarrow-backed buffers, Python strings
def test_the_checks_themselves(dtype: object) -> None:
    def s(values: list[str]) -> pd.Series:
        return pd.Series(values, dtype=dtype)  # type: ignore[call-overload]

    assert fastcells.plain_numbers(s(["1", "-2.5", "+.5", "7."]))
    assert not fastcells.plain_numbers(s(["1", "2.5.1"]))
    assert not fastcells.plain_numbers(s(["1", "1e5"]))  # exponents: the general path decides
    assert not fastcells.plain_numbers(s(["1", "-"]))  # no digit
    assert not fastcells.plain_numbers(s(["1", "2-"]))  # a sign after the first character
    assert not fastcells.plain_numbers(s(["1", ""]))
    assert fastcells.plain_numbers(s(["1", "-20"]), integers=True)
    assert not fastcells.plain_numbers(s(["1", "2.0"]), integers=True)
    assert fastcells.same_layout(s(["2020-01-01 09:30", "2021-12-31 23:59"]))
    assert not fastcells.same_layout(s(["2020-01-01 09:30", "2021-12-31T23:59"]))
    assert not fastcells.same_layout(s(["2020-01-01", "2020-1-01"]))
    assert fastcells.clean(s(["a", "b c"]))
    assert not fastcells.clean(s(["a", " b"])) and not fastcells.clean(s(["a", "b\t"]))
    assert not fastcells.clean(s(["a", ""])) and not fastcells.clean(s(["a", "b\nc"]))
    assert not fastcells.clean(s(["a", "é"]))  # non-ASCII: the general path
    assert not fastcells.clean(s(["a", "b\x00"])) and not fastcells.plain_numbers(s(["1", "2\x00"]))  # NUL


def test_big_files_read_in_row_chunks_give_the_same_series(sample_data: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    cases = [*_real_files(sample_data)[:4]]
    for path in cases:
        whole = _read(path)
        with monkeypatch.context() as m:  # every file "big", parsed 7 rows at a time
            m.setattr(csv_mod, "CHUNK_BYTES", 0)
            m.setattr(csv_mod, "CHUNK_ROWS", 7)
            chunked = _read(path)
        assert chunked == whole, path.name


@pytest.mark.parametrize("name", ["blank row", "short row", "padded cells", "missing value"])
def test_odd_files_read_in_row_chunks_the_same(name: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(CASES[name], encoding="utf-8")
    whole = _read(path)
    monkeypatch.setattr(csv_mod, "CHUNK_BYTES", 0)
    monkeypatch.setattr(csv_mod, "CHUNK_ROWS", 1)
    assert _read(path) == whole


def test_a_header_only_big_file_is_still_refused_as_before(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("date,y\n", encoding="utf-8")
    before = _read(path)
    monkeypatch.setattr(csv_mod, "CHUNK_BYTES", 0)
    assert _read(path) == before and before[0] == "error"
