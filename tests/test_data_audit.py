"""What the data-in audit (session 10) found, each pinned on real data.

Every test here failed before its fix: an unadjusted stock split trained silently, hourly
data with a missing day was joined without a word, the too-short error gave a sum without
its parts, and the CSV dialects listed in the test names were read wrongly or refused badly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_runner import invoke
from csv_rows import read_rows, write_rows

from forecast.api import load_series
from forecast.config import DataSpec
from forecast.data.jumps import split_jumps
from forecast.errors import DataError

TINY = ("--epochs", "2", "--hidden", "8", "--layers", "1", "--batch-size", "128")
BAD_SPLIT = "yahoo_fixtures/4063-T-1d-bad-stock-split.csv"


# --- 1. unadjusted stock splits ------------------------------------------------------------

def test_an_unadjusted_split_is_refused_naming_the_row_and_the_fix(
    capsys: pytest.CaptureFixture[str], model_home: Path, shared_data: Path
) -> None:
    """4063.T's 20,710 -> 4,206 (5:1, Yahoo left it unadjusted): before, train said nothing
    and predict's q0.05 was 0.035 against a forecast of 4,129; now exit 4 names the row."""
    code, out, err = invoke(capsys, "train", shared_data / BAD_SPLIT, *TINY, "--quiet")
    assert code == 4
    assert "4063-T-1d-bad-stock-split.csv: column 'Close' goes from 20,710 to 4,206" in err
    assert "row 14 (2023-03-29), like a 5:1 split left unadjusted" in err
    assert "use Adj Close" in err and "--allow-jumps" in err
    assert not (model_home / "models").exists()
    code, out, err = invoke(capsys, "train", shared_data / BAD_SPLIT, *TINY, "--quiet", "--allow-jumps")
    assert code == 0, err


def test_evaluate_takes_allow_jumps_as_train_does(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path, tmp_path: Path
) -> None:
    """The split refusal names evaluate too: MSFT's closes halved from row 252 stop evaluate
    (exit 4); with --allow-jumps the same folds are scored."""
    closes = _msft_closes(sample_data)[:300]
    halved = [[d, f"{c / (2 if i >= 250 else 1):.4f}"] for i, (d, c) in enumerate(closes)]
    path = write_rows(tmp_path / "msft.csv", [["Date", "Close"], *halved])
    args = ("evaluate", path, "--models", "lstm", "--folds", "2", "--horizon", "5", *TINY)
    code, out, err = invoke(capsys, *args)
    assert code == 4 and "like a 2:1 split left unadjusted" in err
    code, out, err = invoke(capsys, *args, "--allow-jumps", "--json")
    assert code == 0, err
    assert {row["model"] for row in json.loads(out)["models"]} >= {"lstm", "naive"}


def test_predict_refuses_a_split_that_arrived_after_training(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path, tmp_path: Path
) -> None:
    """New rows with an unadjusted 2:1 split: predict re-reads the file and stops, saying where
    the flag goes (predict has none: the model must be trained on such data knowingly)."""
    closes = _msft_closes(sample_data)
    path = write_rows(tmp_path / "msft.csv", [["Date", "Close"], *[[d, str(c)] for d, c in closes[:250]]])
    code, out, err = invoke(capsys, "train", path, *TINY, "--quiet")
    assert code == 0, err
    halved = [[d, f"{c / (2 if i >= 250 else 1):.4f}"] for i, (d, c) in enumerate(closes)]
    write_rows(path, [["Date", "Close"], *halved])
    code, out, err = invoke(capsys, "predict")
    assert code == 4
    assert f"at row 252 ({closes[250][0]}), like a 2:1 split left unadjusted" in err
    assert "or pass --allow-jumps to train or evaluate if the move is real" in err


