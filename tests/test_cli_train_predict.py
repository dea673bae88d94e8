"""forecast train / predict driven through the real CLI, on real files and on broken copies.

Most runs go through ``forecast.cli.main`` in this process (fast); a few run
``python -m forecast`` as a subprocess to see exactly what a user's terminal sees.
"""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from cli_runner import invoke

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
TINY = ("--epochs", "2", "--hidden", "8", "--layers", "1", "--batch-size", "128", "--quiet")
NOTES = TINY[:-1]  # the same, but not --quiet, which hides notes

# Files that need an option to pick a numeric target or one series.
EXTRA_ARGS: dict[str, tuple[str, ...]] = {
    "statsmodels_macrodata.csv": ("--target", "realgdp"),
    "vega_seattle_weather.csv": ("--target", "temp_max"),
    "nyse_prices_split_adjusted_4sym.csv": ("--series", "AAL"),
}


def _sample_files() -> list[str]:
    return sorted(p.name for p in (ROOT / "sample_data").glob("*.csv"))


def _shared_only_files() -> list[str]:
    """CSV files in ../shared/data that are not byte-for-byte copies of a sample file."""
    if not SHARED.is_dir():
        return ["(absent)"]
    samples = {p.read_bytes() for p in (ROOT / "sample_data").glob("*.csv")}
    return sorted(p.name for p in SHARED.glob("*.csv") if p.read_bytes() not in samples)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    def json(self) -> object:
        return json.loads(self.out)  # the whole of stdout must be one document


Cli = Callable[..., Result]


@pytest.fixture()
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str | Path) -> Result:
        return Result(*invoke(capsys, *args))

    return run


def assert_one_line_error(result: Result, code: int, pattern: str = "") -> str:
    assert result.code == code, result
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("error: "), line
    if pattern:
        assert pd.Series([line]).str.contains(pattern, regex=True).iloc[0], line
    assert result.out == ""
    return line


def write_csv(path: Path, values: np.ndarray | list[object], column: str = "value", start: str = "2021-01-04") -> Path:
    dates = pd.bdate_range(start, periods=len(values))
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), column: values}).to_csv(path, index=False)
    return path


@pytest.fixture()
def wave_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "wave.csv", np.round(20 + 3 * np.sin(np.arange(80) / 3.0), 4))


def train_json(cli: Cli, path: Path | str, *extra: str) -> dict[str, object]:
    result = cli("train", path, *TINY, "--json", *extra)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    document = result.json()
    assert isinstance(document, dict)
    return document


def predict_json(cli: Cli, *extra: str | Path) -> dict[str, object]:
    result = cli("predict", "--json", *extra)
    assert result.code == 0, result.err
    document = result.json()
    assert isinstance(document, dict)
    return document


def check_forecast(document: dict[str, object], horizon: int) -> list[dict[str, object]]:
    rows = document["forecast"]
    assert isinstance(rows, list) and len(rows) == horizon
    dates = pd.to_datetime([r["ds"] for r in rows])
    assert dates.is_monotonic_increasing and dates.is_unique
    if "last_date" in document:
        assert dates[0] > pd.Timestamp(str(document["last_date"]))
    return rows


# ---------------------------------------------------------------- every real file


def _train_then_predict(cli: Cli, model_home: Path, path: Path, extra: tuple[str, ...]) -> dict[str, object]:
    trained = train_json(cli, path, *extra)
    horizon = int(trained["horizon"])  # type: ignore[call-overload]
    assert Path(str(trained["path"])).is_file()
    assert Path(str(trained["path"])).is_relative_to(model_home)
    predicted = predict_json(cli)
    assert predicted["model"] == trained["model"]
    rows = check_forecast(predicted, horizon)
    if all(isinstance(r["yhat"], float) for r in rows):
        yhat = np.array([r["yhat"] for r in rows], dtype=float)
        assert np.isfinite(yhat).all()
        # the saved file predicts what the freshly trained network did
        at_train = np.array([r["yhat"] for r in trained["forecast"]], dtype=float)  # type: ignore[union-attr]
        # (trained on a GPU under --device auto, it is predicted on the CPU: float32 kernels differ there)
        np.testing.assert_allclose(yhat, at_train, rtol=1e-9 if trained["device"] == "cpu" else 1e-5)
    return predicted


@pytest.mark.parametrize("name", _sample_files())
def test_train_and_predict_every_sample_csv(cli: Cli, model_home: Path, sample_data: Path, name: str) -> None:
    _train_then_predict(cli, model_home, sample_data / name, EXTRA_ARGS.get(name, ()))


