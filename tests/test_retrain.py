"""Scheduled retraining in the library: no-op on unchanged data, champion vs challenger."""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from pathlib import Path

import pytest

from forecast import api, registry
from forecast import retrain as R
from forecast.errors import ConfigError
from forecast.persistence import load_bundle

TINY = 'epochs = 2\nhidden = 8\nlayers = 1\nbatch_size = 64\ndevice = "cpu"\n'


def airline(folder: Path, sample_data: Path, drop: int = 0) -> Path:
    """The airline CSV (without its last ``drop`` months) at folder/data/airline.csv."""
    lines = (sample_data / "sktime_airline.csv").read_text().splitlines()
    path = folder / "data" / "airline.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines[: len(lines) - drop]) + "\n")
    return path


def job_file(folder: Path, extra: str = "", model: str = "lstm") -> Path:
    path = folder / "forecast.toml"
    path.write_text(f"folds = 2\n[defaults]\n{TINY}\n[[series]]\nname = \"air\"\n"
                    f"path = \"data/airline.csv\"\ninput_len = 12\nhorizon = 6\n"
                    f"model = \"{model}\"\n{extra}")
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_promotes_only_when_not_worse_beyond_tolerance() -> None:
    assert R.promotes(1.0, 1.0, 0.0) and R.promotes(0.9, 1.0, 0.0)
    assert not R.promotes(1.05, 1.0, 0.0) and R.promotes(1.05, 1.0, 0.1)
    assert R.promotes(5.0, None, 0.0) and R.promotes(5.0, float("nan"), 0.0)
    assert not R.promotes(float("nan"), 1.0, 0.5)


def test_second_run_is_a_no_op_and_new_rows_retrain(tmp_path: Path, sample_data: Path) -> None:
    airline(tmp_path, sample_data, drop=12)
    config, home = job_file(tmp_path), tmp_path / "home"
    first = R.retrain(config, home=home)
    (out,) = first.outcomes
    assert (out.status, out.version, out.current, out.rows) == ("first", "v0001", "v0001", 132)
    assert out.metric == "mase" and out.challenger is not None and out.challenger > 0
    v1 = home / "models" / "air" / "v0001.joblib"
    v1_digest = digest(v1)
    assert load_bundle(v1)["metrics"]["mase"] == pytest.approx(out.challenger)

    second = R.retrain(config, home=home)
    assert [(o.status, o.version, o.current) for o in second.outcomes] == [("no change", None, "v0001")]
    assert len(registry.versions(home / "models", "air")) == 1
    assert second.log != first.log and Path(second.summary).is_file()
    summary = json.loads(Path(first.summary).read_text())
    assert summary["ok"] and summary["counts"]["first"] == 1 and summary["series"][0]["name"] == "air"
    assert "air: first (saved v0001" in Path(first.log).read_text()

    airline(tmp_path, sample_data)  # a year of new rows: same settings, so the scores tie
    third = R.retrain(config, home=home)
    (out,) = third.outcomes
    assert (out.status, out.version, out.current, out.rows) == ("promoted", "v0002", "v0002", 144)
    assert out.champion == out.challenger and "same settings" in out.notes[0]
    assert digest(v1) == v1_digest  # versions are never rewritten

    assert api.rollback("air", model_dir=home) == ("v0002", "v0001")
    fourth = R.retrain(config, home=home)  # the rollback stands: nothing new to train on
    assert [(o.status, o.current) for o in fourth.outcomes] == [("no change", "v0001")]
    assert api.predict(model="air", model_dir=home).forecast.point.shape == (6,)


def _fake_score(bad: str, bt: object, model: str) -> tuple[str, float]:
    return "mase", 2.0 if model == bad else 1.0


