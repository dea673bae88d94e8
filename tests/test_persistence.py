"""Saving and loading model bundles: round trips, atomic writes, refusing unsafe or broken files.

The golden bundle in tests/golden/ was saved by an earlier forecast; it must keep
loading and predicting the same values (regenerate it only on purpose:
tests/golden/make_golden.py).
"""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from joblib import numpy_pickle

from forecast import api, persistence
from forecast.bundle import from_payload, to_payload
from forecast.config import ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, ModelFileError, NotFoundError
from forecast.forecaster import Forecaster, fit
from forecast.persistence import FORMAT, FORMAT_VERSION, digest, load_bundle, save_bundle

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def make_series(n: int = 60) -> SeriesData:
    index = pd.bdate_range("2022-01-03", periods=n, name="ds")
    values = 50 + 5 * np.sin(np.arange(n) / 3.0) + np.arange(n) * 0.1
    frame = pd.DataFrame({"Close": values}, index=index)
    return SeriesData.from_frame(frame, "Close", (), "B", "synthetic.csv", "synthetic")


@pytest.fixture(scope="module")
def fitted() -> tuple[Forecaster, SeriesData]:
    series = make_series()
    run = RunConfig(
        window=WindowConfig(input_len=8, horizon=3),
        model=ModelConfig(hidden=4, layers=2, dropout=0.2),
        train=TrainConfig(epochs=2, device="cpu"),
    )
    return fit(series, run), series


def plain_payload() -> dict[str, Any]:
    return {
        "name": "m",
        "weights": {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, 2])},
        "flags": np.array([True, False]),
        "nested": {"list": [1, 2.5, None, "x", True, [3, {"deep": -1}]], "empty": {}},
        "nan": float("nan"),
        "tuple": (1, 2),
    }


def assert_same(a: Any, b: Any) -> None:
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


# ---------------------------------------------------------------- round trips


def test_plain_payload_round_trip(tmp_path: Path) -> None:
    payload = plain_payload()
    path = save_bundle(payload, tmp_path / "sub" / "m.joblib")
    assert path == tmp_path / "sub" / "m.joblib"
    assert_same(load_bundle(path), payload)
    assert os.listdir(path.parent) == ["m.joblib"]


def test_forecaster_round_trip_predicts_the_same(tmp_path: Path, fitted: tuple[Forecaster, SeriesData]) -> None:
    forecaster, series = fitted
    path = save_bundle(to_payload(forecaster, series, "syn"), tmp_path / "syn.joblib")
    loaded = from_payload(load_bundle(path), "cpu")
    assert loaded.run == forecaster.run
    for key, value in forecaster.net.state_dict().items():
        assert torch.equal(loaded.net.state_dict()[key], value)
    before, after = forecaster.predict(series), loaded.predict(series)
    np.testing.assert_array_equal(before.point, after.point)
    assert before.index.equals(after.index)
    np.testing.assert_array_equal(loaded.residuals, forecaster.residuals)
    assert loaded.report is not None and loaded.report == forecaster.report
    assert not loaded.net.training  # loaded nets predict in eval mode (no dropout)


def test_calibrated_intervals_survive_the_round_trip(tmp_path: Path) -> None:
    series = make_series(400)  # 37 validation windows: a calibrated point model
    run = RunConfig(window=WindowConfig(input_len=8, horizon=3), model=ModelConfig(hidden=4, layers=1),
                    train=TrainConfig(epochs=1, device="cpu"))
    forecaster = fit(series, run)
    assert len(forecaster.calibration) >= 20
    path = save_bundle(to_payload(forecaster, series, "cal"), tmp_path / "cal.joblib")
    loaded = from_payload(load_bundle(path), "cpu")
    np.testing.assert_array_equal(loaded.calibration, forecaster.calibration)
    assert forecaster.conformal and loaded.conformal["where"] == forecaster.conformal["where"]
    np.testing.assert_array_equal(loaded.conformal["taus"], forecaster.conformal["taus"])
    before, after = forecaster.predict(series), loaded.predict(series)
    assert sorted(after.quantiles) == sorted(before.quantiles) != []
    for level, values in before.quantiles.items():
        np.testing.assert_array_equal(after.quantiles[level], values)


def test_payload_is_plain_data_only(fitted: tuple[Forecaster, SeriesData]) -> None:
    payload = to_payload(*fitted, "syn")
    persistence.check_plain(payload)  # raises on anything that is not plain data
    assert all(isinstance(w, np.ndarray) for w in payload["weights"].values())
    assert payload["data"]["fingerprint"] == fitted[1].fingerprint()
    assert payload["versions"]["torch"] == str(torch.__version__)