def test_the_repaired_file_and_every_real_price_pass(shared_data: Path, sample_data: Path) -> None:
    """yfinance's repaired 4063.T, and every price column of the shared and sample data
    (adjusted prices: MSFT's 9 splits, crashes like 1987's) have no split-like step."""
    fixed = load_series(DataSpec(path=str(shared_data / "yahoo_fixtures/4063-T-1d-bad-stock-split-fixed.csv")))
    assert not any("split" in note for note in fixed.notes)
    checked = 0
    files = [*shared_data.glob("*.csv"), *(shared_data / "tuning").glob("*.csv"),
             *(shared_data / "yahoo_fixtures").glob("*.csv"), *sample_data.glob("*.csv")]
    for path in sorted(files):
        if path.name == Path(BAD_SPLIT).name:
            continue
        header = read_rows(path)[0]
        symbols = [None] if "symbol" not in header else ["AAL", "DOW", "EQIX", "ZION"]
        symbols = ["CAC", "DAX", "FTSE", "SMI"] if "eustock" in path.name else symbols
        for column in [c for c in header if c.lower() in ("open", "high", "low", "close", "adj close")]:
            for symbol in symbols:
                series = load_series(DataSpec(path=str(path), target=column, series=symbol))
                assert series.price_like and split_jumps(series.y) == [], (path.name, column, symbol)
                checked += 1
    assert checked >= 70, checked  # 72 price columns today


def _msft_scaled(sample_data: Path, tmp_path: Path, factor: float, at: str = "2000-01-03") -> Path:
    """MSFT's closes, every one from ``at`` on times ``factor`` (a split or a crash there)."""
    header, *rows = read_rows(sample_data / "pmdarima_msft.csv")
    close = header.index("Close")
    out = [[r[0], f"{float(r[close]) * (factor if r[0] >= at else 1.0):.4f}"] for r in rows]
    return write_rows(tmp_path / "msft.csv", [["Date", "Close"], *out])


@pytest.mark.parametrize("factor, said", [(0.5, "2:1 split"), (10.0, "1:10 reverse split"),
                                          (1 / 3, "3:1 split")])
def test_a_split_factor_step_in_a_real_price_is_refused(
    sample_data: Path, tmp_path: Path, factor: float, said: str
) -> None:
    path = _msft_scaled(sample_data, tmp_path, factor)
    where = "at row 3490 \\(2000-01-03\\)"
    with pytest.raises(DataError, match=f"msft.csv: column 'Close' goes .* {where}, like a {said}"):
        load_series(DataSpec(path=str(path)))
    kept = load_series(DataSpec(path=str(path), allow_jumps=True))
    assert any(f"like a {said} left unadjusted" in note and "(--allow-jumps)" in note for note in kept.notes)


@pytest.mark.parametrize("factor", [0.7, 0.6, 1.3, 1.6])
def test_a_crash_or_a_jump_off_the_split_factors_passes(
    sample_data: Path, tmp_path: Path, factor: float
) -> None:
    """A 30% or 40% one-day fall (and a 30% or 60% rise) is a real move, not a split."""
    series = load_series(DataSpec(path=str(_msft_scaled(sample_data, tmp_path, factor))))
    assert not any("split" in note for note in series.notes)


def test_an_unadjusted_split_in_the_price_cache_is_refused(shared_data: Path, tmp_path: Path) -> None:
    """Yahoo's bars are fetched with repair=False: AAPL's closes before 2020-09-25 put back
    at 4x (its 4:1 split undone) are refused the same way, the date named."""
    from yahoo_replay import YahooReplay

    from forecast.data import cache

    with YahooReplay(shared_data / "yahoo_fixtures"):
        cache.update("AAPL", root=tmp_path, start="2020-08-31", now=pd.Timestamp("2020-11-07", tz="UTC"))
    frame, meta = cache.load("AAPL", root=tmp_path)
    frame.loc[frame.index < "2020-09-25", "Close"] *= 4
    cache.save(frame, meta, root=tmp_path)
    with pytest.raises(DataError, match=r"yahoo:AAPL: column 'Close' goes .* at 2020-09-25, like a 4:1 split"):
        cache.series_from_cache(DataSpec(ticker="AAPL"), root=tmp_path, refresh=False)


def test_only_prices_are_checked(sample_data: Path) -> None:
    """Macrodata's T-bill rate falls 1.17 -> 0.12 in 2008Q4 (a 10:1 ratio): a rate, not a price."""
    series = load_series(DataSpec(path=str(sample_data / "statsmodels_macrodata.csv"), target="tbilrate"))
    assert len(split_jumps(series.y)) == 1 and not series.price_like
    assert not any("split" in note for note in series.notes)


