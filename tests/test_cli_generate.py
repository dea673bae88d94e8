"""forecast generate end to end: the command lines of issue 5 on MSFT (business days, log
returns) and airline (monthly, levels) models trained tiny."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast.cli.generate_cmd  # noqa: F401  (registers the verb)
from forecast.cli import main

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--epochs", "2", "--hidden", "8", "--layers", "1", "--device", "cpu", "--quiet"]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder with msft (400-row tail, log returns) and airline (levels, gaussian head,
    trained last)."""
    root = tmp_path_factory.mktemp("gen")
    lines = (ROOT / "sample_data" / "pmdarima_msft.csv").read_text().splitlines()
    msft = root / "msft.csv"
    msft.write_text("\n".join([lines[0], *lines[-400:]]) + "\n")
    air = ROOT / "sample_data" / "sktime_airline.csv"
    for args in (
        [str(msft), "--name", "msft", "--transform", "logret"],
        [str(air), "--name", "air", "--head", "gaussian", "--transform", "level"],
    ):
        with pytest.raises(SystemExit) as done:
            main(["train", *args, *TINY, "--model-dir", str(root)])
        assert done.value.code in (0, None)
    return root


def _gen(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str, str]:
    return _run(capsys, "generate", "--model-dir", str(home), *args)