@pytest.mark.parametrize(
    "bad",
    [object(), {1: "int key"}, np.float64(1.0), np.array([object()]), torch.zeros(1), {"x": [set()]}],
    ids=["object", "int-key", "numpy-scalar", "object-array", "tensor", "nested-set"],
)
def test_saving_refuses_anything_but_plain_data(tmp_path: Path, bad: Any) -> None:
    with pytest.raises(TypeError):
        save_bundle({"value": bad}, tmp_path / "m.joblib")
    assert os.listdir(tmp_path) == []


def test_digest_ignores_dict_order_but_sees_values() -> None:
    a = {"x": 1, "y": np.zeros(3)}
    assert digest(a) == digest({"y": np.zeros(3), "x": 1})
    assert digest(a) != digest({"x": 1, "y": np.zeros(3, dtype=np.float32)})
    assert digest(a) != digest({"x": 1, "y": np.array([0.0, 0.0, 1e-300])})


# ---------------------------------------------------------------- atomic writes


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()], ids=["oserror", "interrupt"])
def test_failed_write_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    path = save_bundle({"version": "old"}, tmp_path / "m.joblib")
    before = path.read_bytes()

    def half_dump(value: Any, handle: Any, **kwargs: Any) -> None:
        handle.write(b"\x78\x9c half a file")
        raise failure

    monkeypatch.setattr(joblib, "dump", half_dump)
    with pytest.raises(type(failure)):
        save_bundle({"version": "new"}, path)
    assert path.read_bytes() == before
    assert load_bundle(path) == {"version": "old"}
    assert os.listdir(tmp_path) == ["m.joblib"]  # no temporary file left behind


# ---------------------------------------------------------------- crafted files


class RunsCode:
    """Unpickling this calls ``func(*args)``: what a malicious model file does."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.func, self.args


def _document(payload: Any) -> dict[str, Any]:
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "sha256": "0" * 64, "payload": payload}


def _crafted(kind: str, marker: Path, path: Path) -> None:
    touch = RunsCode(pathlib.Path.touch, marker)
    shell = RunsCode(os.system, f"touch {marker}")
    code = RunsCode(eval, f"__import__('pathlib').Path({str(marker)!r}).touch()")
    if kind == "joblib-top-level":
        joblib.dump(touch, path)
    elif kind == "joblib-compressed-os-system":
        joblib.dump(shell, path, compress=3)
    elif kind == "inside-a-valid-looking-bundle":
        joblib.dump(_document({"weights": {"w": np.zeros(2)}, "run": code}), path, compress=3)
    elif kind == "plain-pickle":
        path.write_bytes(pickle.dumps(_document(touch), protocol=4))
    elif kind == "pickle-protocol-0":
        path.write_bytes(pickle.dumps(shell, protocol=0))
    elif kind == "object-array":
        array = np.empty(2, dtype=object)
        array[:] = [1.0, touch]
        joblib.dump(_document({"weights": {"w": array}}), path)
    else:
        raise AssertionError(kind)


CRAFTED = [
    "joblib-top-level",
    "joblib-compressed-os-system",
    "inside-a-valid-looking-bundle",
    "plain-pickle",
    "pickle-protocol-0",
    "object-array",
]


@pytest.mark.parametrize("kind", CRAFTED)
def test_crafted_file_is_refused_and_its_code_never_runs(tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.joblib"
    _crafted(kind, marker, path)
    assert not marker.exists()
    with pytest.raises(ModelFileError, match="refused to load") as info:
        load_bundle(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)
    assert not marker.exists()


def test_the_marker_check_is_real(tmp_path: Path) -> None:
    """An ordinary joblib.load of the same file does run the code: the marker test can fail."""
    marker, path = tmp_path / "pwned", tmp_path / "evil.joblib"
    _crafted("joblib-top-level", marker, path)
    joblib.load(path)
    assert marker.exists()


def test_object_arrays_are_refused_even_by_a_joblib_that_reads_them_unrestricted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """joblib < 1.5 read object arrays with a plain pickle.load; the bundle loader must not rely on it."""
    original = numpy_pickle.NumpyArrayWrapper.read_array

    def old_read_array(self: Any, unpickler: Any, ensure_native_byte_order: bool) -> Any:
        if self.dtype.hasobject:
            return pickle.load(unpickler.file_handle)
        return original(self, unpickler, ensure_native_byte_order)

    monkeypatch.setattr(numpy_pickle.NumpyArrayWrapper, "read_array", old_read_array)
    marker, path = tmp_path / "pwned", tmp_path / "evil.joblib"
    _crafted("object-array", marker, path)
    with pytest.raises(ModelFileError, match="refused to load"):
        load_bundle(path)
    assert not marker.exists()


# ---------------------------------------------------------------- broken files


@pytest.fixture()
def saved(tmp_path: Path, fitted: tuple[Forecaster, SeriesData]) -> Path:
    payload = to_payload(*fitted, "syn")
    payload["created"], payload["report"]["seconds"] = "2024-01-01T00:00:00+00:00", 1.0  # same bytes each run
    return save_bundle(payload, tmp_path / "syn.joblib")


@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.9, 0.999])
def test_truncated_file_is_corrupted(saved: Path, keep: float) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ModelFileError, match="corrupted") as info:
        load_bundle(saved)
    assert "\n" not in str(info.value)


# -1 and -3 fall in zlib's checksum; a flip in the last deflate byte can land in padding bits
# that change nothing, so that byte is not a fair test.
@pytest.mark.parametrize("where", [0, 1, 0.25, 0.5, 0.75, -3, -1])
def test_altered_bytes_are_corrupted(saved: Path, where: float) -> None:
    data = bytearray(saved.read_bytes())
    at = int(where * len(data)) if isinstance(where, float) else where
    data[at] ^= 0x5A
    saved.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupted|not a forecast model file"):
        load_bundle(saved)


@pytest.mark.parametrize("extra", [b"\x00", b"garbage" * 10])
def test_bytes_appended_to_a_file_are_corrupted(saved: Path, extra: bytes) -> None:
    saved.write_bytes(saved.read_bytes() + extra)
    with pytest.raises(ModelFileError, match="corrupted model file \\(checksum mismatch"):
        load_bundle(saved)


def test_the_digest_is_checked_before_any_byte_is_parsed(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Format 2: an altered body is refused by its digest; the inflater and unpickler never see it."""
    data = bytearray(saved.read_bytes())
    data[-10] ^= 0x01
    saved.write_bytes(bytes(data))
    touched: list[str] = []
    monkeypatch.setattr(persistence, "_inflate", lambda *a: touched.append("inflate"))
    monkeypatch.setattr(persistence, "scan_opcodes", lambda *a: touched.append("scan"))
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        load_bundle(saved)
    assert touched == []


