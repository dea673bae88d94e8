"""Never a silently wrong answer, never a lost file: the cases of the safety issue, each
driving the real CLI (tests/test_hostile_models.py has the crafted model files)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_runner import invoke

ROOT = Path(__file__).resolve().parent.parent
AIRLINE = ROOT / "sample_data" / "sktime_airline.csv"
MSFT = ROOT / "sample_data" / "pmdarima_msft.csv"
CO2 = ROOT / "sample_data" / "statsmodels_co2_weekly.csv"

FAST = ["--epochs", "1", "--hidden", "4", "-q"]


def _msft_tail(tmp_path: Path, rows: int = 400) -> Path:
    """The last rows of the real MSFT file (a short, fast copy)."""
    frame = pd.read_csv(MSFT).tail(rows)
    path = tmp_path / "msft.csv"
    frame.to_csv(path, index=False)
    return path


# ---------------------------------------------------------------- answers to the question asked


def test_predict_series_uses_that_series_model(
    shared_data: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After --all-series, predict --series AAL forecasts AAL, not the last model trained (ZION)."""
    nyse = shared_data / "nyse_prices_split_adjusted_4sym.csv"
    code, _, err = invoke(capsys, "train", nyse, "--all-series", "--target", "close", *FAST)
    assert code == 0, err
    code, out, err = invoke(capsys, "predict", "--series", "AAL", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["series"] == "AAL" and "-AAL-" in document["model"]
    assert any("--series AAL: using model" in note for note in document["notes"])
    expected = pd.read_csv(nyse).query("symbol == 'AAL'")["close"].iloc[-1]
    assert document["last_value"] == pytest.approx(expected)
    zion = next(n for n in os.listdir(model_home / "models") if "-ZION-" in n)
    code, _, err = invoke(capsys, "predict", "--model", zion, "--series", "AAL")
    assert code == 2 and "trained on series ZION, not AAL" in err and "--model" in err
    assert len(err.strip().splitlines()) == 1


def test_predict_data_reads_the_models_own_target_and_refuses_another_frequency(
    tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = invoke(capsys, "train", AIRLINE, "--name", "air", *FAST)
    assert code == 0, err
    # MSFT has no Passengers column: the model's target is never swapped for Close
    code, out, err = invoke(capsys, "predict", "--model", "air", "--data", MSFT)
    assert code == 4 and "Passengers" in err and "--data needs that column" in err and out == ""
    # the model's own column, but business-day rows: another frequency is refused
    daily = pd.read_csv(MSFT).tail(300).rename(columns={"Close": "Passengers"})[["Date", "Passengers"]]
    daily.to_csv(tmp_path / "daily.csv", index=False)
    code, out, err = invoke(capsys, "predict", "--model", "air", "--data", tmp_path / "daily.csv")
    assert code == 4 and "trained on MS data" in err and "--ignore-freq" in err and out == ""
    code, out, err = invoke(capsys, "predict", "--model", "air", "--data", tmp_path / "daily.csv",
                            "--ignore-freq", "--json")
    assert code == 0, err
    assert any("--ignore-freq" in note for note in json.loads(out)["notes"])


@pytest.mark.parametrize("lr", ["inf", "-inf", "nan", "1e30", "2", "0", "-1e-3"])
def test_absurd_learning_rates_are_refused(lr: str, model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = invoke(capsys, "train", AIRLINE, "--lr", lr, *FAST)
    assert code == 2 and "--lr" in err and len(err.strip().splitlines()) == 1
    assert not (model_home / "models").exists()


def test_absurd_learning_rate_in_a_job_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "job.toml"
    config.write_text(f'[[series]]\nname = "air"\npath = "{AIRLINE}"\nlr = inf\n')
    code, _, err = invoke(capsys, "retrain", "--config", config, "--model-dir", tmp_path / "home")
    assert code == 2 and "'lr'" in err and "finite" in err


def test_huge_network_is_a_config_error_with_the_memory_it_needs(
    model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = invoke(capsys, "train", AIRLINE, "--hidden", "100000", "-q")
    assert code == 2 and "parameters" in err and "GB of memory" in err and "--hidden" in err
    assert "internal error" not in err


def test_non_finite_forecasts_are_errors(monkeypatch: pytest.MonkeyPatch, model_home: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A forecast that comes out NaN is never printed as '-' with exit 0."""
    from forecast.forecaster import Forecaster

    code, _, err = invoke(capsys, "train", AIRLINE, "--name", "air", *FAST)
    assert code == 0, err
    real = Forecaster.predict

    def nan_predict(self: Forecaster, series: object) -> object:
        forecast = real(self, series)
        forecast.point[:] = np.nan
        return forecast

    monkeypatch.setattr(Forecaster, "predict", nan_predict)
    code, out, err = invoke(capsys, "predict", "--model", "air", "--json")
    assert code == 5 and "NaN or infinite" in err and out == ""
    code, out, err = invoke(capsys, "train", AIRLINE, "--name", "air2", *FAST)
    assert code == 1 and "NaN or infinite" in err and "--lr" in err and "internal error" not in err
    assert not (model_home / "models" / "air2").exists()  # nothing broken was saved


def test_values_too_large_to_compute_with_are_bad_data(
    tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv(AIRLINE)
    frame["Passengers"] = frame["Passengers"] * 1e304  # real shape, scaled next to float64's limit
    frame.to_csv(tmp_path / "huge.csv", index=False)
    code, _, err = invoke(capsys, "train", tmp_path / "huge.csv", "--name", "huge", *FAST)
    assert code == 4 and "'Passengers'" in err and "rescale" in err and "1960-" in err
    assert len(err.strip().splitlines()) == 1 and "RuntimeWarning" not in err


def test_warnings_go_through_the_notes_channel_and_into_json(
    monkeypatch: pytest.MonkeyPatch, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A numpy warning raised anywhere in a command is one note line, and JSON carries it."""
    import warnings

    from forecast import api

    assert invoke(capsys, "train", AIRLINE, "--name", "air", *FAST)[0] == 0
    real = api.load_series

    def warns(*args: object, **kwargs: object) -> object:
        with np.errstate(over="warn"):
            np.exp(np.array([1000.0]))
        warnings.warn("something odd", UserWarning, stacklevel=1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "load_series", warns)
    code, out, err = invoke(capsys, "predict", "--model", "air", "--json")
    assert code == 0, err
    assert json.loads(out)["warnings"] == ["RuntimeWarning: overflow encountered in exp",
                                           "UserWarning: something odd"]
    assert err.count("note: RuntimeWarning: overflow encountered in exp") == 1
    assert "np.exp" not in err and "warnings.warn" not in err  # no source lines


def test_predict_json_carries_the_notes(tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = invoke(capsys, "train", CO2, "--name", "co2", *FAST)
    assert code == 0, err
    code, out, err = invoke(capsys, "predict", "--model", "co2", "--json")
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert any("missing" in note or "filled" in note for note in notes), notes


# ---------------------------------------------------------------- never lose the user's data


def test_predict_output_onto_its_own_data_is_refused(
    tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _msft_tail(tmp_path)
    before = data.read_bytes()
    assert invoke(capsys, "train", data, "--name", "m", *FAST)[0] == 0
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    for target in (data, link, tmp_path / "." / "msft.csv"):
        code, _, err = invoke(capsys, "predict", "--model", "m", "--output", target)
        assert code == 2 and "input of this command" in err, err
    model_file = next((model_home / "models" / "m").glob("v*.joblib"))
    model_bytes = model_file.read_bytes()
    code, _, err = invoke(capsys, "predict", "--model", "m", "--output", str(model_file) + "")
    assert code == 2
    assert data.read_bytes() == before and model_file.read_bytes() == model_bytes
    assert invoke(capsys, "predict", "--model", "m")[0] == 0  # the next predict still works


def test_evaluate_output_onto_its_data_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _msft_tail(tmp_path)
    before = data.read_bytes()
    code, _, err = invoke(capsys, "evaluate", data, "--folds", "2", "--output", data, *FAST)
    assert code == 2 and "input of this command" in err, err
    assert "fold" not in err  # refused up front, before the backtest
    assert data.read_bytes() == before


def test_generate_output_onto_the_model_file_is_refused(
    tmp_path: Path, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoke(capsys, "train", AIRLINE, "--name", "air", *FAST)[0] == 0
    model_file = model_home / "models" / "air" / "v0001.joblib"
    before = model_file.read_bytes()
    code, _, err = invoke(capsys, "generate", "--model", "air", "--steps", "3", "--output", model_file)
    assert code == 2 and model_file.read_bytes() == before


# ---------------------------------------------------------------- say what really happened


def test_non_utf8_job_file_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "job.toml"
    config.write_bytes('[[series]]\nname = "caf\u00e9"\n'.encode("latin-1"))
    code, _, err = invoke(capsys, "retrain", "--config", config, "--model-dir", tmp_path / "home")
    assert code == 2 and str(config) in err and "UTF-8" in err and "internal error" not in err


def test_stale_temporaries_are_swept_on_the_next_write(
    model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kill -9 mid-save leaves a temporary file; the next save into that folder removes it."""
    folder = model_home / "models" / "air"
    folder.mkdir(parents=True)
    dead = folder / ".v0001.joblib.999999999.abcd_123.tmp"  # no such pid
    alive = folder / f".v0001.joblib.{os.getpid()}.abcd_124.tmp"  # a writer still running
    dead.write_bytes(b"half")
    alive.write_bytes(b"half")
    assert invoke(capsys, "train", AIRLINE, "--name", "air", *FAST)[0] == 0
    assert not dead.exists() and alive.exists()


def test_a_version_without_current_is_listed_and_used(
    model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A first save killed before its pointer: models list shows it, predict uses it with a note."""
    assert invoke(capsys, "train", AIRLINE, "--name", "air", *FAST)[0] == 0
    (model_home / "models" / "air" / "CURRENT").unlink()
    code, out, _ = invoke(capsys, "models", "list", "--json")
    assert code == 0 and json.loads(out)[0]["current"].startswith("none (newest: v0001")
    code, out, err = invoke(capsys, "predict", "--model", "air", "--json")
    assert code == 0, err
    assert any("no CURRENT pointer" in note and "v0001" in note for note in json.loads(out)["notes"])
    (model_home / "models" / "air" / "v0002.joblib").write_bytes(b"damaged")  # newest is broken
    code, out, err = invoke(capsys, "predict", "--model", "air", "--json")
    assert code == 0, err
    assert any("v0001" in n and "skipped unreadable v0002" in n for n in json.loads(out)["notes"])


def test_a_failed_first_save_leaves_no_empty_model_folder(
    monkeypatch: pytest.MonkeyPatch, model_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    from forecast import persistence

    def full_disk(payload: object, path: Path) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(persistence, "save_bundle", full_disk)
    code, _, err = invoke(capsys, "train", AIRLINE, "--name", "air", *FAST)
    assert code == 1 and "No space left" in err
    assert not (model_home / "models" / "air").exists()


def _connection_refused(*args: object, **kwargs: object) -> None:
    from curl_cffi.requests import exceptions
    from curl_cffi.requests.models import Response

    response = Response()
    response.status_code = 0  # what curl reports when no HTTP answer came
    raise exceptions.ConnectionError("Failed to connect to query2.finance.yahoo.com port 443", response=response)


def test_no_answer_from_yahoo_is_a_network_failure_naming_the_cache(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from yahoo_replay import YahooReplay

    fixtures = shared_data / "yahoo_fixtures"
    home = tmp_path / "home"
    with YahooReplay(fixtures):
        code, _, err = invoke(capsys, "fetch", "AAPL", "--start", "2020-08-31", "--end", "2020-11-07",
                              "--model-dir", home)
    assert code == 0, err
    import yfinance.data

    monkeypatch.setattr(yfinance.data.YfData, "get", _connection_refused)
    monkeypatch.setattr(yfinance.data.YfData, "cache_get", _connection_refused)
    code, _, err = invoke(capsys, "fetch", "AAPL", "--json", "--model-dir", home)
    assert code == 6
    code, out, err = invoke(capsys, "fetch", "AAPL", "--model-dir", home)
    assert code == 6 and "HTTP 0" not in err and "no answer from Yahoo Finance" in err
    assert "cached: 49 1d bars of AAPL up to 2020-11-06" in err
    code, _, err = invoke(capsys, "fetch", "MSFT", "--model-dir", home)
    assert code == 6 and "nothing cached for MSFT" in err


def test_one_yahoo_attempt_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A proxy that accepts connections and never answers: the attempt ends at the timeout."""
    import forecast.data.yahoo as yahoo

    def hangs(*args: object, **kwargs: object) -> None:
        time.sleep(30)

    monkeypatch.setattr(yahoo, "_history_once", hangs)
    monkeypatch.setenv("FORECAST_YAHOO_TIMEOUT", "0.3")
    code, _, err = invoke(capsys, "fetch", "AAPL", "--model-dir", tmp_path)
    assert code == 6 and "did not answer within 0.3 s" in err and "FORECAST_YAHOO_TIMEOUT" in err
    monkeypatch.setenv("FORECAST_YAHOO_TIMEOUT", "soon")
    code, _, err = invoke(capsys, "fetch", "AAPL", "--model-dir", tmp_path)
    assert code == 2 and "FORECAST_YAHOO_TIMEOUT" in err


def test_quiet_means_only_results_and_errors(model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(capsys, "train", CO2, "--name", "co2", *FAST)[0] == 0
    code, out, err = invoke(capsys, "predict", "--model", "co2")
    assert code == 0 and "note:" in err  # the interpolation note, when not quiet
    for command in (["predict", "--model", "co2", "-q"], ["generate", "--model", "co2", "--steps", "3", "-q"]):
        code, out, err = invoke(capsys, *command)
        assert code == 0 and err == "" and out.strip(), command
