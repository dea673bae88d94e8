"""Validate and normalise a table of text cells into a SeriesData, whatever read it.

Every source (CSV, Parquet, SQL) hands over the same thing: a DataFrame of stripped
text cells, indexed by the row number to name in messages (a file line for a CSV),
with the delimiter in ``attrs["sep"]`` where there was one. This module finds the date,
symbol, target and feature columns, parses dates in their many spellings and numbers
in theirs, fills gaps and raises the one-line errors that name the source, the column,
the rows and the fix.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from typing import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from forecast.config import DataSpec
from forecast.data.calendar import infer_freq
from forecast.data.dates import STEPS, STEPS_FREQ, day_text, step_dates
from forecast.data.fastcells import plain_numbers, same_layout
from forecast.data.gaps import real_gaps
from forecast.data.jumps import check_splits
from forecast.data.numbers import looks_numeric, plain, spelling
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, DataError, NotFoundError

_DATE_NAMES = ("date", "datetime", "timestamp", "time", "ds", "dt", "period", "month", "week", "year")
_SYMBOL_NAMES = ("symbol", "ticker", "series", "id", "unique_id", "index")
_STEP_NAMES = ("t", "step", "steps", "idx", "n", "index", "time", "seconds", "secs", "sec", "elapsed")
_INTEGER = re.compile(r"^[+-]?\d+$")
_TARGET_DEFAULTS = ("Close", "Adj Close", "close", "adj_close", "price", "Price")
# missing-value markers; '-', '--' and 'n.a.' are what spreadsheets and statistics offices print
_MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "nat", ".", "-", "--", "n.a."})
# a UTC offset after a time's last digit (see _offsets); no look-behind, which RE2 lacks
# (pandas before 3.1 hands .str regexes on pyarrow strings to RE2): the digit is kept by \1
_OFFSET = re.compile(r"(\d)\s*(Z|[+-]\d{2}:?\d{2})$")
_YMD = re.compile(r"^(\d{4})[-/](\d{1,2})(?:[-/](\d{1,2}))?((?:[T ]\S.*)?)$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})((?:[T ]\S.*)?)$")
_YEAR = re.compile(r"^\d{4}$")
_QUARTER = re.compile(r"^(\d{4})\s*[-/]?\s*[Qq]([1-4])$|^[Qq]([1-4])\s*[-/]?\s*(\d{4})$")  # 1970 Q1, Q1-1970
_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{2})(?:-?([1-7]))?$")  # 2024-W05, 2024W05, 2024-W05-3
_SHOWN = 5
_MAX_NUMBERLIKE_CLASSES = 20  # more labels than this, nearly all with digits: numbers in a spelling not read

def _rows(items: Sequence[object], shown: int = _SHOWN) -> str:
    """'3, 5, 9' or '3, 5, 9, 11, 12 and 4 more'."""
    more = len(items) - shown
    return ", ".join(str(x) for x in items[:shown]) + (f" and {more} more" if more > 0 else "")

def _is_missing(cells: pd.Series) -> pd.Series:
    return cells.str.lower().isin(_MISSING)


def _as_numbers(cells: pd.Series) -> pd.Series:
    """Numbers where cells parse, NaN elsewhere (missing or text)."""
    return pd.to_numeric(cells.where(~_is_missing(cells)), errors="coerce").astype("float64")


def _is_numeric(cells: pd.Series, spelled: bool = True) -> bool:
    """Most present cells are numbers (the others are reported as bad cells later).

    ``spelled``: in any common spelling (1,234.5 / 101,288 / "5.2"); else plain only.
    """
    if plain_numbers(cells):  # every cell a plain number (a long clean column: no per-cell work)
        return True
    present = ~_is_missing(cells)
    numbers = looks_numeric(cells) if spelled else _as_numbers(cells).notna()
    return bool(present.any()) and bool(numbers[present].mean() > 0.5)


def _to_iso(text: pd.Series, dayfirst: bool) -> pd.Series:
    """Year-first, day/month and bare-year cells rewritten as ISO text; others kept."""
    iso = text.copy()
    ymd = text.str.extract(_YMD).dropna(subset=[0])
    if not ymd.empty:
        day = ymd[2].fillna("1").astype(str).str.zfill(2)
        iso[ymd.index] = ymd[0] + "-" + ymd[1].str.zfill(2) + "-" + day + ymd[3]
    dmy = text.str.extract(_DMY).dropna(subset=[0])
    if not dmy.empty:
        day, month = (dmy[0], dmy[1]) if dayfirst else (dmy[1], dmy[0])
        year = dmy[2].map(lambda y: str(int(y) + (1900 if int(y) >= 69 else 2000)) if len(y) == 2 else y)
        iso[dmy.index] = year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + dmy[3]
    years = text.str.fullmatch(_YEAR)
    iso[years] = text[years] + "-01-01"
    quarters = text.str.extract(_QUARTER)
    first = quarters[0].notna()
    year = quarters[0].where(first, quarters[3])
    number = quarters[1].where(first, quarters[2])
    found = year.notna()
    if found.any():
        month = (number[found].astype(int) * 3 - 2).astype(str).str.zfill(2)
        iso[found] = year[found] + "-" + month + "-01"
    weeks = text.str.extract(_ISO_WEEK).dropna(subset=[0])
    if not weeks.empty:  # ISO weeks: the week's Monday (or its given day)
        spelled = weeks[0] + "-W" + weeks[1] + "-" + weeks[2].fillna("1")
        days = pd.to_datetime(spelled, format="%G-W%V-%u", errors="coerce")
        iso[days.dropna().index] = days.dropna().dt.strftime("%Y-%m-%d")
    return iso


def _parse_dates(text: pd.Series, dayfirst: bool) -> pd.Series:
    """Datetimes for the cells; NaT where a cell cannot be read."""
    parsed = pd.to_datetime(_to_iso(text, dayfirst), format="ISO8601", errors="coerce")
    rest = parsed.isna() & text.str.contains(r"\d{4}")  # e.g. "5 Jan 2020"; never a bare "09:30"
    if rest.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed[rest] = pd.to_datetime(text[rest], format="mixed", dayfirst=dayfirst, errors="coerce")
    return parsed


def _decide_dayfirst(text: pd.Series, spec: DataSpec, where: str, column: str, notes: list[str]) -> bool:
    """Day/month order of d/m/y cells: told, or decided by a value over 12."""
    parts = text.str.extract(_DMY)[[0, 1]].dropna().astype(int)
    if spec.dayfirst is not None or parts.empty:
        return bool(spec.dayfirst)
    first, second = int((parts[0] > 12).sum()), int((parts[1] > 12).sum())
    if first == second == 0:
        raise DataError(
            f"{where}: column '{column}' has dates like '{text[parts.index[0]]}' that could be "
            "day/month or month/day; pass --dayfirst or --no-dayfirst"
        )
    notes.append(f"dates read as {'day/month' if first > second else 'month/day'}/year "
                 "(--dayfirst / --no-dayfirst to change)")
    return first > second


def _offsets(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(the UTC offsets found, the cells without them); only cells with a time have one,
    so '1959-Q1' or 'Q1-1959' keep their '-1959'."""
    timed = cells.str.contains(":", regex=False) | cells.str.endswith("Z")
    offsets = cells[timed].str.extract(_OFFSET)[1].dropna()
    return offsets, cells.where(~timed, cells.str.replace(_OFFSET, r"\1", regex=True))


