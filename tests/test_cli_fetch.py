"""``forecast fetch`` end to end on recorded Yahoo answers (offline)."""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from yahoo_replay import YahooReplay

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "forecast" / "cli"
AAPL_RANGE = ["--start", "2020-08-31", "--end", "2020-11-07"]
import forecast.cli.fetch_cmd  # noqa: E402,F401  (registers the command)
from forecast.cli import main  # noqa: E402
from forecast.data import cache  # noqa: E402


@pytest.fixture()
def fixtures(shared_data: Path) -> Path:
    return shared_data / "yahoo_fixtures"


def _run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_fetch_prints_a_table_of_what_was_added(
    fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with YahooReplay(fixtures):
        code = _run(["fetch", "AAPL", *AAPL_RANGE, "--model-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "AAPL" in out and "49" in out and "2020-08-31" in out and "2020-11-06" in out and "new" in out
    assert (tmp_path / "prices" / "AAPL_1d.parquet").is_file()


def test_fetch_json_and_incremental(fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with YahooReplay(fixtures):
        assert _run(["fetch", "AAPL", "--start", "2020-08-31", "--end", "2020-10-01",
                     "--model-dir", str(tmp_path), "--json"]) == 0
        first = json.loads(capsys.readouterr().out)
        assert _run(["fetch", "AAPL", *AAPL_RANGE, "--model-dir", str(tmp_path), "--json"]) == 0
        second = json.loads(capsys.readouterr().out)
    assert first["results"][0]["rows_added"] == 22
    row = second["results"][0]
    assert (row["ok"], row["rows_added"], row["rows_total"], row["reason"]) == (True, 27, 49, "incremental")
    assert row["last"].startswith("2020-11-06") and row["refetched_full"] is False


def test_one_bad_ticker_stores_the_good_and_exits_8(fixtures: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with YahooReplay(fixtures):
        code = _run(["fetch", "AAPL", "NOSUCHTICKERX", *AAPL_RANGE, "--model-dir", str(tmp_path), "--json"])
    captured = capsys.readouterr()
    assert code == 8
    rows = {r["ticker"]: r for r in json.loads(captured.out)["results"]}
    assert rows["AAPL"]["ok"] and rows["AAPL"]["rows_total"] == 49
    assert not rows["NOSUCHTICKERX"]["ok"] and rows["NOSUCHTICKERX"]["exit_code"] == 8
    assert "1 of 2 tickers failed (stored: AAPL)" in captured.err and "NOSUCHTICKERX" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert cache.load("AAPL", root=tmp_path)[0].shape[0] == 49


def test_rate_limit_exits_7_after_retries(fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import forecast.data.yahoo as yahoo

    slept: list[float] = []
    monkeypatch.setattr(yahoo.time, "sleep", slept.append)
    with YahooReplay(fixtures, rate_limit=-1):
        code = _run(["fetch", "AAPL", *AAPL_RANGE, "--model-dir", str(tmp_path)])
    assert code == 7 and slept == [2.0, 4.0]
    assert "rate limit" in capsys.readouterr().err


def test_network_failure_exits_6(fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with YahooReplay(fixtures, offline=True):
        code = _run(["fetch", "AAPL", "--model-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 6 and err.startswith("error: network failure") and len(err.strip().splitlines()) == 1


def test_empty_range_exits_8(fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with YahooReplay(fixtures):
        code = _run(["fetch", "AAPL", "--interval", "1m", "--start", "2025-02-01", "--end", "2025-02-02",
                     "--model-dir", str(tmp_path)])
    assert code == 8 and "no bars" in capsys.readouterr().err


def test_forecast_home_env_is_the_default_root(fixtures: Path, model_home: Path) -> None:
    with YahooReplay(fixtures):
        assert _run(["fetch", "WSU.DE", "--start", "2023-08-04", "--end", "2023-08-09"]) == 0
    assert (model_home / "prices" / "WSU.DE_1d.parquet").is_file()


def test_bad_interval_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["fetch", "AAPL", "--interval", "2d", "--model-dir", str(tmp_path)]) == 2
    assert "--interval" in capsys.readouterr().err


def test_help_has_an_example_and_every_option_explained(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["fetch", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Example: forecast fetch" in out
    for option in ("--start", "--end", "--interval", "--model-dir", "--json"):
        assert option in out
    command = next(c for c in forecast.cli.app.registered_commands if c.callback.__name__ == "fetch")
    hints = typing.get_type_hints(command.callback, include_extras=True)
    hints.pop("return", None)
    for name, hint in hints.items():
        info = hint.__metadata__[0]
        assert info.help, f"option {name} has no help text"


def test_the_command_module_does_not_load_yfinance_or_pandas() -> None:
    code = "import sys\nimport forecast.cli.fetch_cmd\nprint(sorted({'yfinance', 'pandas'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_train_on_a_ticker_then_predict(fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The cache feeds train and predict; forecast dates continue on business days."""
    tiny = ["--epochs", "2", "--hidden", "8", "--layers", "1", "--quiet", "--input-len", "5", "--horizon", "3"]
    with YahooReplay(fixtures):
        assert _run(["fetch", "AAPL", *AAPL_RANGE, "--model-dir", str(tmp_path)]) == 0
        capsys.readouterr()
        assert _run(["train", "--ticker", "AAPL", "--model-dir", str(tmp_path), *tiny, "--json"]) == 0
        trained = json.loads(capsys.readouterr().out)
        assert _run(["predict", "--model-dir", str(tmp_path), "--json"]) == 0
        captured = capsys.readouterr()
    predicted = json.loads(captured.out)
    assert predicted["model"] == trained["model"] == "AAPL-lstm"
    assert predicted["last_date"] == "2020-11-06T00:00:00"  # a Friday
    assert [r["ds"][:10] for r in predicted["forecast"]] == ["2020-11-09", "2020-11-10", "2020-11-11"]
    assert [r["yhat"] for r in predicted["forecast"]] == [r["yhat"] for r in trained["forecast"]]