def test_a_saved_file_names_no_python_object(saved: Path) -> None:
    """Every opcode of a real bundle is in the plain-data list; the pickle has no GLOBAL at all."""
    raw = saved.read_bytes()
    assert raw.startswith(persistence.MAGIC)
    import pickletools
    import zlib

    body = zlib.decompress(raw[len(persistence.MAGIC) + 72 :])
    names = {op.name for op, _, _ in pickletools.genops(body)}
    assert names <= persistence._PLAIN_OPCODES
    assert not names & {"GLOBAL", "STACK_GLOBAL", "REDUCE", "BUILD", "NEWOBJ"}
    persistence.scan_opcodes(body)


def test_legacy_payload_edited_behind_the_checksum_is_corrupted(tmp_path: Path) -> None:
    """Format 1 (forecast 0.1) keeps its own digest check."""
    payload = {"weights": {"w": np.arange(3.0)}, "name": "old"}
    document = {"format": FORMAT, "format_version": 1, "sha256": digest(payload), "payload": payload}
    joblib.dump(document, tmp_path / "old.joblib", compress=3)
    assert_same(load_bundle(tmp_path / "old.joblib"), payload)
    payload["weights"]["w"][0] = 1e-3
    joblib.dump(document, tmp_path / "old.joblib", compress=3)
    with pytest.raises(ModelFileError, match="corrupted model file \\(checksum mismatch\\)"):
        load_bundle(tmp_path / "old.joblib")


def test_newer_format_version_is_refused(tmp_path: Path) -> None:
    payload = {"name": "future"}
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION + 1,
        "sha256": digest(payload),
        "payload": payload,
    }
    joblib.dump(document, tmp_path / "future.joblib")
    with pytest.raises(ModelFileError, match="newer than this forecast understands.*upgrade"):
        load_bundle(tmp_path / "future.joblib")


@pytest.mark.parametrize("document", [{"a": 1}, [1, 2], {"format": FORMAT, "format_version": "1"}])
def test_other_joblib_files_are_not_models(tmp_path: Path, document: Any) -> None:
    joblib.dump(document, tmp_path / "other.joblib")
    with pytest.raises(ModelFileError):
        load_bundle(tmp_path / "other.joblib")


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        load_bundle(tmp_path / "nope.joblib")
    with pytest.raises(NotFoundError):
        load_bundle(tmp_path)  # a folder is not a model file