def _looks_like_dates(cells: pd.Series, first: bool) -> bool:
    """Content test: most cells parse as dates (bare years only in the first column)."""
    sample = cells[~_is_missing(cells)].head(200)
    if sample.empty or (_is_numeric(sample, spelled=False) and not (first and sample.str.fullmatch(_YEAR).all())):
        return False
    text = _offsets(sample)[1]
    return any(bool(_parse_dates(text, dayfirst).notna().mean() >= 0.9) for dayfirst in (False, True))


def _date_column(raw: pd.DataFrame, spec: DataSpec, where: str) -> tuple[str, list[str]]:
    """The date column (named by the spec, by a usual name, or by content) and a note."""
    columns = list(raw.columns)
    if spec.date_column is not None:
        return _find_column(spec.date_column, columns, where, "--date-column"), []
    lower = {c.lower(): c for c in reversed(columns)}
    for name in _DATE_NAMES:
        if name in lower:
            return lower[name], []
    for i, col in enumerate(columns):
        if _looks_like_dates(raw[col], first=i == 0):
            return col, [f"dates: column '{col}' (found by content; --date-column to change)"]
    named = [lower[n] for n in _STEP_NAMES if n in lower]
    for col in [*named, columns[0]]:
        if _is_step_index(raw[col], by_name=col in named):
            return col, [f"steps: column '{col}' is a step index, so forecasts are numbered "
                         "steps, not dates (--date-column to change)"]
    raise DataError(
        f"{where}: no date column found (looked for {', '.join(_DATE_NAMES[:5])}, ... and for "
        "date values); name it 'date' or pass --date-column COL"
    )