def test_split_jumps_on_a_thin_or_short_series() -> None:
    flat = np.r_[np.full(30, 10.0), np.full(30, 5.0)]  # no moves at all but the step: no usual size
    assert split_jumps(flat) == []
    assert split_jumps(np.array([100.0, 50.0, 50.5])) == []
    walk = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 300)))
    walk[150:] /= 4
    (jump,) = split_jumps(walk)
    assert (jump.index, jump.factor) == (150, 4.0)


# --- 2. gaps in sub-daily data -------------------------------------------------------------

def _taylor(sample_data: Path, tmp_path: Path, keep: object) -> Path:
    """Taylor's half-hourly demand, the rows ``keep(date_text)`` keeps."""
    header, *rows = read_rows(sample_data / "pmdarima_taylor_halfhourly.csv")
    return write_rows(tmp_path / "taylor.csv", [header, *[r for r in rows if keep(r[0])]])  # type: ignore[operator]


def _gap_notes(path: Path, **fields: object) -> list[str]:
    series = load_series(DataSpec(path=str(path), **fields))  # type: ignore[arg-type]
    return [n for n in series.notes if " gap" in n]


def test_a_missing_day_of_half_hours_is_said(sample_data: Path, tmp_path: Path) -> None:
    """Before, Taylor's demand without 2000-06-10 was joined without a word (every half-hour
    after it a day early in its weekly season); now a note says so and --fill error refuses."""
    path = _taylor(sample_data, tmp_path, lambda d: not d.startswith("2000-06-10"))
    assert _gap_notes(path) == [
        "1 gap in its 30min steps (the largest: 48 steps missing between 2000-06-09 23:30 and "
        "2000-06-11 00:00); the rows either side are joined"]
    with pytest.raises(DataError, match=r"taylor.csv: column 'datetime': 1 gap in its 30min steps .*"
                                        r"add those rows or pass --fill interpolate\|ffill\|drop"):
        load_series(DataSpec(path=str(path), fill="error"))


def test_missing_half_hours_are_counted(sample_data: Path, tmp_path: Path) -> None:
    gone = ("2000-06-07 12:00", "2000-06-07 12:30", "2000-07-01 03:00")
    path = _taylor(sample_data, tmp_path, lambda d: not d.startswith(gone))
    (note,) = _gap_notes(path)
    assert note.startswith("2 gaps in its 30min steps (the largest: 2 steps missing between "
                           "2000-06-07 11:30 and 2000-06-07 13:00)")


def test_market_hours_and_weekends_are_not_gaps(sample_data: Path, shared_data: Path, tmp_path: Path) -> None:
    """EA's 15-minute bars (nights, a weekend, thin pre-market bars), Taylor cut to 09:30-16:00
    on weekdays, and Taylor without its weekends (a 24/5 market) say nothing; a bar missing
    inside those hours is a gap."""
    assert _gap_notes(shared_data / "yahoo_fixtures/EA-15m-no-bad-divs.csv") == []
    import datetime as dt

    def weekday(d: str) -> bool:
        return dt.date.fromisoformat(d[:10]).weekday() < 5

    assert _gap_notes(_taylor(sample_data, tmp_path, weekday)) == []
    hours = _taylor(sample_data, tmp_path, lambda d: weekday(d) and "09:30" <= d[11:16] <= "16:00")
    assert _gap_notes(hours) == []
    hole = _taylor(sample_data, tmp_path, lambda d: weekday(d) and "09:30" <= d[11:16] <= "16:00"
                   and not d.startswith("2000-06-14 11:00"))
    (note,) = _gap_notes(hole)
    assert note.startswith("1 gap in its 30min steps (the largest: 1 step missing between 2000-06-14 10:30")


# --- 3. the too-short error's arithmetic ---------------------------------------------------