def test_weather_categories(cli: Cli, model_home: Path, sample_data: Path) -> None:
    predicted = _train_then_predict(
        cli, model_home, sample_data / "vega_seattle_weather.csv", ("--target", "weather")
    )
    rows = predicted["forecast"]
    assert isinstance(rows, list)
    labels = {"drizzle", "fog", "rain", "snow", "sun"}
    assert {r["yhat"] for r in rows} <= labels
    for row in rows:
        assert abs(sum(row[f"p_{label}"] for label in labels) - 1.0) < 1e-6


@pytest.mark.parametrize("name", _shared_only_files())
def test_train_and_predict_every_other_shared_csv(cli: Cli, model_home: Path, shared_data: Path, name: str) -> None:
    predicted = _train_then_predict(cli, model_home, shared_data / name, EXTRA_ARGS.get(name, ()))
    if name == "NSE-TATAGLOBAL.csv":  # newest first in the file: sorted, forecast after the newest
        assert predicted["last_date"] == "2018-09-28T00:00:00"
        assert predicted["forecast"][0]["ds"] == "2018-10-01T00:00:00"  # type: ignore[index]
    if name == "nyse_prices_split_adjusted_4sym.csv":
        assert predicted["series"] == "AAL"


def test_shared_files_are_covered(shared_data: Path) -> None:
    names = {p.name for p in shared_data.glob("*.csv")}
    assert {"NSE-TATAGLOBAL.csv", "tatatest.csv", "nyse_prices_split_adjusted_4sym.csv"} <= set(_shared_only_files())
    assert names <= set(_sample_files()) | set(_shared_only_files())


def test_tatatest_is_too_short_for_a_real_window(cli: Cli, model_home: Path, shared_data: Path) -> None:
    result = cli("train", shared_data / "tatatest.csv", *TINY, "--input-len", "20")
    line = assert_one_line_error(result, 4, "too short")
    assert "tatatest.csv" in line and "16 rows" in line and "--input-len" in line
    assert not (model_home / "models").exists()


def test_long_format_without_series_lists_the_symbols(cli: Cli, model_home: Path, shared_data: Path) -> None:
    result = cli("train", shared_data / "nyse_prices_split_adjusted_4sym.csv", *TINY)
    assert_one_line_error(result, 2, r"AAL, DOW, EQIX, ZION.*--series")


# ---------------------------------------------------------------- predict's outputs


def test_predict_json_is_exactly_one_document(cli: Cli, model_home: Path, wave_csv: Path) -> None:
    train_json(cli, wave_csv, "--horizon", "4")
    result = cli("predict", "--json")
    assert result.code == 0
    document = result.json()
    assert isinstance(document, dict)
    assert set(document) >= {"model", "series", "target", "last_date", "last_value", "forecast"}
    assert document["target"] == "value" and document["last_date"] == "2021-04-23T00:00:00"
    check_forecast(document, 4)
    assert "note:" not in result.out  # what the tool decided never goes into the JSON
    table = cli("predict")
    assert "note: target: value" in table.err and "note:" not in table.out  # notes go to stderr


def test_predict_table_and_output_file(cli: Cli, model_home: Path, wave_csv: Path, tmp_path: Path) -> None:
    train_json(cli, wave_csv, "--horizon", "3")
    document = predict_json(cli)
    target = tmp_path / "forecast.csv"
    result = cli("predict", "--output", target)
    assert result.code == 0, result.err
    assert "yhat" in result.out and "2021-04-26" in result.out  # the rich table
    written = pd.read_csv(target)
    assert list(written.columns) == ["series", "model", "target", "ds", "yhat", "q0.05", "q0.1", "q0.5",
                                     "q0.9", "q0.95"]
    assert set(zip(written["series"], written["model"], written["target"])) == {
        (document["series"], document["model"], document["target"])}
    expected = [r["yhat"] for r in document["forecast"]]  # type: ignore[union-attr]
    np.testing.assert_allclose(written["yhat"], expected, rtol=1e-12)
    dates = [r["ds"] for r in document["forecast"]]  # type: ignore[union-attr]
    assert list(pd.to_datetime(written["ds"])) == list(pd.to_datetime(dates))
    assert os.stat(target).st_mode & 0o044  # readable like any file the user writes
    assert sorted(os.listdir(tmp_path)) == sorted(["forecast.csv", "wave.csv", "home"])
    assert_one_line_error(cli("predict", "--output", tmp_path / "f.txt"), 2, r"\.csv or \.parquet")
    assert_one_line_error(cli("predict", "--output", tmp_path / "no" / "f.csv"), 2, "does not exist")