def _is_step_index(cells: pd.Series, by_name: bool = True) -> bool:
    """Whole numbers that are not all bare years (1959, 1960, ...) or yyyymmdd days, or, in a
    column named like a step or time (t, time, seconds), any plain numbers (0.5, 1.0, ...)."""
    whole = len(cells) >= 2 and plain_numbers(cells, integers=True)  # no per-cell work when so
    if not whole and not _first_is_number(cells):  # e.g. a date column: no need to test every cell
        return False
    present = cells if whole else cells[~_is_missing(cells)]
    if len(present) < 2:
        return False
    if whole or present.str.fullmatch(_INTEGER).all():  # bare years and 20200131-style days are dates
        return not (_all_match(present, _YEAR) or _all_match(present, re.compile(r"(19|20)\d{6}")))
    return by_name and bool(_as_numbers(present).notna().all())


def _first_is_number(cells: pd.Series) -> bool:
    """The first present cell is a plain number (else no test of every cell can pass); True
    when every cell is missing (the caller decides then)."""
    head = cells.head(64)
    present = head[~_is_missing(head)]
    if present.empty:
        return True
    return bool(_as_numbers(present.iloc[:1]).notna().iloc[0])


def _all_match(cells: pd.Series, pattern: re.Pattern[str]) -> bool:
    """Every cell matches ``pattern`` whole (the first cell is tried alone first)."""
    return bool(pattern.fullmatch(cells.iloc[0])) and bool(cells.str.fullmatch(pattern).all())


def _steps(cells: pd.Series, where: str, column: str) -> pd.Series:
    """Step numbers as the datetime64 seconds SeriesData keeps, or a DataError naming bad rows."""
    if plain_numbers(cells, integers=True):  # whole numbers in every cell
        return pd.Series(step_dates(cells.astype("int64").to_numpy()), index=cells.index)
    numbers = _as_numbers(cells)
    bad = numbers.isna() | np.isinf(numbers)
    if bad.any():
        raise DataError(
            f"{where}: column '{column}' is a step index but has cells that are not numbers "
            f"at rows {_rows(list(cells.index[bad]))} (e.g. '{cells[bad].iloc[0]}'); fix those cells"
        )
    whole = bool(cells.str.fullmatch(_INTEGER).all())
    steps = step_dates(cells.astype("int64").to_numpy() if whole else numbers.to_numpy())
    return pd.Series(steps, index=cells.index)


def _dates(cells: pd.Series, spec: DataSpec, where: str, column: str, notes: list[str]) -> pd.Series:
    """Parsed wall-clock dates for the rows, or a DataError naming the bad rows."""
    parsed = _one_layout_dates(cells)
    if parsed is not None:
        return parsed
    offsets, text = _offsets(cells)
    parsed = _parse_dates(text, _decide_dayfirst(text, spec, where, column, notes))
    bad = parsed.isna()
    if bad.any():
        raise DataError(
            f"{where}: column '{column}' has dates that cannot be read at rows "
            f"{_rows(list(cells.index[bad]))} (e.g. '{cells[bad].iloc[0]}'); "
            "fix those cells (YYYY-MM-DD works) or pass --date-column COL"
        )
    if not offsets.empty:
        shown = ", ".join(sorted(offsets.unique()))
        instants = _dst_instants(cells, parsed) if offsets.nunique() > 1 else None
        if instants is not None:
            notes.append(f"timestamps had UTC offsets that change with daylight saving ({shown}); the "
                         "local times repeat or skip an hour there, so they are read as UTC times, tz-naive")
            return instants
        notes.append(f"timestamps had UTC offsets ({shown}); kept their local wall-clock times, tz-naive")
    return parsed


def _dst_instants(cells: pd.Series, wall: pd.Series) -> pd.Series | None:
    """The UTC times of cells whose wall-clock times repeat an hour (autumn's change) or skip
    one (spring's) that the UTC times do not: round-the-clock data across a DST change, where
    Berlin's half-hours were refused as 'repeated dates ... dedupe the file'. None otherwise:
    market hours keep their wall clock (09:30 stays 09:30 across the change)."""
    instants = pd.to_datetime(cells, utc=True, format="ISO8601", errors="coerce")
    if instants.isna().any() or instants.duplicated().any():
        return None
    utc = instants.dt.tz_localize(None)
    steps, wall_steps = np.diff(np.sort(utc.to_numpy())), np.diff(np.sort(wall.to_numpy()))
    regular = len(steps) > 0 and steps.min() == steps.max() and wall_steps.min() != wall_steps.max()
    return utc if wall.duplicated().any() or regular else None