def test_default_continues_the_latest_model(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, out, err = _gen(capsys, home, "--steps", "25", "--paths", "100", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["model"] == "air" and doc["seed"] == "data:1960-12-01" and doc["paths"] == 100
    assert doc["quantiles"][0]["ds"].startswith("1961-01-01") and doc["quantiles"][-1]["ds"].startswith("1963-01-01")
    assert set(doc["max_drawdown"]) >= {"kind", "q50", "q95"} and doc["threshold"]["value"] == 432.0


def test_zero_seed_creative_run(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, out, err = _gen(capsys, home, "--model", "air", "--seed-from", "zeros", "--steps", "300", "--paths", "20")
    assert code == 0, err
    assert "20 paths x 300 steps" in out and "seed zeros" in out and "max drawdown" in out


def test_data_seed_with_every_output(capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path) -> None:
    args = ["--model", "msft", "--seed-from", "data:2016-06-30", "--steps", "60", "--paths", "50",
            "--random-seed", "7", "--temperature", "0.8", "--threshold", "50", "--json"]
    code, out, err = _gen(capsys, home, *args, "--output", str(tmp_path / "a.csv"), "--plot", str(tmp_path / "fan.png"))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["seed"] == "data:2016-06-30" and doc["threshold"]["value"] == 50.0
    table = pd.read_csv(tmp_path / "a.csv", parse_dates=["ds"])
    assert list(table.columns) == ["series", "model", "target", "path", "step", "ds", "value"]
    assert len(table) == 50 * 60 and set(zip(table["series"], table["model"], table["target"])) == {
        (doc["series"], "msft", doc["target"])}  # the file says what it holds, as predict's does
    first = table[table["step"] == 1]["ds"].unique()
    assert list(first) == [pd.Timestamp("2016-07-01")]
    assert (table["ds"].dt.day_of_week < 5).all() and table["value"].between(20, 120).all()  # dollars
    assert (tmp_path / "fan.png").read_bytes()[:4] == b"\x89PNG"
    code, out, err = _gen(capsys, home, *args, "--output", str(tmp_path / "b.parquet"))
    again = pd.read_parquet(tmp_path / "b.parquet")
    assert list(again.columns) == list(table.columns) and (again["model"] == "msft").all()
    pd.testing.assert_series_equal(again["value"], table["value"], check_exact=False, rtol=1e-12)


def test_seed_file_and_inline_values(capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path) -> None:
    values = [str(100 + i % 7) for i in range(30)]
    seed = tmp_path / "seed.csv"
    seed.write_text("value\n" + "\n".join(values) + "\n")
    for args in (["--seed-from", str(seed)], ["--seed-values", ",".join(values)]):
        code, out, err = _gen(capsys, home, "--model", "air", "--steps", "60", "--paths", "30", "--json", *args)
        assert code == 0, err
        assert json.loads(out)["start"] == 101.0


def test_short_seed_errors_unless_padded(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    base = ["--model", "msft", "--steps", "5", "--paths", "3", "--seed-values", "80,81,82"]
    code, _, err = _gen(capsys, home, *base)
    assert code == 4 and "reads 21" in err and "--pad zeros" in err and err.count("\n") == 1
    code, _, err = _gen(capsys, home, *base, "--pad", "zeros")
    assert code == 0, err


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["--seed-values", "80,abc,82", "--pad", "zeros"], 2, "not a number at position 2"),
        (["--seed-from", "data:2016-13-45"], 2, "not a date; write it like 2016-06-30"),
        (["--seed-from", "data:2016-07-02"], 4, "nearest: 2016-06-30, 2016-07-01, 2016-07-05"),
        (["--seed-from", "nowhere.csv"], 3, "no such file"),
        (["--steps", "0"], 2, "--steps 0"),
        (["--paths", "1000000"], 2, "--paths 1000000"),
        (["--temperature", "-0.5"], 2, "--temperature"),
    ],
)
def test_one_line_errors(
    capsys: pytest.CaptureFixture[str], home: Path, args: list[str], code: int, words: str
) -> None:
    got, _, err = _gen(capsys, home, "--model", "msft", *args)
    assert got == code and words in err and err.count("\n") == 1


def test_same_random_seed_same_paths(capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path) -> None:
    frames = []
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        code, _, err = _gen(capsys, home, "--model", "msft", "--steps", "20", "--paths", "40", "--random-seed", seed,
                            "--output", str(tmp_path / f"{name}.csv"), "--json")
        assert code == 0, err
        frames.append(pd.read_csv(tmp_path / f"{name}.csv"))
    pd.testing.assert_frame_equal(frames[0], frames[1])
    assert not frames[0]["value"].equals(frames[2]["value"])


def test_window_mode_and_temperature_zero(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, out, err = _gen(capsys, home, "--model", "msft", "--mode", "window", "--temperature", "0",
                          "--steps", "10", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["paths"] == 1 and doc["mode"] == "window"
    code, out, err = _gen(capsys, home, "--model", "msft", "--temperature", "0", "--paths", "5",
                          "--steps", "10", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["paths"] == 1 and any("one deterministic path" in n and "not 5" in n for n in doc["notes"])


def test_command_imports_no_torch() -> None:
    code = "import sys, forecast.cli.generate_cmd; print(sorted({'torch', 'matplotlib'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_value_at_risk_and_expected_shortfall_match_a_direct_count() -> None:
    """VaR/ES of generated paths against a plain sort-and-count on known draws."""
    from forecast.fanchart import value_at_risk

    rng = np.random.default_rng(3)
    end = 100 * np.exp(rng.normal(0.0, 0.1, size=20_000))
    paths = np.stack([np.full_like(end, 100.0), end], axis=1)  # (N, 2)
    risk = value_at_risk(paths, 100.0)
    returns = np.sort(end / 100 - 1)
    k = int(0.01 * len(returns))
    assert risk["kind"] == "fraction"
    assert risk["var99"] == pytest.approx(-returns[k], abs=2e-3)
    assert risk["es99"] == pytest.approx(-returns[: k + 1].mean(), abs=2e-3)
    assert risk["es95"] > risk["var95"] > 0 and risk["es99"] > risk["var99"] > risk["var95"]
    # normal log-returns with sigma 0.1: VaR95 = 1 - exp(-1.645 * 0.1)
    assert risk["var95"] == pytest.approx(1 - np.exp(-1.6449 * 0.1), abs=5e-3)
    absolute = value_at_risk(paths - 200.0, -100.0)
    assert absolute["kind"] == "absolute" and absolute["var95"] == pytest.approx(100 * risk["var95"], rel=0.2)


def test_zero_seed_is_drawn_as_its_start_level_only(capsys: pytest.CaptureFixture[str], home: Path,
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A zeros seed has no history: the chart shows the start level, not made-up levels."""
    from forecast import fanchart

    drawn: dict[str, object] = {}

    def capture(path: object, history: pd.Series, *args: object, **kwargs: object) -> object:
        drawn["history"], drawn["label"] = history, kwargs["history_label"]
        return path

    monkeypatch.setattr(fanchart, "plot_fan", capture)
    code, _, err = _gen(capsys, home, "--model", "msft", "--seed-from", "zeros", "--steps", "5",
                        "--plot", tmp_path / "z.png")
    assert code == 0, err
    assert len(drawn["history"]) == 1 and "no history" in str(drawn["label"])  # type: ignore[arg-type]
