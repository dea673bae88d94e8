"""``forecast retrain`` and ``forecast schedule`` end to end (tiny models, real data)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import invoke

import forecast.cli.retrain_cmd  # noqa: F401  (registers retrain and schedule)

TOML = """folds = 2
[defaults]
epochs = 1
hidden = 8
layers = 1
batch_size = 64
device = "cpu"
input_len = 12
horizon = 6

[[series]]
name = "air"
path = "data/airline.csv"
"""
HOLD = """
import sys, time
from forecast.lock import retrain_lock
lock = retrain_lock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return invoke(capsys, *args)


@pytest.fixture()
def config(tmp_path: Path, sample_data: Path) -> Path:
    (tmp_path / "jobs" / "data").mkdir(parents=True)
    (tmp_path / "jobs" / "data" / "airline.csv").write_bytes(
        (sample_data / "sktime_airline.csv").read_bytes())
    path = tmp_path / "jobs" / "forecast.toml"
    path.write_text(TOML)
    return path


def test_retrain_twice_second_is_no_change(config: Path, model_home: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # cron runs from anywhere: paths come from the config's folder
    code, out, err = run_cli(["retrain", "--config", str(config)], capsys)
    assert code == 0, err
    assert "air" in out and "first" in out and "v0001" in out and "log " in out
    code, out, err = run_cli(["retrain", "--config", str(config), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["ok"] and doc["counts"]["no change"] == 1
    assert doc["series"][0]["status"] == "no change" and doc["series"][0]["current"] == "v0001"
    assert Path(doc["summary"]).parent == model_home / "logs" and Path(doc["log"]).is_file()
    assert sorted(p.name for p in (model_home / "models" / "air").glob("v*")) == ["v0001.joblib"]
    code, out, err = run_cli(["models", "list", "--json"], capsys)
    assert code == 0 and json.loads(out)[0]["name"] == "air"


def test_overlapping_run_exits_9_naming_the_holder(config: Path, model_home: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(model_home)], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        code, out, err = run_cli(["retrain", "--config", str(config)], capsys)
    finally:
        child.kill()
        child.wait()
    assert code == 9 and out == ""
    assert err.count("\n") == 1 and f"pid {child.pid} on" in err and "retrain.lock" in err
    assert not (model_home / "models").exists() and not (model_home / "logs").exists()
    code, _, err = run_cli(["retrain", "--config", str(config), "-q"], capsys)
    assert code == 0, err  # the killed holder left no stale lock


def test_failing_series_exits_10_and_the_others_are_saved(config: Path, model_home: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    config.write_text(TOML + '\n[[series]]\nname = "gone"\npath = "data/missing.csv"\n')
    code, out, err = run_cli(["retrain", "--config", str(config), "--json"], capsys)
    assert code == 10
    doc = json.loads(out)
    assert [s["status"] for s in doc["series"]] == ["first", "failed"] and not doc["ok"]
    assert err.strip().splitlines()[-1].startswith("error: 1 of 2 series failed (gone); the others")
    assert (model_home / "models" / "air" / "v0001.joblib").is_file()


def test_bad_config_exits_2_naming_key_and_series(config: Path, model_home: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config.write_text(TOML + "epoch = 3\n")
    code, out, err = run_cli(["retrain", "--config", str(config)], capsys)
    assert code == 2 and out == ""
    assert "series 'air': unknown key 'epoch' (did you mean 'epochs'?)" in err
    assert err.count("\n") == 1


def test_schedule_prints_an_absolute_crontab_line(config: Path, model_home: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(config.parent)
    code, out, err = run_cli(["schedule", "--config", "forecast.toml", "--cron", "30 18 * * 1-5"],
                             capsys)
    assert code == 0, err
    line = out.strip()
    assert "\n" not in line and line.startswith("30 18 * * 1-5 ")
    words = shlex.split(line[len("30 18 * * 1-5 "):])
    assert words[0] == f"FORECAST_HOME={model_home}"
    assert words[1].startswith(f"PATH={Path(sys.executable).parent}{os.pathsep}")
    assert words[2:9] == [sys.executable, "-m", "forecast", "retrain", "--config", str(config),
                          "--quiet"]
    assert words[9:] == [">>", str(model_home / "logs" / "cron.log"), "2>&1"]
    assert (model_home / "logs").is_dir() and "crontab" in err
    code, out, err = run_cli(["schedule", "-c", str(config), "--cron", "30 18 * *"], capsys)
    assert code == 2 and out == "" and "needs 5 fields" in err and err.count("\n") == 1
    code, out, _ = run_cli(["schedule", "-c", str(config), "--cron", "@daily", "--json"], capsys)
    assert code == 0 and json.loads(out)["line"].startswith("@daily FORECAST_HOME=")


def test_schedule_escapes_percent_for_cron(tmp_path: Path) -> None:
    from forecast.cli.retrain_cmd import crontab_line

    line = crontab_line(tmp_path / "a 100%.toml", "0 * * * *", tmp_path / "home", python="/py")
    assert "'" + str(tmp_path / "a 100\\%.toml") + "'" in line and "%" not in line.replace("\\%", "")


def test_predict_after_retrain_finds_the_csv_parsed(config: Path, model_home: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """cron: retrain reads the CSV once; the predict that follows loads its snapshot, no pandas.
    (A net or baseline model: one whose fit chose a statsforecast peer refits it at predict time,
    and importing statsforecast imports pandas, so the fit here leaves the peers out.)"""
    monkeypatch.setattr("forecast.statpeers.available", lambda: False)
    code, _, err = run_cli(["retrain", "--config", str(config)], capsys)
    assert code == 0, err
    assert len(list((model_home / "snapshots").glob("*.npz"))) == 1
    probe = ("import sys\nfrom forecast.cli import main\ntry:\n    main(['predict', '--model', 'air', '--json'])\n"
             "except SystemExit as done:\n    assert not done.code\nprint('pandas' in sys.modules, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env={**os.environ, "FORECAST_HOME": str(model_home)})
    assert json.loads(done.stdout)["model"] == "air"
    assert done.stderr.strip().splitlines()[-1] == "False"


def test_an_unreadable_current_model_is_retrained_and_said(config: Path, model_home: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A current version damaged (or replaced by a foreign file) while the data stayed the same:
    cron's retrain said "no change" (exit 0) before and predict failed every day after. Now it
    trains a new version, says the old one was unreadable, and predict works again."""
    assert run_cli(["retrain", "--config", str(config), "-q"], capsys)[0] == 0
    (model_home / "models" / "air" / "v0001.joblib").write_bytes(b"not a model\n")
    assert run_cli(["predict", "--model", "air"], capsys)[0] == 5
    code, out, err = run_cli(["retrain", "--config", str(config), "--json"], capsys)
    assert code == 0, err
    series = json.loads(out)["series"][0]
    assert (series["status"], series["version"], series["current"]) == ("first", "v0002", "v0002")
    assert any("current version was unreadable" in n and "v0001.joblib" in n for n in series["notes"])
    assert run_cli(["predict", "--model", "air", "-q"], capsys)[0] == 0
    code, out, _ = run_cli(["retrain", "--config", str(config), "--json"], capsys)
    assert code == 0 and json.loads(out)["series"][0]["status"] == "no change"


def test_a_model_folder_that_cannot_be_written_fails_that_series_only(
        config: Path, model_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A series whose model folder the OS refuses (here a file in its place; a read-only folder
    alike): before, the OSError ended the whole run (exit 1), the other series' trained model
    unsaved and no summary written. Now that series fails (exit 10) and the others are saved."""
    config.write_text(TOML + '\n[[series]]\nname = "blocked"\npath = "data/airline.csv"\n')
    (model_home / "models").mkdir(parents=True)
    (model_home / "models" / "blocked").write_text("a file where the model folder goes\n")
    code, out, err = run_cli(["retrain", "--config", str(config), "--json"], capsys)
    assert code == 10, err
    doc = json.loads(out)
    assert [s["status"] for s in doc["series"]] == ["first", "failed"]
    assert "could not save the model" in doc["series"][1]["error"]
    assert Path(doc["summary"]).is_file() and (model_home / "models" / "air" / "v0001.joblib").is_file()


def test_a_run_whose_every_series_failed_says_nothing_was_saved(config: Path, model_home: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A job whose only data file is missing said "1 of 1 series failed (air); the others were
    saved" before; there were no others. Now: nothing was saved (exit 10 as before)."""
    config.write_text(TOML.replace("data/airline.csv", "data/missing.csv"))
    code, _, err = run_cli(["retrain", "--config", str(config)], capsys)
    assert code == 10 and "not found" in err
    assert "1 of 1 series failed (air); nothing was saved; see " in err and "the others" not in err