def _one_layout_dates(cells: pd.Series) -> pd.Series | None:
    """The dates of a column whose cells all share one layout (fastcells.same_layout) that
    _offsets and _to_iso leave as it is (e.g. '2020-01-01 09:30'), parsed as _dates would
    parse them without its per-cell rewriting; None when that does not hold or a cell fails."""
    if not same_layout(cells):
        return None
    head = cells.iloc[:1]
    offsets, text = _offsets(head)
    if not offsets.empty or text.iloc[0] != head.iloc[0] or _to_iso(head, False).iloc[0] != head.iloc[0]:
        return None
    if not text.str.extract(_DMY).dropna().empty:  # d/m/y: the day order is decided on all rows
        return None
    parsed = pd.to_datetime(cells, format="ISO8601", errors="coerce")
    if parsed.isna().any() or getattr(parsed.dtype, "tz", None) is not None:
        return None
    return parsed


_CLOCK = re.compile(r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(\s?[AaPp][Mm])?$")


def _join_time_column(raw: pd.DataFrame, date_col: str, notes: list[str]) -> pd.DataFrame:
    """A date column beside a column of clock times (brokers' and loggers' Date,Time,...) joined
    into one: before, Taylor's half-hours written that way were refused as "column 'Date' has
    repeated dates ...; dedupe the file or pick one series"."""
    dates = raw[date_col]
    for col in raw.columns:
        cells = raw[col]
        if col == date_col or not _CLOCK.fullmatch(cells.iloc[0]) or _is_missing(cells).any():
            continue  # the first cell rules out most columns without a pass over all of them
        if not _all_match(cells, _CLOCK) or dates.str.contains(":", regex=False).any():
            continue  # not clock times, or the dates have their times already
        notes.append(f"dates: columns '{date_col}' and '{col}' joined (a date and a time of day)")
        return raw.drop(columns=[col]).assign(**{date_col: dates + " " + cells})
    return raw


_EXCEL_EPOCH = np.datetime64("1899-12-30")  # Excel's day 0 (its 1900 leap-year bug folded in)
_EXCEL_DAYS = (20_000, 73_050)  # 1954-10-03 .. 2099-12-31
_DATE_WORDS = ("date", "datum", "fecha", "data", "day", "jour", "tag")


def _excel_days(cells: pd.Series, column: str) -> bool:
    """Whole numbers in Excel's day range under a column named like a date: a spreadsheet's
    dates saved as numbers (42619 is 2016-09-06), not a step index."""
    named = column.lower() in ("ds", "dt") or any(word in column.lower() for word in _DATE_WORDS)
    if not named or not plain_numbers(cells, integers=True):
        return False
    days = cells.astype("int64")
    return bool(days.between(*_EXCEL_DAYS).all())


def _from_excel_days(raw: pd.DataFrame, column: str, notes: list[str]) -> pd.DataFrame:
    days = raw[column].astype("int64").to_numpy()
    iso = (_EXCEL_EPOCH + days.astype("timedelta64[D]")).astype(str)
    notes[:] = [note for note in notes if not note.startswith("steps:")]  # dates after all
    notes.append(f"dates: column '{column}' holds Excel day numbers ({days[0]} is {iso[0]}); read as "
                 "dates (--freq steps keeps them as steps)")
    return raw.assign(**{column: pd.Series(iso, index=raw.index, dtype=raw[column].dtype)})


def _check_unique(dates: pd.Series, where: str, column: str, steps: bool = False) -> None:
    repeated = dates.duplicated(keep=False)
    if repeated.any():
        first = dates[repeated].iloc[0]
        shown = f"{first.value / 1e9:g}" if steps else day_text(first)
        what = "steps" if steps else "dates"
        raise DataError(
            f"{where}: column '{column}' has repeated {what} ({int(dates[repeated].nunique())} in all; "
            f"e.g. {shown} at rows {_rows(list(dates.index[dates == first]))}); "
            "dedupe the file or pick one series with --series SYMBOL"
        )


def _symbol_column(raw: pd.DataFrame, date_col: str) -> str | None:
    """A symbol/ticker/series/id column whose values repeat (a row id does not count)."""
    for col in raw.columns:
        if col != date_col and col.lower() in _SYMBOL_NAMES:
            values = raw[col][raw[col] != ""]
            if values.nunique() == 1 or values.nunique() <= len(values) / 2:
                return col
    return None


def _select_series(
    raw: pd.DataFrame, spec: DataSpec, where: str, symbol_col: str | None
) -> tuple[pd.DataFrame, str | None]:
    """The rows of one series of a long-format file, and its symbol."""
    if symbol_col is None:
        if spec.series is not None:
            raise ConfigError(f"{where}: --series {spec.series} given but the file has no symbol "
                              "column (one series); drop --series")
        return raw, None
    symbols = sorted(raw[symbol_col][raw[symbol_col] != ""].unique())
    if spec.series is None:
        if len(symbols) == 1:
            return raw, symbols[0]
        raise ConfigError(f"{where}: file has {len(symbols)} series ({_rows(symbols)}) in column "
                          f"'{symbol_col}'; pick one with --series SYMBOL")
    match = [s for s in symbols if s == spec.series] or [
        s for s in symbols if s.lower() == spec.series.lower()
    ]
    if not match:
        raise NotFoundError(f"{where}: no series '{spec.series}' in column '{symbol_col}'; "
                            f"available: {_rows(symbols, 20)}")
    return raw[raw[symbol_col] == match[0]], match[0]


def _find_column(name: str, columns: Sequence[str], where: str, option: str) -> str:
    """``name`` among the columns (exact, else the one case-insensitive match)."""
    if name in columns:
        return name
    folded = [c for c in columns if c.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    raise ConfigError(f"{where}: no column '{name}' for {option}; columns: {', '.join(columns)}")


def _target(raw: pd.DataFrame, spec: DataSpec, where: str, skip: set[str]) -> tuple[str, str]:
    """The target column and a note saying how it was chosen."""
    candidates = [c for c in raw.columns if c not in skip]
    if spec.target is not None:
        target = _find_column(spec.target, list(raw.columns), where, "--target")
        if target in skip:
            raise ConfigError(f"{where}: --target {target} is the date or symbol column; "
                              "pick a value column")
        return target, f"target: {target} (from --target)"
    for name in _TARGET_DEFAULTS:
        if name in candidates:
            return name, f"target: {name} (default; --target to change)"
    numeric = [c for c in candidates if _is_numeric(raw[c])]
    if len(numeric) == 1:
        return numeric[0], f"target: {numeric[0]} (the only numeric column; --target to change)"
    if not numeric:
        raise DataError(f"{where}: no numeric column besides the dates (columns: "
                        f"{', '.join(raw.columns)}); add one or pass --target COL")
    raise ConfigError(f"{where}: file has {len(numeric)} numeric columns ({_rows(numeric)}); "
                      "pass --target COL")


def _choose(raw: pd.DataFrame, spec: DataSpec, where: str, skip: set[str], notes: list[str]) -> list[str]:
    """[target, *features]: the columns the series is made of."""
    target, note = _target(raw, spec, where, skip)
    notes.insert(0, note)
    features = [_find_column(f, list(raw.columns), where, "--features") for f in spec.features]
    if target in features or set(features) & skip or len(set(features)) < len(features):
        raise ConfigError(f"{where}: --features must name distinct value columns other than "
                          f"the target '{target}'")
    return [target, *features]


def _numbers(cells: pd.Series, where: str, column: str, sep: str, notes: list[str]) -> pd.Series:
    """A numeric column in any common spelling (noted); text, stray quotes or infinite
    cells are a DataError naming the rows."""
    if sep != ";" and plain_numbers(cells):  # plain in every cell: no spelling to decide
        values = pd.to_numeric(cells, errors="coerce").astype("float64")
        if not (values.isna().any() or np.isinf(values).any()):
            return values
    quoted = cells.str.contains('"', regex=False)
    if quoted.any():
        raise DataError(
            f"{where}: column '{column}' has stray quote characters at rows "
            f"{_rows(list(cells.index[quoted]))} (e.g. '{cells[quoted].iloc[0]}'); the file's "
            "quoting is unbalanced: close every opening \" or remove the quotes"
        )
    try:
        how = spelling(cells[~_is_missing(cells)], sep, where, column)
    except ValueError as err:
        raise DataError(str(err)) from None
    if how.note is not None:
        cells = plain(cells, how)
        notes.append(how.note)
    values = _as_numbers(cells)
    bad = values.isna() & ~_is_missing(cells)
    if bad.any():
        raise DataError(
            f"{where}: column '{column}' has text that is not a number at rows "
            f"{_rows(list(cells.index[bad]))} (e.g. '{cells[bad].iloc[0]}'); "
            "fix those cells or empty them (--fill fills empty cells)"
        )
    inf = np.isinf(values)
    if inf.any():
        raise DataError(f"{where}: column '{column}' has infinite values at rows "
                        f"{_rows(list(cells.index[inf]))}; replace them with numbers or empty cells")
    return values


def _categories(cells: pd.Series, where: str, column: str) -> tuple[pd.Series, tuple[str, ...]] | None:
    """Class codes (0..C-1, labels sorted) when the present cells are text; None if numbers."""
    if plain_numbers(cells):
        return None
    present = ~_is_missing(cells)
    numeric = looks_numeric(cells) & present
    if not present.any() or numeric.sum() * 2 > present.sum():
        return None
    if numeric.any():
        raise DataError(f"{where}: column '{column}' mixes text labels and numbers (numbers at rows "
                        f"{_rows(list(cells.index[numeric]))}); make it all labels or all numbers")
    classes = tuple(sorted(cells[present].unique()))
    digits = cells[present].str.contains(r"\d")
    if len(classes) > _MAX_NUMBERLIKE_CLASSES and digits.mean() >= 0.9:
        raise DataError(  # '112 pax' x 118 values trained as 118 classes, noted in one line only
            f"{where}: column '{column}' has numbers written with text around them at rows "
            f"{_rows(list(cells.index[present]))} (e.g. '{cells[present].iloc[0]}'), which would be "
            f"{len(classes)} class labels; write plain numbers (1234.5, a currency mark or % may stay)")
    return cells.map({c: float(i) for i, c in enumerate(classes)}).astype("float64"), classes


def _columns(
    raw: pd.DataFrame, names: list[str], where: str, notes: list[str]
) -> tuple[dict[str, np.ndarray], tuple[str, ...]]:
    """Target (numbers or class codes) and feature values, keyed by column."""
    target, *features = names
    sep = raw.attrs.get("sep", ",")
    coded = _categories(raw[target], where, target)
    values, classes = coded if coded is not None else (_numbers(raw[target], where, target, sep, notes), ())
    out = {target: values.to_numpy()}
    for feature in features:
        if _categories(raw[feature], where, feature) is not None:
            raise DataError(f"{where}: feature column '{feature}' holds text, not numbers; "
                            "pick numeric columns for --features")
        out[feature] = _numbers(raw[feature], where, feature, sep, notes).to_numpy()
    return out, classes


def _frame(
    dates: pd.Series, columns: dict[str, np.ndarray], notes: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """The columns on a sorted ``ds`` index, and the file line of each row."""
    order = np.argsort(dates.to_numpy(), kind="stable")
    if not dates.is_monotonic_increasing:
        notes.append("rows were not in date order; sorted ascending")
    index = pd.DatetimeIndex(dates.to_numpy()[order], name="ds").as_unit("ns")
    frame = pd.DataFrame({c: v[order] for c, v in columns.items()}, index=index, dtype="float64")
    return frame, dates.index.to_numpy()[order]


def _fill(frame: pd.DataFrame, lines: np.ndarray, spec: DataSpec, where: str,
          categorical: set[str], notes: list[str]) -> pd.DataFrame:
    """Apply the fill policy; notes say how many values it touched."""
    empty = [c for c in frame.columns if frame[c].isna().all()]
    if empty:
        raise DataError(f"{where}: column '{empty[0]}' has no values; fill it in or pick another column")
    missing = frame.isna()
    if not missing.any().any():
        return frame
    if spec.fill == "error":
        col = missing.any().idxmax()
        raise DataError(
            f"{where}: column '{col}' has {int(missing[col].sum())} missing values at rows "
            f"{_rows(list(lines[missing[col].to_numpy()]))}; fill them in or pass "
            "--fill interpolate|ffill|drop"
        )
    if spec.fill == "drop":
        kept = frame.dropna()
        if kept.empty:
            raise DataError(f"{where}: no rows left after dropping missing values; "
                            "use --fill interpolate|ffill")
        notes.append(f"dropped {len(frame) - len(kept)} rows with missing values (--fill to change)")
        return kept
    for col in frame.columns[missing.any()]:
        how = "forward fill" if spec.fill == "ffill" or col in categorical else "interpolation"
        if how == "interpolation":
            frame[col] = frame[col].interpolate(method="time", limit_direction="both")
        frame[col] = frame[col].ffill().bfill()
        notes.append(f"filled {int(missing[col].sum())} missing values in {col} by {how} "
                     "(--fill to change)")
    return frame


_GAPLESS = (pd.offsets.MonthBegin, pd.offsets.MonthEnd, pd.offsets.QuarterBegin, pd.offsets.QuarterEnd,
            pd.offsets.YearBegin, pd.offsets.YearEnd, pd.offsets.Week, pd.offsets.Day)


def _complete_calendar(frame: pd.DataFrame, lines: np.ndarray, freq: str | None, spec: DataSpec,
                       where: str, column: str, notes: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Dates a day, week, month, quarter or year calendar skips become missing values (--fill).

    Joining the rows either side of a gap shifts every season after it: Airline with
    1954-01..05 cut out trained on logret instead of slogret and said nothing. Business days
    (holidays) and sub-daily steps (trading hours) skip dates by design and are left alone;
    so are calendars the dates are not all on, or that would more than double the rows.
    """
    offset = to_offset(freq) if freq and not freq.startswith("sessions:") else None
    if isinstance(offset, pd.offsets.Tick) and offset.nanos < _DAY_NS:
        _sub_daily_gaps(pd.DatetimeIndex(frame.index), offset, freq, spec, where, column, notes)
        return frame, lines
    if offset is None or spec.calendar or not isinstance(offset, _GAPLESS) or offset.n != 1:
        return frame, lines
    index = pd.DatetimeIndex(frame.index)
    full = pd.date_range(index[0], index[-1], freq=offset, name=index.name).as_unit(index.unit)
    if len(full) == len(index) or len(full) > 2 * len(index) or not index.isin(full).all():
        return frame, lines
    gaps = full.difference(index)
    shown = f"{len(gaps)} dates of its {freq} calendar are missing ({_rows([str(d.date()) for d in gaps])})"
    if spec.fill == "error":
        raise DataError(f"{where}: column '{column}': {shown}; add those rows or pass "
                        "--fill interpolate|ffill|drop")
    if spec.fill == "drop":
        notes.append(f"{shown}; the rows either side are joined (--fill drop)")
        return frame, lines
    notes.append(f"{shown}; added as missing values")
    filled = pd.Series(lines, index=index).reindex(full, fill_value=-1)  # -1: no line in the file
    return frame.reindex(full), filled.to_numpy()


_DAY_NS = 86_400 * 10**9


def _sub_daily_gaps(index: pd.DatetimeIndex, offset: pd.offsets.Tick, freq: str, spec: DataSpec,
                    where: str, column: str, notes: list[str]) -> None:
    """Sub-daily data keeps its gaps (joined), but one that misses a usual time of day is said
    (--fill error refuses it); a market's nights and weekends are not gaps (forecast.data.gaps)."""
    found = real_gaps(index.as_unit("ns").asi8, int(offset.nanos))
    if not len(found):
        return
    i = found.largest
    start, end = pd.Timestamp(found.starts[i]), pd.Timestamp(found.ends[i])
    missing = (end - start) // pd.Timedelta(offset.nanos) - 1
    shown = (f"{len(found)} gap{'s' if len(found) > 1 else ''} in its {freq} steps (the largest: "
             f"{missing} step{'s' if missing > 1 else ''} missing between {start:%Y-%m-%d %H:%M} and "
             f"{end:%Y-%m-%d %H:%M})")
    if spec.fill == "error":
        raise DataError(f"{where}: column '{column}': {shown}; add those rows or pass "
                        "--fill interpolate|ffill|drop to join them")
    notes.append(f"{shown}; the rows either side are joined")


def series_from_cells(raw: pd.DataFrame, spec: DataSpec, where: str, source: str, name: str) -> SeriesData:
    """Validate and sort one series of the text table ``raw`` (``where`` names it in errors)."""
    date_col, notes = _date_column(raw, spec, where)
    symbol_col = _symbol_column(raw, date_col)
    raw, symbol = _select_series(raw, spec, where, symbol_col)
    steps = spec.freq == STEPS_FREQ or (spec.freq is None and _is_step_index(raw[date_col]))
    if steps and spec.freq is None and _excel_days(raw[date_col], date_col):
        raw, steps = _from_excel_days(raw, date_col, notes), False
    if steps and len(raw.columns) == 1:  # else the values were read as their own step index
        raise DataError(f"{where}: only one column ('{date_col}'), numbers with no dates; give a "
                        "date (or step) column and a value column, e.g. date,value")
    if not steps:
        raw = _join_time_column(raw, date_col, notes)
    if steps:
        dates = _steps(raw[date_col], where, date_col)
        if not any(note.startswith("steps:") for note in notes):
            notes.append(f"steps: column '{date_col}' is a step index, so forecasts are "
                         "numbered steps, not dates")
    else:
        dates = _dates(raw[date_col], spec, where, date_col, notes)
    _check_unique(dates, where, date_col, steps)
    skip = {date_col} | ({symbol_col} if symbol_col else set())
    names = _choose(raw, spec, where, skip, notes)
    columns, classes = _columns(raw, names, where, notes)
    if symbol:
        notes.append(f"series: {symbol} (column '{symbol_col}')")
    if classes:
        notes.append(f"target {names[0]} is categorical: {len(classes)} classes coded 0..{len(classes) - 1}")
    frame, lines = _frame(dates, columns, notes)
    freq = STEPS_FREQ if steps else frequency(pd.DatetimeIndex(frame.index), spec, where, date_col,
                                               lines, notes)
    if not steps:
        frame, lines = _complete_calendar(frame, lines, freq, spec, where, date_col, notes)
    line_of = pd.Series(lines, index=frame.index)  # --fill drop may drop rows below
    frame = _fill(frame, lines, spec, where, set(names[:1]) if classes else set(), notes)
    if spec.calendar and not steps:
        freq = exchange_freq(spec.calendar, freq, where, notes)
    series = SeriesData.from_frame(frame, target=names[0], features=tuple(names[1:]), freq=freq,
                                   source=source, name=symbol or name, classes=classes,
                                   notes=tuple(notes))
    if series.price_like:
        def place(i: int) -> str:
            day = frame.index[i]
            line = int(line_of.get(day, -1))
            shown = day_text(day)
            return f"row {line} ({shown})" if line > 0 else shown

        note = check_splits(series.y, where, names[0], place, spec.allow_jumps)
        series = replace(series, notes=(*series.notes, note)) if note else series
    return replace(series, tz=STEPS) if steps else series


def exchange_freq(calendar: str, freq: str | None, where: str, notes: list[str], how: str = "--calendar") -> str:
    """The exchange's trading days as the frequency of daily data; ConfigError for other data."""
    from forecast.data.exchanges import check, freq_of

    mic = check(calendar)
    if freq not in ("B", "D", None) and not str(freq).startswith("sessions:"):
        raise ConfigError(f"{where}: --calendar {mic} follows trading days, but the data steps by "
                          f"{freq}; drop --calendar")
    notes.append(f"calendar: {mic} trading days ({how}; exchange_calendars)")
    return freq_of(mic)


def frequency(index: pd.DatetimeIndex, spec: DataSpec, where: str, column: str, lines: np.ndarray,
               notes: list[str]) -> str | None:
    """The inferred calendar, or ``--freq`` when every date lies on it."""
    if spec.freq is None:
        freq = infer_freq(index)
        if freq is None:
            notes.append("no regular step between dates; frequency unknown")
        return freq
    try:
        offset = to_offset(spec.freq)
    except ValueError:
        raise ConfigError(f"--freq {spec.freq!r} is not a frequency; use steps or a pandas alias "
                          "such as D, B, W-SUN, MS, QS, YS, h, 30min") from None
    on_calendar = index.isin(pd.date_range(index[0], index[-1], freq=offset))
    if not on_calendar.all():
        off = list(lines[~on_calendar])
        raise DataError(
            f"{where}: column '{column}' has dates off the --freq {spec.freq} calendar at rows "
            f"{_rows(off)} (e.g. {index[~on_calendar][0]}); the data says {infer_freq(index)}: "
            "drop --freq or fix those dates"
        )
    notes.append(f"frequency: {spec.freq} (from --freq)")
    return spec.freq


def symbols_in(raw: pd.DataFrame, spec: DataSpec, where: str) -> list[str]:
    """The series of a long-format table, sorted; [] when it has no symbol column."""
    symbol_col = _symbol_column(raw, _date_column(raw, spec, where)[0])
    return [] if symbol_col is None else sorted(raw[symbol_col][raw[symbol_col] != ""].unique())


def symbol_rows(raw: pd.DataFrame, spec: DataSpec, where: str) -> dict[str, pd.DataFrame]:
    """Each symbol's rows of a long-format table, in one pass (original row labels kept, so
    errors name the file's rows); {} when it has no symbol column."""
    symbol_col = _symbol_column(raw, _date_column(raw, spec, where)[0])
    if symbol_col is None:
        return {}
    rows = raw[raw[symbol_col] != ""]
    groups = {str(symbol): part for symbol, part in rows.groupby(symbol_col, sort=True)}
    for part in groups.values():
        part.attrs.update(raw.attrs)  # the reader's notes (the separator) go with every part
    return groups


def value_columns(raw: pd.DataFrame, spec: DataSpec, where: str) -> list[str]:
    """The columns ``--targets`` names (``all``: every numeric column but the dates and symbols)."""
    date_col, _ = _date_column(raw, spec, where)
    symbol_col = _symbol_column(raw, date_col)
    skip = {date_col, symbol_col}
    if tuple(t.lower() for t in spec.targets) == ("all",):
        numeric = [c for c in raw.columns if c not in skip and _is_numeric(raw[c])]
        if not numeric:
            raise DataError(f"{where}: --targets all found no numeric column besides the dates")
        return numeric
    return [_find_column(t, list(raw.columns), where, "--targets") for t in spec.targets]


def rows_text(items: Sequence[object]) -> str:
    """'3, 5, 9' or '3, 5, 9, 11, 12 and 4 more' (for readers' own messages)."""
    return _rows(items)


__all__ = ["series_from_cells", "symbols_in", "symbol_rows", "value_columns", "frequency", "exchange_freq", "rows_text"]
