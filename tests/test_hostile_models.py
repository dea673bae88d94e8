"""Every crafted model file in tests/hostile_models.py, through every command that loads a model.

Each must exit 5 with one line on stderr, and the marker file that its code would create
must never exist. Pointers (CURRENT, LATEST) and names that try to leave the models folder
are refused too.
"""

from __future__ import annotations

import copyreg
import shutil
from collections.abc import Iterator
from pathlib import Path

import joblib
import pytest
from cli_runner import invoke
from hostile_models import (
    CORPUS,
    EXTENSION_CODES,
    GOOD_ARIMA,
    GOOD_DISTRIBUTION,
    Genuine,
    RunsCode,
    ensemble_file,
    with_arima,
    with_choice,
    with_distribution,
)

from forecast.persistence import MAGIC, load_bundle

ROOT = Path(__file__).resolve().parent.parent
AIRLINE = ROOT / "sample_data" / "sktime_airline.csv"
GOLDEN = ROOT / "tests" / "golden" / "lstm_airline_v1.joblib"


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Genuine:
    from forecast import api
    from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig

    home = tmp_path_factory.mktemp("genuine")
    run = RunConfig(data=DataSpec(path=str(AIRLINE)), model=ModelConfig(hidden=4, layers=1),
                    train=TrainConfig(epochs=1, device="cpu"))
    api.train(run, name="good", model_dir=home)
    path = home / "models" / "good" / "v0001.joblib"
    raw = path.read_bytes()
    assert raw.startswith(MAGIC)
    return Genuine(v2=raw, v1=GOLDEN.read_bytes(), payload=load_bundle(path))


@pytest.fixture(autouse=True, scope="module")
def extensions_registered() -> Iterator[None]:
    """Make the EXT1/2/4 attacks real: their codes resolve to os.system in this process."""
    for code, name in zip(EXTENSION_CODES, ("system", "popen", "execv")):
        copyreg.add_extension("os", name, code)
    yield
    for code, name in zip(EXTENSION_CODES, ("system", "popen", "execv")):
        copyreg.remove_extension("os", name, code)


def _home_with(tmp_path: Path, data: bytes) -> Path:
    """A FORECAST_HOME whose model 'victim' (current and latest) is the crafted file."""
    home = tmp_path / "home"
    folder = home / "models" / "victim"
    folder.mkdir(parents=True)
    (folder / "v0001.joblib").write_bytes(data)
    (folder / "CURRENT").write_text("v0001.joblib\n")
    (home / "models" / "LATEST").write_text("victim\n")
    return home


COMMANDS = {
    "predict-by-name": ["predict", "--model", "victim"],
    "predict-by-path": ["predict", "--model", "{path}"],
    "predict-latest": ["predict"],
    "predict-json": ["predict", "--json"],
    "models-show": ["models", "show", "victim"],
    "generate": ["generate", "--model", "victim", "--steps", "3", "--paths", "2"],
}