def test_changed_settings_compete_on_the_same_folds(tmp_path: Path, sample_data: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    airline(tmp_path, sample_data)
    home = tmp_path / "home"
    R.retrain(job_file(tmp_path), home=home)
    seen: list[tuple[str, int, int]] = []
    real_score = R.score

    def spy(bt: object, model: str) -> tuple[str, float]:
        seen.append((model, bt.horizon, len(bt.folds)))  # type: ignore[attr-defined]
        return _fake_score("gru", bt, model)

    monkeypatch.setattr(R, "score", spy)
    kept = R.retrain(job_file(tmp_path, model="gru"), home=home).outcomes[0]
    assert (kept.status, kept.version, kept.current) == ("kept", "v0002", "v0001")
    assert (kept.challenger, kept.champion) == (2.0, 1.0)
    assert seen == [("gru", 6, 2), ("lstm", 6, 2)]  # both backtested, same folds
    assert registry.current_path(home / "models", "air").name == "v0001.joblib"
    assert load_bundle(home / "models" / "air" / "v0002.joblib")["run"]["model"]["name"] == "gru"

    monkeypatch.setattr(R, "score", functools.partial(_fake_score, "lstm"))
    won = R.retrain(job_file(tmp_path, model="gru", extra="hidden = 4\n"), home=home).outcomes[0]
    assert (won.status, won.version, won.current) == ("promoted", "v0003", "v0003")

    monkeypatch.setattr(R, "score", functools.partial(_fake_score, "rnn"))
    within = R.retrain(job_file(tmp_path, model="rnn", extra="tolerance = 1.5\n"), home=home)
    assert within.outcomes[0].status == "promoted"  # 2.0 <= 1.0 * (1 + 1.5)
    assert real_score is not R.score


def test_failing_series_does_not_stop_the_others(tmp_path: Path, sample_data: Path) -> None:
    airline(tmp_path, sample_data)
    (tmp_path / "data" / "short.csv").write_text("date,y\n" + "".join(
        f"2020-01-{d:02d},{d}\n" for d in range(1, 11)))
    config = job_file(tmp_path, extra='\n[[series]]\nname = "short"\npath = "data/short.csv"\n'
                                      '\n[[series]]\nname = "gone"\npath = "data/nope.csv"\n')
    report = R.retrain(config, home=tmp_path / "home")
    status = {o.name: o.status for o in report.outcomes}
    assert status == {"air": "first", "short": "failed", "gone": "failed"}
    errors = {o.name: o.error for o in report.failed}
    assert "10 rows are too few" in errors["short"] and "nope.csv' not found" in errors["gone"]
    assert registry.model_names(tmp_path / "home" / "models") == ["air"]
    log = Path(report.log).read_text()
    assert "short: failed" in log and "gone: failed reading its data" in log
    assert json.loads(Path(report.summary).read_text())["ok"] is False


def test_dask_backend_without_dask_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from forecast.parallel import backend, check_backend

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r"pip install 'forecast\[dask\]'"):
        with backend("dask", "tcp://127.0.0.1:1"):
            pass
    with pytest.raises(ConfigError, match="--backend dask needs --scheduler"):
        check_backend("dask", None)
    with pytest.raises(ConfigError, match="--backend 'ray'"):
        check_backend("ray", None)


def test_ticker_series_from_recorded_prices(shared_data: Path, tmp_path: Path) -> None:
    import pandas as pd
    from yahoo_replay import YahooReplay

    from forecast.data.yahoo import fetch_bars

    config = tmp_path / "forecast.toml"
    config.write_text(f'folds = 2\n[[series]]\nticker = "AAPL"\ninput_len = 5\nhorizon = 2\n{TINY}')
    late = pd.Timestamp("2020-11-07", tz="UTC")
    fetcher = functools.partial(fetch_bars, sleep=lambda s: None)
    with YahooReplay(shared_data / "yahoo_fixtures"):
        first = R.retrain(config, home=tmp_path, fetcher=fetcher, now=late).outcomes[0]
        again = R.retrain(config, home=tmp_path, fetcher=fetcher, now=late).outcomes[0]
    assert (first.name, first.status, again.status) == ("AAPL", "first", "no change")
    assert first.rows == again.rows > 40 and (tmp_path / "prices" / "AAPL_1d.parquet").is_file()