def test_payload_for_an_unknown_network_is_a_model_file_error(
    fitted: tuple[Forecaster, SeriesData],
) -> None:
    payload = to_payload(*fitted, "syn")
    payload["run"]["model"]["name"] = "transformer-from-the-future"
    with pytest.raises(ModelFileError, match="retrain"):
        from_payload(payload, "cpu")
    payload = to_payload(*fitted, "syn")
    payload["weights"].popitem()
    with pytest.raises(ModelFileError, match="does not match"):
        from_payload(payload, "cpu")


def test_report_fields_from_another_version_do_not_break_loading(
    fitted: tuple[Forecaster, SeriesData],
) -> None:
    payload = to_payload(*fitted, "syn")
    payload["report"]["added_in_a_later_version"] = 1
    assert from_payload(payload, "cpu").report is not None
    del payload["report"]["epochs_run"]
    assert from_payload(payload, "cpu").report is None  # still loads and predicts
    from_payload(payload, "cpu").predict(fitted[1])


# ---------------------------------------------------------------- devices


def test_model_loads_on_cpu_when_no_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fitted: tuple[Forecaster, SeriesData]
) -> None:
    """Weights are saved as numpy arrays, so the file never names the device it was trained on."""
    path = save_bundle(to_payload(*fitted, "syn"), tmp_path / "syn.joblib")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    forecaster = from_payload(load_bundle(path), "cpu")
    assert {p.device.type for p in forecaster.net.parameters()} == {"cpu"}
    _, _, auto = api.load_model(str(path), device="auto")
    assert {p.device.type for p in auto.net.parameters()} == {"cpu"}
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        api.load_model(str(path), device="cuda")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_trained_model_loads_on_a_cpu_only_process(tmp_path: Path) -> None:
    series = make_series()
    run = RunConfig(
        window=WindowConfig(input_len=8, horizon=3),
        model=ModelConfig(hidden=4, layers=1),
        train=TrainConfig(epochs=2, device="cuda"),
    )
    forecaster = fit(series, run)
    assert next(forecaster.net.parameters()).is_cuda
    path = save_bundle(to_payload(forecaster, series, "gpu"), tmp_path / "gpu.joblib")
    expected = forecaster.predict(series).point
    on_cpu = from_payload(load_bundle(path), "cpu")
    np.testing.assert_allclose(on_cpu.predict(series).point, expected, rtol=1e-4)
    script = (
        "import sys, torch; from forecast.persistence import load_bundle; "
        "from forecast.bundle import from_payload; "
        "f = from_payload(load_bundle(__import__('pathlib').Path(sys.argv[1])), 'cpu'); "
        "print(torch.cuda.is_available(), next(f.net.parameters()).device)"
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "cpu"]


# ---------------------------------------------------------------- the golden bundle


def _golden() -> tuple[Path, dict[str, Any]]:
    expected = json.loads((GOLDEN / "lstm_airline_v1.json").read_text())
    return GOLDEN / expected["bundle"], expected


def test_golden_bundle_is_small_and_versioned() -> None:
    path, expected = _golden()
    assert path.stat().st_size < 50_000
    assert expected["format_version"] == 1
    payload = load_bundle(path)
    assert payload["run"]["model"]["name"] == "lstm"
    assert (payload["run"]["model"]["hidden"], payload["run"]["model"]["layers"]) == (4, 1)
    assert payload["report"]["epochs_run"] == 2


def test_golden_bundle_still_predicts_the_same_values() -> None:
    path, expected = _golden()
    stored = expected["series"]
    index = pd.DatetimeIndex(pd.to_datetime(stored["ds"]), name="ds")
    frame = pd.DataFrame({stored["target"]: np.array(stored["y"], dtype=np.float64)}, index=index)
    series = SeriesData.from_frame(frame, stored["target"], (), stored["freq"], expected["data"], "airline")
    forecaster = from_payload(load_bundle(path), "cpu")
    raw = forecaster.raw_output(series)[0, :, 0].double().numpy()
    np.testing.assert_allclose(raw, expected["forecast"]["model_space"], rtol=1e-6, atol=1e-6)
    forecast = forecaster.predict(series)
    np.testing.assert_allclose(forecast.point, expected["forecast"]["yhat"], rtol=1e-6, atol=1e-6)
    assert [str(d.date()) for d in forecast.index] == expected["forecast"]["ds"]


def test_golden_bundle_predicts_through_the_api_on_the_real_csv() -> None:
    path, expected = _golden()
    result = api.predict(model=str(path), data=str(ROOT / expected["data"]))
    assert result.series.y.tolist() == expected["series"]["y"]
    np.testing.assert_allclose(result.forecast.point, expected["forecast"]["yhat"], rtol=1e-6, atol=1e-6)
    assert [str(d.date()) for d in result.forecast.index] == expected["forecast"]["ds"]