def test_predict_named_model_on_newer_data(cli: Cli, model_home: Path, tmp_path: Path) -> None:
    values = np.round(50 + 5 * np.sin(np.arange(90) / 4.0), 4)
    old = write_csv(tmp_path / "old.csv", values[:70])
    newer = write_csv(tmp_path / "newer.csv", values)
    train_json(cli, old, "--name", "mine")
    train_json(cli, write_csv(tmp_path / "other.csv", values[:60] + 1), "--name", "other")
    document = predict_json(cli, "--model", "mine", "--data", newer)
    assert document["model"] == "mine"
    assert document["last_date"] == str(pd.bdate_range("2021-01-04", periods=90)[-1].isoformat())
    check_forecast(document, 5)
    from_old = predict_json(cli, "--model", "mine")
    assert from_old["last_date"] == str(pd.bdate_range("2021-01-04", periods=70)[-1].isoformat())


def test_predict_rereads_the_data_source(cli: Cli, model_home: Path, wave_csv: Path) -> None:
    train_json(cli, wave_csv)
    before = predict_json(cli)
    with wave_csv.open("a") as handle:
        handle.write("2021-04-26,27.5\n")  # a new trading day (a Monday)
    after = predict_json(cli)
    assert before["last_date"] == "2021-04-23T00:00:00"
    assert after["last_date"] == "2021-04-26T00:00:00" and after["last_value"] == 27.5
    assert after["forecast"][0]["ds"] == "2021-04-27T00:00:00"  # type: ignore[index]
    assert before["forecast"][0]["ds"] == "2021-04-26T00:00:00"  # type: ignore[index]


def test_models_list_and_show(cli: Cli, model_home: Path, wave_csv: Path) -> None:
    train_json(cli, wave_csv, "--name", "w")
    train_json(cli, wave_csv, "--name", "w")
    rows = cli("models", "list", "--json").json()
    path = str(model_home / "models" / "w" / "v0002.joblib")
    assert rows == [{"name": "w", "current": "v0002", "versions": 2, "latest": True, "path": path}]
    info = cli("models", "show", "w", "--json").json()
    assert isinstance(info, dict) and info["versions"] == ["v0001", "v0002"]
    assert info["run"]["model"]["hidden"] == 8  # type: ignore[index]


# ---------------------------------------------------------------- bad input: one line, right code


@pytest.fixture()
def bad_files(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "nonnum.csv").write_text("date,value\n2021-01-04,1\n2021-01-05,abc\n2021-01-06,3\n")
    (folder / "dup.csv").write_text("date,value\n2021-01-04,1\n2021-01-05,2\n2021-01-05,3\n")
    return {
        "ok": write_csv(folder / "ok.csv", np.round(10 + np.sin(np.arange(60.0)), 4)),
        "nonnum": folder / "nonnum.csv",
        "dup": folder / "dup.csv",
        "short": write_csv(folder / "short.csv", np.arange(1.0, 13.0)),
        "negative": write_csv(folder / "neg.csv", np.linspace(-1.0, 10.0, 60), column="price"),
    }


BAD_INPUTS = [
    # (id, args with {name} for a bad file, exit code, pattern in the message)
    ("missing-file", ("train", "{missing}"), 3, r"not found"),
    ("unknown-target", ("train", "{ok}", "--target", "nope"), 2, r"no column 'nope'.*columns: date, value"),
    ("non-numeric-cell", ("train", "{nonnum}"), 4, r"nonnum\.csv: column 'value'.*not a number at rows 3"),
    ("duplicate-dates", ("train", "{dup}"), 4, r"dup\.csv: column 'date' has repeated dates.*rows 3, 4"),
    ("too-short", ("train", "{short}"), 4, r"short\.csv: .*12 rows, too short"),
    ("bad-transform", ("train", "{ok}", "--transform", "bogus"), 2, r"--transform 'bogus'.*auto, level, diff, logret"),
    ("logret-non-positive", ("train", "{negative}", "--transform", "logret"), 4, r"neg\.csv: .*log returns"),
    ("bad-model-name", ("train", "{ok}", "--name", "../escape"), 2, r"model name '\.\./escape'"),
    ("zero-lr", ("train", "{ok}", "--lr", "0"), 2, r"--lr 0: the learning rate must be above 0"),
    ("negative-lr", ("train", "{ok}", "--lr", "-0.01"), 2, r"--lr -0.01: the learning rate must be above 0"),
    ("no-models-yet", ("predict",), 3, r"no trained model in .*forecast train"),
    ("unknown-model", ("predict", "--model", "nope"), 3, r"no model named 'nope'"),
    ("missing-model-file", ("predict", "--model", "{missing_model}"), 3, r"not found"),
]