def test_the_corpus_is_large_and_covers_the_issue() -> None:
    assert len(CORPUS) >= 30
    for needed in ("numpy-dtypes-dotted-builtins-eval", "stealth-v1-genuine-bundle-with-eval",
                   "stealth-v2-genuine-bundle-with-eval", "reduce-builtins-eval-protocol-0",
                   "nested-pickle-in-joblib-object-array", "zlib-bomb-v1", "v2-zlib-bomb",
                   "v2-nan-weights-valid-digest", "copyreg-extension-82"):
        assert needed in CORPUS
    assert sum(name.startswith("dotted-name-under-") for name in CORPUS) == 4


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_hostile_file_is_refused_by_every_command(
    kind: str, genuine: Genuine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    data = CORPUS[kind](marker, genuine)
    home = _home_with(tmp_path, data)
    path = home / "models" / "victim" / "v0001.joblib"
    for label, command in COMMANDS.items():
        args = [a.replace("{path}", str(path)) for a in command]
        code, out, err = invoke(capsys, *args, "--model-dir", home)
        assert code == 5, (label, code, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (label, err)
        assert "Traceback" not in err
        assert not marker.exists(), (label, "the crafted file ran code")
    assert path.read_bytes() == data  # nothing rewrote the evidence


def test_the_markers_are_real(genuine: Genuine, tmp_path: Path) -> None:
    """The attacks work on an unprotected loader, so a missing marker means something."""
    import pickle
    import zlib

    for kind in ("numpy-dtypes-dotted-builtins-eval", "stack-global-os-system", "copyreg-extension-82",
                 "stealth-v1-genuine-bundle-with-eval", "dotted-name-under-joblib.numpy_pickle"):
        marker = tmp_path / f"{kind}.marker"
        data = CORPUS[kind](marker, genuine)
        data = zlib.decompress(data) if data[:1] == b"\x78" else data
        try:
            pickle.loads(data)
        except Exception:
            pass
        assert marker.exists(), kind
    marker = tmp_path / "joblib.marker"
    joblib.dump(RunsCode(Path.touch, marker), tmp_path / "plain.joblib")
    joblib.load(tmp_path / "plain.joblib")
    assert marker.exists()


def test_the_genuine_bundles_load(genuine: Genuine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The corpus tampers with files that are good: untouched, they load and predict."""
    home = _home_with(tmp_path, genuine.v2)
    code, out, err = invoke(capsys, "predict", "--model", "victim", "--json", "--model-dir", home)
    assert code == 0, err
    legacy = tmp_path / "legacy.joblib"
    shutil.copy(GOLDEN, legacy)
    code, _, err = invoke(capsys, "predict", "--model", legacy, "--data", AIRLINE, "--model-dir", home)
    assert code == 0, err


@pytest.mark.parametrize("extra", [{}, {"centre": "drift", "scale": 1.1}], ids=["point", "drift"])
def test_a_genuine_bundle_with_a_sound_price_distribution_loads(
        genuine: Genuine, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: dict) -> None:
    """The v2-price-distribution-* files differ from one of these only in the field they break
    (bundles before 2026-12-07 centre on the point and have no spread factor)."""
    home = _home_with(tmp_path, with_distribution(genuine, {**GOOD_DISTRIBUTION, **extra}))
    code, _, err = invoke(capsys, "predict", "--model", "victim", "--json", "--model-dir", home)
    assert code == 0, err


def test_a_genuine_bundle_with_sound_saved_members_loads_and_predicts_with_them(
        genuine: Genuine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The v2-arima-*, v2-ets-* and v2-fitted-* files differ from this one only in the field
    they break; its forecast is the median of four members, two of them the saved ones."""
    home = _home_with(tmp_path, with_arima(genuine, GOOD_ARIMA))
    code, out, err = invoke(capsys, "predict", "--model", "victim", "--json", "--model-dir", home)
    assert code == 0, err


def test_a_genuine_seed_ensemble_bundle_loads_and_predicts(
        genuine: Genuine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The v2-ensemble-* files differ from this one (two members, every key and shape right)
    only in the field they break; it loads, predicts and generates like any bundle."""
    home = _home_with(tmp_path, ensemble_file(genuine, seeds=2))
    for args in (["predict", "--model", "victim", "--json"], ["models", "show", "victim"],
                 ["generate", "--model", "victim", "--steps", "3", "--paths", "2"]):
        code, _, err = invoke(capsys, *args, "--model-dir", home)
        assert code == 0, (args, err)


SOUND_CHOICES = {
    "net": {"member": "lstm", "kind": "net"},
    "naive": {"member": "naive", "kind": "baseline", "metric": "mae"},
    "seasonal-naive": {"member": "seasonal_naive", "kind": "baseline", "metric": "mae", "season": 12},
    "log-drift": {"member": "log_drift", "kind": "baseline", "metric": "mae", "anchor": "log_drift"},
    "median": {"member": "median", "kind": "median", "metric": "mae", "members": ["autoets", "autotheta"],
               "anchor": "median"},
}


@pytest.mark.parametrize("name", sorted(SOUND_CHOICES))
def test_a_genuine_bundle_with_each_sound_choice_loads_predicts_and_generates(
        genuine: Genuine, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    """The v2-choice-* files differ from one of these only in the field they break."""
    if name == "median":
        pytest.importorskip("statsforecast", reason="the stats extra is not installed")
    home = _home_with(tmp_path, with_choice(genuine, **SOUND_CHOICES[name]))
    for args in (["predict", "--model", "victim", "--json"],
                 ["generate", "--model", "victim", "--steps", "3", "--paths", "2"]):
        code, _, err = invoke(capsys, *args, "--model-dir", home)
        assert code == 0, (args, err)


# ---------------------------------------------------------------- pointers and names


@pytest.mark.parametrize(
    "pointer",
    ["../../outside.joblib", "../other/v0001.joblib", "/tmp/evil.joblib", "v0001.joblib/../../x",
     b"\xff\xfe\x00bad", "", "v1.joblib"],
    ids=["parent-parent", "sibling-model", "absolute", "dotdot-inside", "not-utf8", "empty", "not-a-version"],
)
def test_current_pointer_cannot_leave_its_folder(
    pointer: str | bytes, genuine: Genuine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home_with(tmp_path, genuine.v2)
    (home / "models" / "other").mkdir()
    (home / "models" / "other" / "v0001.joblib").write_bytes(genuine.v2)
    (tmp_path / "outside.joblib").write_bytes(genuine.v2)
    raw = pointer if isinstance(pointer, bytes) else pointer.encode()
    (home / "models" / "victim" / "CURRENT").write_bytes(raw)
    for args in (["predict", "--model", "victim"], ["predict"], ["models", "show", "victim"],
                 ["generate", "--model", "victim", "--steps", "2"]):
        code, _, err = invoke(capsys, *args, "--model-dir", home)
        assert code == 5, (args, err)
        assert "corrupted pointer" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("pointer", ["../other", "/tmp", "..", "victim/../other", b"\xc3\x28"],
                         ids=["parent", "absolute", "dotdot", "dotdot-inside", "not-utf8"])
def test_latest_pointer_cannot_leave_the_models_folder(
    pointer: str | bytes, genuine: Genuine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home_with(tmp_path, genuine.v2)
    raw = pointer if isinstance(pointer, bytes) else pointer.encode()
    (home / "models" / "LATEST").write_bytes(raw)
    code, _, err = invoke(capsys, "predict", "--model-dir", home)
    assert code == 5, err
    assert "corrupted pointer" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["../evilmodel", "../../outsidemodel", "/etc", "..", "a/b"])
def test_model_names_cannot_leave_the_models_folder(
    name: str, genuine: Genuine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home_with(tmp_path, genuine.v2)
    outside = tmp_path / "outsidemodel"
    outside.mkdir()
    (outside / "v0001.joblib").write_bytes(genuine.v2)
    (outside / "v0002.joblib").write_bytes(genuine.v2)
    (outside / "CURRENT").write_text("v0002.joblib\n")
    (home / "evilmodel").mkdir()
    (home / "evilmodel" / "v0001.joblib").write_bytes(genuine.v2)
    (home / "evilmodel" / "CURRENT").write_text("v0001.joblib\n")
    for args in (["models", "show", name], ["models", "rollback", name], ["models", "rollback", name,
                                                                           "--to", "v0001"]):
        code, _, err = invoke(capsys, *args, "--model-dir", home)
        assert code == 2, (args, err)
        assert "model name" in err and len(err.strip().splitlines()) == 1
    assert (outside / "CURRENT").read_text() == "v0002.joblib\n"  # nothing outside was rewritten
