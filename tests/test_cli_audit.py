"""What a new user's audit of the CLI found (session 9), each pinned on real data.

Every test here failed before its fix: tables cut to "-443.26…" in a pipe, a calendar gap
joined silently, a silent Ctrl-C, a folder reported as a missing file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from cli_runner import invoke
from csv_rows import read_rows, write_rows

TINY = ("--epochs", "2", "--hidden", "8", "--layers", "1", "--batch-size", "128")


def _airline_rows(sample_data: Path) -> list[list[str]]:
    return read_rows(sample_data / "sktime_airline.csv")


def test_piped_tables_never_cut_numbers_or_dates(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path, tmp_path: Path
) -> None:
    """Airline negated: seven 10-character columns overflow a pipe's 80 columns, and rich cut
    every cell to "1961-01…" / "-443.26…" before; the table now keeps them whole."""
    header, *rows = _airline_rows(sample_data)
    data = write_rows(tmp_path / "negated.csv", [header] + [[d, f"-{v}"] for d, v in rows])
    code, out, err = invoke(capsys, "train", data, *TINY, "--quiet")
    assert code == 0, err
    code, out, err = invoke(capsys, "predict")
    assert code == 0, err
    assert "…" not in out
    assert "1961-01-01" in out and "1961-12-01" in out


def test_a_gap_in_a_monthly_calendar_is_filled_and_said(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path, tmp_path: Path
) -> None:
    """Airline without 1954-01..05: before, the rows either side were joined without a word (a
    139-row series whose seasons after 1953 sat five months off); now the five months are
    missing values that --fill fills (and says so), and --fill error refuses them."""
    from forecast.api import load_series
    from forecast.config import DataSpec

    header, *rows = _airline_rows(sample_data)
    cut = [r for r in rows if not ("1954-01" <= r[0] <= "1954-05")]
    data = write_rows(tmp_path / "gap.csv", [header] + cut)
    series = load_series(DataSpec(path=str(data)))
    assert len(series) == len(rows) == len(cut) + 5
    assert str(series.frame.index[60].date()) == "1954-01-01"
    assert any("5 dates of its MS calendar are missing (1954-01-01" in n for n in series.notes)
    assert any("filled 5 missing values" in n for n in series.notes)
    dropped = load_series(DataSpec(path=str(data), fill="drop"))
    assert len(dropped) == len(cut) and any("joined (--fill drop)" in n for n in dropped.notes)
    code, out, err = invoke(capsys, "train", data, *TINY, "--fill", "error")
    assert code == 4 and err.count("\n") == 1, err
    assert "1954-01-01, 1954-02-01" in err and "--fill interpolate" in err


def test_business_days_keep_their_holidays(sample_data: Path) -> None:
    """MSFT skips 279 weekday holidays: they are not gaps (its rows stay 7,983, no note)."""
    from forecast.api import load_series
    from forecast.config import DataSpec

    series = load_series(DataSpec(path=str(sample_data / "pmdarima_msft.csv")))
    assert series.freq == "B" and len(series) == 7983
    assert not any("missing" in n for n in series.notes)


def test_ctrl_c_in_any_command_says_so(
    capsys: pytest.CaptureFixture[str], model_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typer turned a Ctrl-C inside evaluate, predict or generate into exit 130 with no word at
    all (`timeout -s INT 4 forecast evaluate airline.csv` printed nothing); now one line."""
    import forecast.models.catalog as catalog

    def ctrl_c(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog, "describe_models", ctrl_c)
    code, out, err = invoke(capsys, "models")
    assert code == 130
    assert err.startswith("interrupted (Ctrl-C)") and err.count("\n") == 1, err


def test_a_folder_is_not_reported_as_missing(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path, tmp_path: Path
) -> None:
    """`forecast train sample_data` said "data file 'sample_data' not found; check the path"
    about a path that exists; now it says it is a folder and names files in it (exit 3)."""
    code, out, err = invoke(capsys, "train", sample_data)
    assert code == 3 and err.count("\n") == 1, err
    assert "is a folder, not a file" in err and "pmdarima_msft.csv" in err
    code, out, err = invoke(capsys, "retrain", "--config", tmp_path)
    assert code == 3 and "is a folder, not a file" in err, err


