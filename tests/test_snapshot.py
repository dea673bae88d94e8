"""Parsed-CSV snapshots: the same series as a full read, invalidated by any change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from forecast.config import DataSpec
from forecast.data import snapshot
from forecast.data.csv import read_csv_series
from forecast.data.series import SeriesData
from forecast.data.snapshot import read_with_snapshot, snapshot_path

ROOT = Path(__file__).resolve().parent.parent
SPECS = {
    "pmdarima_msft.csv": {},
    "sktime_airline.csv": {},
    "statsmodels_co2_weekly.csv": {},
    "pmdarima_taylor_halfhourly.csv": {},
    "statsmodels_macrodata.csv": {"target": "realgdp", "features": ("realcons", "cpi")},
    "vega_seattle_weather.csv": {"target": "weather", "features": ("temp_max",)},
}


class CountingReader:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, spec: DataSpec) -> SeriesData:
        self.calls += 1
        return read_csv_series(spec)


def assert_same_series(a: SeriesData, b: SeriesData) -> None:
    assert a.dates.dtype == b.dates.dtype
    np.testing.assert_array_equal(a.dates, b.dates)
    np.testing.assert_array_equal(a.values, b.values)
    for field in ("target", "features", "freq", "source", "name", "classes", "notes", "tz"):
        assert getattr(a, field) == getattr(b, field), field
    assert a.fingerprint() == b.fingerprint()


@pytest.mark.parametrize("name", sorted(SPECS))
def test_snapshot_equals_a_full_read(tmp_path: Path, sample_data: Path, name: str) -> None:
    spec = DataSpec(path=str(sample_data / name), **SPECS[name])  # type: ignore[arg-type]
    reader = CountingReader()
    first = read_with_snapshot(spec, tmp_path, reader)
    second = read_with_snapshot(spec, tmp_path, reader)
    assert reader.calls == 1  # the second came from the snapshot
    assert_same_series(second, read_csv_series(spec))
    assert_same_series(first, second)
    assert not second.values.flags.writeable


def test_any_change_to_the_file_reads_it_again(tmp_path: Path, sample_data: Path) -> None:
    csv = tmp_path / "airline.csv"
    csv.write_bytes((sample_data / "sktime_airline.csv").read_bytes())
    spec, reader = DataSpec(path=str(csv)), CountingReader()
    before = read_with_snapshot(spec, tmp_path / "snaps", reader)
    with csv.open("a") as fh:
        fh.write("1961-01,417\n")
    after = read_with_snapshot(spec, tmp_path / "snaps", reader)
    assert reader.calls == 2 and len(after) == len(before) + 1 and after.y[-1] == 417
    text = csv.read_text().replace("1960-12,432", "1960-12,433")  # same size, one digit
    csv.write_text(text)
    edited = read_with_snapshot(spec, tmp_path / "snaps", reader)
    assert reader.calls == 3 and edited.y[-2] == 433
    assert len(list((tmp_path / "snaps").iterdir())) == 1  # one snapshot per file, overwritten


def test_options_and_reader_code_are_part_of_the_key(
    tmp_path: Path, sample_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(sample_data / "pmdarima_msft.csv")
    reader = CountingReader()
    close = read_with_snapshot(DataSpec(path=path), tmp_path, reader)
    volume = read_with_snapshot(DataSpec(path=path, target="Volume"), tmp_path, reader)
    assert reader.calls == 2 and close.target == "Close" and volume.target == "Volume"
    assert read_with_snapshot(DataSpec(path=path, target="Volume"), tmp_path, reader).target == "Volume"
    assert reader.calls == 2
    monkeypatch.setattr(snapshot, "_reader_digest", "a different reader")
    read_with_snapshot(DataSpec(path=path), tmp_path, reader)
    assert reader.calls == 3


def test_a_damaged_snapshot_is_read_again_and_rewritten(tmp_path: Path, sample_data: Path) -> None:
    spec, reader = DataSpec(path=str(sample_data / "sktime_airline.csv")), CountingReader()
    read_with_snapshot(spec, tmp_path, reader)
    stored = snapshot_path(tmp_path, spec)
    stored.write_bytes(stored.read_bytes()[:100])
    again = read_with_snapshot(spec, tmp_path, reader)
    assert reader.calls == 2 and len(again) == 144
    read_with_snapshot(spec, tmp_path, reader)
    assert reader.calls == 2  # rewritten whole


def test_a_snapshot_that_does_not_fit_its_own_meta_is_ignored(tmp_path: Path, sample_data: Path) -> None:
    spec, reader = DataSpec(path=str(sample_data / "sktime_airline.csv")), CountingReader()
    read_with_snapshot(spec, tmp_path, reader)
    stored = snapshot_path(tmp_path, spec)
    with np.load(stored) as arrays:
        meta = json.loads(bytes(arrays["meta"]).decode())
        dates, values = arrays["dates"], arrays["values"]
    meta["features"] = ["not there"]  # 1 + 1 columns promised, 1 stored
    with stored.open("wb") as fh:
        np.savez(fh, dates=dates, values=values, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    assert len(read_with_snapshot(spec, tmp_path, reader)) == 144 and reader.calls == 2


def test_time_zone_aware_series_are_not_snapshotted(tmp_path: Path, sample_data: Path) -> None:
    """Only Yahoo bars carry a time zone today, but a reader that returns one is never cached."""
    spec = DataSpec(path=str(sample_data / "sktime_airline.csv"))
    calls = []

    def aware_reader(spec: DataSpec) -> SeriesData:
        calls.append(spec)
        plain = read_csv_series(spec)
        return SeriesData.from_frame(plain.frame.tz_localize("Europe/Berlin"), plain.target,
                                     freq=plain.freq, source=plain.source, name=plain.name)

    first = read_with_snapshot(spec, tmp_path / "snaps", aware_reader)
    read_with_snapshot(spec, tmp_path / "snaps", aware_reader)
    assert str(first.tz) == "Europe/Berlin" and first.last_date.utcoffset() is not None
    assert len(calls) == 2 and not (tmp_path / "snaps").exists()


def test_unwritable_snapshot_folder_still_reads(tmp_path: Path, sample_data: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    reader = CountingReader()
    series = read_with_snapshot(DataSpec(path=str(sample_data / "sktime_airline.csv")), blocker, reader)
    assert len(series) == 144 and reader.calls == 1


def _predict_in_fresh_process(home: Path, *extra: str) -> tuple[dict, bool]:
    code = (
        "import sys\nfrom forecast.cli import main\n"
        f"try:\n    main(['predict', '--json', *{list(extra)!r}])\nexcept SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "print('pandas' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "FORECAST_HOME": str(home)}, check=True)
    return json.loads(done.stdout), done.stderr.strip().splitlines()[-1] == "True"


def test_predict_skips_pandas_while_the_csv_is_unchanged(model_home: Path, sample_data: Path, tmp_path: Path) -> None:
    from forecast.cli import main

    csv = tmp_path / "msft.csv"
    csv.write_bytes((sample_data / "pmdarima_msft.csv").read_bytes())
    with pytest.raises(SystemExit) as done:
        main(["train", str(csv), "--epochs", "1", "--hidden", "8", "--layers", "1", "--quiet", "--json"])
    assert not done.value.code
    fast, used_pandas = _predict_in_fresh_process(model_home)
    assert not used_pandas
    for stored in (model_home / "snapshots").iterdir():
        stored.unlink()
    full, used_pandas = _predict_in_fresh_process(model_home)
    assert used_pandas and full == fast  # the same document either way
    with csv.open("a") as fh:
        fh.write("2017-11-13,83.8,84.1,83.5,84.0,20000000,0\n")
    newer, used_pandas = _predict_in_fresh_process(model_home)
    assert used_pandas and newer["last_date"] == "2017-11-13T00:00:00"
    assert newer["forecast"][0]["ds"] == "2017-11-14T00:00:00"


def test_least_recently_used_snapshots_go_beyond_the_limit(
    tmp_path: Path, sample_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "MAX_SNAPSHOTS", 3)
    snaps, source = tmp_path / "snaps", (sample_data / "sktime_airline.csv").read_bytes()
    specs = []
    for day in range(4):  # a daily-dated file each day
        csv = tmp_path / f"airline-{day}.csv"
        csv.write_bytes(source)
        specs.append(DataSpec(path=str(csv)))
    for day in range(3):
        read_with_snapshot(specs[day], snaps, read_csv_series)
        os.utime(snapshot_path(snaps, specs[day]), ns=(day * 10**10, day * 10**10))  # distinct ages
    reader = CountingReader()
    read_with_snapshot(specs[0], snaps, reader)  # day 0's file is used again: now the freshest
    read_with_snapshot(specs[3], snaps, reader)  # a 4th snapshot: the least recently used goes
    assert reader.calls == 1
    assert {p.name for p in snaps.iterdir()} == {snapshot_path(snaps, specs[i]).name for i in (0, 2, 3)}