@pytest.mark.parametrize("option, parts, fix", [
    (("--input-len", "200"), "input length 200 + horizon 12 + 7 rows for 8 training windows + 12 rows the "
     "slogret transform uses up = 231", "use --input-len 113 or less, a smaller --horizon, or more data"),
    (("--horizon", "140"), "input length 2 + horizon 140 + 7 rows for 8 training windows + 12 rows the "
     "slogret transform uses up = 161", "use --horizon 123 or less with --input-len 2, or more data"),
])
def test_too_short_says_its_sum_and_what_fits(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path,
    option: tuple[str, str], parts: str, fix: str
) -> None:
    """Before: 'too short for input length 200 + horizon 12 (needs at least 231)', whose 19 other
    rows (8 training windows, 12 rows slogret uses up) were not said, nor the --input-len that fits."""
    code, out, err = invoke(capsys, "train", sample_data / "sktime_airline.csv", *TINY, *option)
    assert code == 4
    assert f"sktime_airline' has 144 rows, too short: it needs {parts}; {fix}" in err
    assert err.count("\n") == 1
    fits = ("--input-len", "113") if option[0] == "--input-len" else ("--horizon", "123", "--input-len", "2")
    code, out, err = invoke(capsys, "train", sample_data / "sktime_airline.csv", *TINY, "--quiet", *fits)
    assert code == 0, err


# --- 4. CSV dialects as a European or Excel user writes them -------------------------------

def _msft_closes(sample_data: Path) -> list[tuple[str, float]]:
    header, *rows = read_rows(sample_data / "pmdarima_msft.csv")
    return [(r[0], float(r[header.index("Close")])) for r in rows[-300:]]