def test_one_column_and_repeated_steps_say_what_is_wrong(
    capsys: pytest.CaptureFixture[str], model_home: Path, sample_data: Path, tmp_path: Path
) -> None:
    """Airline's Passengers alone: the values were read as their own step index and the error
    was "column 'Passengers' has repeated dates (25 in all; e.g. 118 ...)"; now it says the
    file has one column. A step index that repeats says steps, not dates."""
    header, *rows = _airline_rows(sample_data)
    alone = write_rows(tmp_path / "alone.csv", [header[1:]] + [r[1:] for r in rows])
    code, out, err = invoke(capsys, "train", alone)
    assert code == 4 and err.count("\n") == 1, err
    assert "only one column ('Passengers')" in err and "date,value" in err
    steps = write_rows(tmp_path / "steps.csv", [["t", "y"]] + [[str(1 + i // 2), v] for i, (_, v) in enumerate(rows)])
    code, out, err = invoke(capsys, "train", steps)
    assert code == 4 and "column 't' has repeated steps" in err, err


def test_predict_a_series_no_model_has_is_a_missing_model(
    capsys: pytest.CaptureFixture[str], model_home: Path, shared_data: Path
) -> None:
    """After `train nyse.csv --series AAL`, `predict --series ZION` exited 2 (bad command line);
    README's exit codes give 3 to a missing model or series, and now it is 3."""
    data = shared_data / "nyse_prices_split_adjusted_4sym.csv"
    code, out, err = invoke(capsys, "train", data, "--series", "AAL", *TINY, "--quiet")
    assert code == 0, err
    code, out, err = invoke(capsys, "predict", "--series", "ZION")
    assert code == 3 and err.count("\n") == 1, err
    assert "no saved model of series ZION" in err and "train one with --series ZION" in err


def test_too_large_values_name_their_step_or_date(
    capsys: pytest.CaptureFixture[str], model_home: Path, shared_data: Path, sample_data: Path, tmp_path: Path
) -> None:
    """fpp2 goog (t,close) scaled by 1e300: the error named "row dated 1970-01-01T00:16:28",
    the step index read as seconds since 1970; now "at step 988". Dates lose "T00:00:00"."""
    with (shared_data / "tuning" / "fpp2_goog_trading_days.csv").open(newline="") as f:
        header, *rows = list(csv.reader(f))
    data = write_rows(tmp_path / "goog_huge.csv", [header] + [[t, f"{v}e300"] for t, v in rows])
    code, out, err = invoke(capsys, "train", data)
    assert code == 4 and err.count("\n") == 1, err
    assert "(at step 988)" in err and "1970" not in err
    header, *rows = _airline_rows(sample_data)
    data = write_rows(tmp_path / "air_huge.csv", [header] + [[d, f"{v}e300"] for d, v in rows])
    code, out, err = invoke(capsys, "train", data)
    assert code == 4 and "(at the row dated 1960-07-01)" in err, err


def test_generate_seeds_a_step_indexed_series_by_step(
    capsys: pytest.CaptureFixture[str], model_home: Path, shared_data: Path
) -> None:
    """fpp2 goog (t,close): `generate --seed-from data:500` said "not a date" and data:5000 was an
    internal error (AttributeError on index.tz, exit 1); now a step seeds, a missing one is exit 4."""
    data = shared_data / "tuning" / "fpp2_goog_trading_days.csv"
    code, out, err = invoke(capsys, "train", data, *TINY, "--quiet")
    assert code == 0, err
    code, out, err = invoke(capsys, "generate", "--seed-from", "data:500", "--steps", "3", "--paths", "5", "--json")
    assert code == 0, err
    assert '"seed": "data:500"' in out and '"ds": 501' in out
    code, out, err = invoke(capsys, "generate", "--seed-from", "data:5000", "--steps", "3")
    assert code == 4 and "no row at that step" in err and "1 to 1000" in err, err
    code, out, err = invoke(capsys, "generate", "--seed-from", "data:abc", "--steps", "3")
    assert code == 2 and "not a step; give a step number" in err, err  # a typo on the command line


def test_predict_plot_of_a_step_indexed_series(
    capsys: pytest.CaptureFixture[str], model_home: Path, shared_data: Path, tmp_path: Path
) -> None:
    """fpp2 goog (t,close): `predict --plot` was an internal error ('Index' object has no
    attribute 'tz_localize', exit 1); now it draws steps 941..1005 on a plain axis."""
    code, out, err = invoke(capsys, "train", shared_data / "tuning" / "fpp2_goog_trading_days.csv", *TINY, "--quiet")
    assert code == 0, err
    chart = tmp_path / "goog.png"
    code, out, err = invoke(capsys, "predict", "--plot", chart)
    assert code == 0, err
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_piped_tables_keep_times_on_one_line(
    capsys: pytest.CaptureFixture[str], model_home: Path, shared_data: Path
) -> None:
    """Yahoo's EA 15-minute bars: forecast times wrapped to "2026-06-03" over "14:30" (or were
    cut to "2026-06-03 14:…") in a pipe; a time stays whole on one line."""
    bars = shared_data / "yahoo_fixtures" / "EA-15m-no-bad-divs.csv"
    code, out, err = invoke(capsys, "train", bars, *TINY, "--quiet")
    assert code == 0, err
    code, out, err = invoke(capsys, "predict")
    assert code == 0, err
    assert "2026-06-03 14:30" in out and "…" not in out