@pytest.mark.parametrize(("args", "code", "pattern"), [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_one_line_with_its_exit_code(
    cli: Cli, model_home: Path, bad_files: dict[str, Path], args: tuple[str, ...], code: int, pattern: str
) -> None:
    names = {k: str(v) for k, v in bad_files.items()}
    names["missing"] = str(bad_files["ok"].parent / "missing.csv")
    names["missing_model"] = str(bad_files["ok"].parent / "missing.joblib")
    result = cli(*(a.format(**names) for a in args), *(TINY if args[0] == "train" else ()))
    assert_one_line_error(result, code, pattern)
    assert not (model_home / "models").exists() or args[0] == "predict"  # nothing saved


def test_device_cuda_without_a_gpu(
    cli: Cli, model_home: Path, bad_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    result = cli("train", bad_files["ok"], *TINY, "--device", "cuda")
    assert_one_line_error(result, 2, r"--device cuda: no CUDA GPU")
    assert not (model_home / "models").exists()


def test_precision_fp16_on_a_cpu_is_refused_and_bf16_is_reported(
    cli: Cli, model_home: Path, bad_files: dict[str, Path]
) -> None:
    result = cli("train", bad_files["ok"], *TINY, "--device", "cpu", "--precision", "fp16")
    assert_one_line_error(result, 2, r"--precision fp16 needs a CUDA GPU .* use --precision bf16 or fp32")
    assert not (model_home / "models").exists()
    done = cli("train", bad_files["ok"], *TINY, "--device", "cpu", "--precision", "bf16", "--json")
    assert done.code == 0, done.err
    assert done.json()["precision"] == "bf16" and done.json()["skipped_steps"] == 0


def test_usage_errors_exit_2(cli: Cli, model_home: Path, bad_files: dict[str, Path]) -> None:
    ok = bad_files["ok"]
    for args in (("train", ok, "--no-such-option"), ("train", ok, "--epochs", "0"), ("nonsense",)):
        result = cli(*args)
        assert result.code == 2 and "Traceback" not in result.err and result.out == ""


@pytest.fixture()
def trained(cli: Cli, model_home: Path, wave_csv: Path) -> Path:
    """A trained model's current version file."""
    document = train_json(cli, wave_csv, "--name", "m")
    return Path(str(document["path"]))


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupted_model_exits_5(cli: Cli, trained: Path, damage: str) -> None:
    data = bytearray(trained.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    trained.write_bytes(bytes(data))
    assert_one_line_error(cli("predict"), 5, r"corrupted model file")
    assert_one_line_error(cli("models", "show", "m"), 5, r"corrupted model file")


class _Touch:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return pathlib.Path.touch, (self.marker,)


def test_crafted_model_exits_5_and_never_runs(cli: Cli, trained: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    joblib.dump({"format": "forecast-model", "format_version": 1, "payload": _Touch(marker)}, trained, compress=3)
    assert_one_line_error(cli("predict"), 5, r"refused to load")
    assert not marker.exists()
    trained.write_bytes(pickle.dumps(_Touch(marker)))
    assert_one_line_error(cli("predict", "--model", trained), 5, r"refused to load")
    assert not marker.exists()


def test_debug_shows_the_traceback(cli: Cli, model_home: Path) -> None:
    result = cli("--debug", "predict")
    assert result.code == 3
    assert "Traceback (most recent call last)" in result.err
    assert "NotFoundError" in result.err
    assert result.err_lines[-1].startswith("error: no trained model")
    assert cli("predict").err.count("Traceback") == 0  # and only with --debug


def test_failed_train_keeps_the_current_model(
    cli: Cli, model_home: Path, trained: Path, bad_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = trained.parent
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    latest = (model_home / "models" / "LATEST").read_text()
    first = predict_json(cli)

    assert cli("train", bad_files["nonnum"], *TINY, "--name", "m").code == 4  # bad data
    assert cli("train", bad_files["ok"], *TINY, "--name", "m", "--transform", "bogus").code == 2

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(joblib, "dump", disk_full)  # fails while saving, after training
        result = cli("train", bad_files["ok"], *TINY, "--name", "m")
    assert result.code != 0 and "Traceback" not in result.err

    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no new version, no temp file
    assert (model_home / "models" / "LATEST").read_text() == latest
    assert predict_json(cli) == first


def test_predict_from_another_folder_finds_the_data(
    cli: Cli, model_home: Path, wave_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(wave_csv.parent)
    train_json(cli, wave_csv.name)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    predict_json(cli)


def test_failed_train_without_quiet_prints_only_the_error(
    cli: Cli, model_home: Path, bad_files: dict[str, Path]
) -> None:
    result = cli("train", bad_files["dup"], "--epochs", "1")
    assert_one_line_error(result, 4, "repeated dates")


# ---------------------------------------------------------------- as a real process


def _run(*args: str | Path, home: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORECAST_HOME": str(home), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.pop("COLUMNS", None)
    return subprocess.run(
        [sys.executable, "-m", "forecast", *map(str, args)],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )


def test_process_predict_json_and_errors(cli: Cli, model_home: Path, wave_csv: Path) -> None:
    trained = train_json(cli, wave_csv, "--horizon", "3")
    done = _run("predict", "--json", home=model_home)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # nothing but the document on stdout
    assert document["model"] == trained["model"] and len(document["forecast"]) == 3
    assert "Traceback" not in done.stderr

    missing = _run("predict", "--model", "nope", home=model_home)
    assert missing.returncode == 3 and missing.stdout == ""
    assert missing.stderr.strip().count("\n") == 0 and missing.stderr.startswith("error: no model named 'nope'")


def test_model_home_is_isolated(model_home: Path, tmp_path: Path) -> None:
    """FORECAST_HOME points into this test's folder, so tests never touch a real model store."""
    assert os.environ["FORECAST_HOME"] == str(model_home)
    assert model_home.is_relative_to(tmp_path)


def test_train_says_when_it_kept_the_mean_forecast(
    cli: Cli, model_home: Path, wave_csv: Path, sample_data: Path, tmp_path: Path
) -> None:
    """The note appears exactly when the saved report says training never beat the mean."""
    msft = pd.read_csv(sample_data / "pmdarima_msft.csv").tail(400)
    msft_csv = tmp_path / "msft_tail.csv"
    msft.to_csv(msft_csv, index=False)
    seen = set()
    learnable = ("--epochs", "40", "--lr", "0.01")  # a clean wave: training beats the mean
    for name, path, extra in (("wave", wave_csv, learnable), ("msft", msft_csv, ())):
        result = cli("train", path, *NOTES, *extra, "--name", name)
        assert result.code == 0, result.err
        shown = cli("models", "show", name, "--json")
        kept = shown.json()["training"]["kept_initial"]  # type: ignore[index]
        seen.add(kept)
        assert ("no epoch beat the training-mean forecast" in " ".join(result.err.split())) == kept, result.err
        if kept:  # a price's net that learned nothing is no candidate (log_drift is its forecast)
            assert "took no part in the choice" in " ".join(result.err.split())
            chose = " ".join(result.err.split()).split("note: chose ")[1].split("note:")[0]
            assert "lstm" not in chose, chose  # neither chosen nor scored
    assert seen == {True, False}  # both branches ran


# ---------------------------------------------------------------- intervals of point models


def test_point_model_intervals_from_train_to_predict(cli: Cli, model_home: Path, sample_data: Path) -> None:
    trained = train_json(cli, sample_data / "pmdarima_msft.csv")
    assert int(trained["calibration_windows"]) >= 20  # type: ignore[call-overload]
    rows = check_forecast(predict_json(cli), 5)
    for row in rows:
        assert row["q0.05"] < row["q0.1"] < row["q0.5"] < row["q0.9"] < row["q0.95"]
        assert row["q0.05"] < row["yhat"] < row["q0.95"]
    assert [r["q0.95"] for r in rows] == [r["q0.95"] for r in trained["forecast"]]  # type: ignore[union-attr]


def test_short_series_get_intervals_and_say_where_from(cli: Cli, model_home: Path, sample_data: Path) -> None:
    result = cli("train", sample_data / "sktime_airline.csv", *NOTES)  # 10 validation windows
    assert result.code == 0, result.err
    assert "intervals q0.05..q0.95: conformal" in result.err and "no intervals" not in result.err
    assert "q0.05" in result.out