def _text(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("".join(f"{line}\n" for line in lines).encode(encoding))
    return path


@pytest.mark.parametrize("cell", ["{c} €", "EUR {c}", "{c}€", "{c} USD"])
def test_a_currency_after_the_number_or_a_code_is_read(sample_data: Path, tmp_path: Path, cell: str) -> None:
    """Before, MSFT's closes written '56,25 €' with ';' trained as 272 class labels (one note
    said so); now they are the numbers, noted as written with currency marks."""
    closes = _msft_closes(sample_data)
    lines = ["Date;Close", *[f"{d};" + cell.format(c=f"{c:.2f}".replace(".", ",")) for d, c in closes]]
    series = load_series(DataSpec(path=str(_text(tmp_path / "eur.csv", lines))))
    assert series.classes == ()
    np.testing.assert_allclose(series.y, [round(c, 2) for _, c in closes])
    assert "column Close: read numbers written with decimal commas and currency marks" in series.notes


@pytest.mark.parametrize("sep, cell", [(",", "{v:.1f}%"), (";", "{v:.1f} %")])
def test_percent_signs_are_read_in_percent(sample_data: Path, tmp_path: Path, sep: str, cell: str) -> None:
    """Before: 'column rate has text that is not a number at rows 2, 3, ... (e.g. '11.2%')'."""
    _, *rows = read_rows(sample_data / "sktime_airline.csv")
    values = [float(v) / 10 for _, v in rows]
    spelled = [cell.format(v=v) if sep == "," else cell.format(v=v).replace(".", ",") for v in values]
    path = _text(tmp_path / "rate.csv", [f"date{sep}rate", *[f"{d}{sep}{s}" for (d, _), s in zip(rows, spelled)]])
    series = load_series(DataSpec(path=str(path)))
    np.testing.assert_allclose(series.y, values)
    assert any("percent signs (kept in percent: 12.5% is 12.5)" in note for note in series.notes)


def test_numbers_with_a_unit_are_refused_not_made_classes(sample_data: Path, tmp_path: Path) -> None:
    """'112 pax' and the like trained as 118 class labels; now refused, naming rows and the fix.
    Seattle's five weather labels stay classes."""
    _, *rows = read_rows(sample_data / "sktime_airline.csv")
    path = _text(tmp_path / "pax.csv", ["date,Passengers", *[f"{d},{v} pax" for d, v in rows]])
    with pytest.raises(DataError, match=r"pax.csv: column 'Passengers' has numbers written with text around "
                                        r"them at rows 2, 3, 4, 5, 6 and 139 more \(e.g. '112 pax'\), which "
                                        r"would be 118 class labels; write plain numbers"):
        load_series(DataSpec(path=str(path), target="Passengers"))
    weather = load_series(DataSpec(path=str(sample_data / "vega_seattle_weather.csv"), target="weather"))
    assert weather.classes == ("drizzle", "fog", "rain", "snow", "sun")


@pytest.mark.parametrize("marker", ["-", "--", "n.a.", "NA", ""])
def test_dash_and_na_cells_are_missing_values(sample_data: Path, tmp_path: Path, marker: str) -> None:
    """Before, '-' and 'n.a.' were 'text that is not a number at rows 12, 13, 52'."""
    _, *rows = read_rows(sample_data / "sktime_airline.csv")
    lines = ["date,Passengers", *[f"{d},{marker if i in (10, 11, 50) else v}" for i, (d, v) in enumerate(rows)]]
    series = load_series(DataSpec(path=str(_text(tmp_path / "gaps.csv", lines))))
    assert len(series) == 144
    assert "filled 3 missing values in Passengers by interpolation (--fill to change)" in series.notes
    with pytest.raises(DataError, match=r"column 'Passengers' has 3 missing values at rows 12, 13, 52"):
        load_series(DataSpec(path=str(tmp_path / "gaps.csv"), fill="error"))


def _gdp(sample_data: Path) -> list[tuple[str, str]]:
    header, *rows = read_rows(sample_data / "statsmodels_macrodata.csv")
    return [(r[header.index("date")], r[header.index("realgdp")]) for r in rows]


@pytest.mark.parametrize("name, sep", [("gdp.txt", "\t"), ("gdp.csv", ",")])
def test_utf16_from_excel_unicode_text_is_read(sample_data: Path, tmp_path: Path, name: str, sep: str) -> None:
    """Excel's "Unicode text" (UTF-16 LE, a byte-order mark, tabs, CRLF): before, "not UTF-8
    text; save it as a UTF-8 CSV"; now read as the same 203 quarters."""
    gdp = _gdp(sample_data)
    text = "\ufeff" + "".join(f"{a}{sep}{b}\r\n" for a, b in [("date", "realgdp"), *gdp])
    (tmp_path / name).write_bytes(text.encode("utf-16-le"))
    series = load_series(DataSpec(path=str(tmp_path / name)))
    assert (len(series), series.freq) == (203, "QS-JAN")
    np.testing.assert_allclose(series.y, [float(v) for _, v in gdp])


def test_a_latin1_file_names_its_first_bad_line(sample_data: Path, tmp_path: Path) -> None:
    closes = _msft_closes(sample_data)
    lines = ["Date;Close", *[f"{d};{c}".replace(".", ",") for d, c in closes[:5]], "Umsätze;1,5"]
    path = _text(tmp_path / "latin.csv", lines, "cp1252")
    with pytest.raises(DataError, match=r"latin.csv: line 7 \(byte 0xe4\) is not UTF-8 text; save the file "
                                        r"as UTF-8 \(Excel: CSV UTF-8\)"):
        load_series(DataSpec(path=str(path)))


@pytest.mark.parametrize("halfhours", [17520, 8000])  # a year (both changes), January to mid-June (spring's)
def test_round_the_clock_times_across_daylight_saving_are_read_as_utc(
    shared_data: Path, tmp_path: Path, halfhours: int
) -> None:
    """elecdemand's half-hours stamped in Berlin time with their offsets (+01:00 / +02:00):
    before, autumn's repeated 02:00-03:00 was refused as "repeated dates ... dedupe the file"
    and spring's skipped hour joined silently; now they are read as UTC, one regular grid."""
    import pandas as pd

    header, *rows = read_rows(shared_data / "tuning/fpp2_elecdemand_halfhourly.csv")
    when = pd.date_range("2014-01-01", periods=halfhours, freq="30min", tz="UTC").tz_convert("Europe/Berlin")
    demand = [r[header.index("demand_gw")] for r in rows[:halfhours]]
    path = _text(tmp_path / "berlin.csv", ["time,demand_gw", *[f"{t.isoformat()},{v}" for t, v in zip(when, demand)]])
    series = load_series(DataSpec(path=str(path)))
    assert (len(series), series.freq, str(series.index[0])) == (halfhours, "30min", "2014-01-01 00:00:00")
    assert not any(" gap" in note for note in series.notes)
    assert any("offsets that change with daylight saving (+01:00, +02:00)" in note and "read as UTC" in note
               for note in series.notes)
    np.testing.assert_allclose(series.y, [float(v) for v in demand])


def test_daily_and_market_hours_keep_their_wall_clock(sample_data: Path, shared_data: Path, tmp_path: Path) -> None:
    """Dates at local midnight across a DST change stay those dates; so do IBE's Madrid days."""
    import pandas as pd

    closes = _msft_closes(sample_data)
    lines = ["Date,Close", *[f"{pd.Timestamp(d).tz_localize('Europe/Berlin').isoformat()},{c}" for d, c in closes]]
    series = load_series(DataSpec(path=str(_text(tmp_path / "berlin_days.csv", lines))))
    assert str(series.index[0]) == f"{closes[0][0]} 00:00:00" and series.freq == "B"
    assert "timestamps had UTC offsets (+01:00, +02:00); kept their local wall-clock times, tz-naive" in series.notes
    madrid = load_series(DataSpec(path=str(shared_data / "yahoo_fixtures/IBE-MC-1d-no-bad-divs.csv")))
    assert any("kept their local wall-clock times" in note for note in madrid.notes)


def test_unquoted_thousands_are_refused_naming_the_line(sample_data: Path, tmp_path: Path) -> None:
    """Before: "column 'date' has repeated steps (12 in all; e.g. 2 at rows 2, 3, 4, 5, 6 and 7
    more)": pandas had made the dates the index and read the thousands as a step column."""
    lines = ["date,realgdp", *[f"{d},{float(v):,.3f}" for d, v in _gdp(sample_data)]]
    with pytest.raises(DataError, match=r"gdp.csv: cannot read as CSV \(its rows have one field more than the "
                                        r"header, e.g. line 2: '1959-01-01,2,710.349'; a number written with a "
                                        r"',' thousands separator must be quoted"):
        load_series(DataSpec(path=str(_text(tmp_path / "gdp.csv", lines))))


def test_r_row_names_are_still_dropped(sample_data: Path, tmp_path: Path) -> None:
    """R's write.table puts row names 1, 2, 3, ... before the fields and none in the header."""
    _, *rows = read_rows(sample_data / "sktime_airline.csv")
    lines = ['"Date","Passengers"', *[f'"{i}","{d}",{v}' for i, (d, v) in enumerate(rows, 1)]]
    series = load_series(DataSpec(path=str(_text(tmp_path / "r.csv", lines))))
    assert (len(series), series.freq, series.y[0]) == (144, "MS", 112.0)


@pytest.mark.parametrize("sep, day, clock", [(",", "%Y.%m.%d", "%H:%M"), (";", "%d.%m.%Y", "%H:%M:%S")])
def test_a_date_column_and_a_time_column_are_joined(
    sample_data: Path, tmp_path: Path, sep: str, day: str, clock: str
) -> None:
    """Brokers' and loggers' exports (Date,Time,...): before, Taylor's half-hours written so were
    refused as "column 'Date' has repeated dates (42 in all ...); dedupe the file or pick one
    series with --series SYMBOL"; now the two columns are one timestamp."""
    import datetime as dt

    _, *rows = read_rows(sample_data / "pmdarima_taylor_halfhourly.csv")
    stamps = [dt.datetime.fromisoformat(d) for d, _ in rows[:2000]]
    lines = [sep.join(["Date", "Time", "demand_mw"]),
             *[sep.join([f"{t:{day}}", f"{t:{clock}}", v]) for t, (_, v) in zip(stamps, rows)]]
    series = load_series(DataSpec(path=str(_text(tmp_path / "dt.csv", lines))))
    assert (len(series), series.freq, series.target) == (2000, "30min", "demand_mw")
    assert [str(t) for t in series.index[[0, -1]]] == [str(stamps[0]), str(stamps[-1])]
    assert "dates: columns 'Date' and 'Time' joined (a date and a time of day)" in series.notes


def test_two_digit_day_first_dates_are_found_by_content(sample_data: Path, tmp_path: Path) -> None:
    """German '06.09.16' under 'Datum': before, "no date column found (...); name it 'date' or pass
    --date-column COL" although --date-column Datum then read them; now found by content."""
    import datetime as dt

    closes = _msft_closes(sample_data)
    lines = ["Datum;Schluss", *[f"{dt.date.fromisoformat(d):%d.%m.%y};{str(c).replace('.', ',')}" for d, c in closes]]
    series = load_series(DataSpec(path=str(_text(tmp_path / "de.csv", lines))))
    assert (len(series), series.freq, str(series.index[0].date())) == (300, "B", closes[0][0])
    assert "dates read as day/month/year (--dayfirst / --no-dayfirst to change)" in series.notes


@pytest.mark.parametrize("sep, spell", [
    (",", lambda v: f'"({-v:,.2f})"' if v < 0 else f'"{v:,.2f}"'),
    (";", lambda v: f"{abs(v):.2f}".replace(".", ",") + ("-" if v < 0 else "")),
])
def test_accounting_negatives_are_read(sample_data: Path, tmp_path: Path, sep: str, spell: object) -> None:
    """MSFT's closes less 60, negatives written (3.75) or 3,75-: before, "text that is not a
    number at rows 2, 3, 4, 5, 6 and 59 more (e.g. '(3.75)')"; now -3.75."""
    values = [round(c - 60, 2) for _, c in _msft_closes(sample_data)]
    lines = [f"Date{sep}Close", *[f"{d}{sep}{spell(v)}" for (d, _), v in zip(_msft_closes(sample_data), values)]]  # type: ignore[operator]
    series = load_series(DataSpec(path=str(_text(tmp_path / "neg.csv", lines))))
    np.testing.assert_allclose(series.y, values)
    assert any("accounting negatives ((12.5) or 12.5- is -12.5)" in note for note in series.notes)


@pytest.mark.parametrize("header", ["date,Close", "Datum,Schluss"])
def test_excel_day_numbers_under_a_date_name_are_dates(sample_data: Path, tmp_path: Path, header: str) -> None:
    """A spreadsheet's dates saved as numbers (42619): before, a step index whose forecasts
    were numbered 43050, 43051, ...; now MSFT's business days again. --freq steps keeps steps."""
    import datetime as dt

    closes = _msft_closes(sample_data)
    day0 = dt.date(1899, 12, 30)
    lines = [header, *[f"{(dt.date.fromisoformat(d) - day0).days},{c}" for d, c in closes]]
    path = _text(tmp_path / "excel.csv", lines)
    series = load_series(DataSpec(path=str(path)))
    first, last = (str(series.index[i].date()) for i in (0, -1))
    assert (series.freq, first, last) == ("B", closes[0][0], closes[-1][0])
    column = header.split(",")[0]
    assert series.notes[1:] == (f"dates: column '{column}' holds Excel day numbers (42619 is 2016-09-06); read as "
                                "dates (--freq steps keeps them as steps)",)
    assert load_series(DataSpec(path=str(path), freq="steps")).freq == "steps"


@pytest.mark.parametrize("spell", ["%G-W%V", "%GW%V", "%G-W%V-%u"])
def test_iso_weeks_are_dates(sample_data: Path, tmp_path: Path, spell: str) -> None:
    """CO2's weeks written 1958-W13: before, "dates that cannot be read at rows 2, 3, 4, 5, 6 and
    2279 more (e.g. '1958-W13')"; now each week's Monday (or its given day), 2,284 weeks."""
    import datetime as dt

    _, *rows = read_rows(sample_data / "statsmodels_co2_weekly.csv")
    days = [dt.date.fromisoformat(d) for d, _ in rows]
    lines = ["week,co2", *[f"{d:{spell}},{v}" for d, (_, v) in zip(days, rows)]]
    series = load_series(DataSpec(path=str(_text(tmp_path / "co2.csv", lines))))
    weekday = "SAT" if spell.endswith("%u") else "MON"
    assert (len(series), series.freq) == (2284, f"W-{weekday}")
    expected = days[0] if spell.endswith("%u") else days[0] - dt.timedelta(days=days[0].weekday())
    assert series.index[0].date() == expected
