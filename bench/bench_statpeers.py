"""Statistical peers (statsforecast) in `forecast evaluate`: what they cost and whether they agree.

Measures, in one run: the import of statsforecast in a fresh process (numba and the rest), the
first forecast in that process against the second (JIT compilation), each peer's seconds per
fold on real series beside the default network's whole backtest, and the peers' MASE against
../shared/data/tuning/reference.json where that folder is present.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "sample_data"
TUNING = ROOT.parent / "shared" / "data" / "tuning"
PEERS = ("autoets", "autotheta", "autoarima", "mstl")
REF_NAME = {"autoets": "sf_autoets", "autotheta": "sf_autotheta", "autoarima": "sf_autoarima", "mstl": "sf_mstl"}

# (label, path, target, folds, horizon, reference key or None)
CASES = [
    ("airline", DATA / "sktime_airline.csv", None, 3, 12, None),
    ("a10", TUNING / "fpp2_a10_monthly.csv", "sales", 4, 12, "a10"),
    ("ausbeer", TUNING / "fpp2_ausbeer_quarterly.csv", "megalitres", 4, 8, "ausbeer"),
    ("usmelec", TUNING / "fpp2_usmelec_monthly.csv", "gwh", 4, 12, "usmelec"),
    ("hyndsight", TUNING / "fpp2_hyndsight_daily.csv", "pageviews", 4, 7, "hyndsight"),
    ("msft (last 1000 days)", None, None, 5, 5, None),
]

SLOW = ("elecdemand", "gasoline")  # 17,520 half-hours and 1,355 weeks: minutes of AutoETS/MSTL fits

IMPORT = ("import time; t = time.perf_counter(); import statsforecast.models as sf; "
          "t1 = time.perf_counter(); import numpy as np; y = np.sin(np.arange(120.0)) + 10 + np.arange(120) / 50; "
          "times = [t1 - t]\n"
          "for cls in (sf.AutoETS, sf.AutoARIMA):\n"
          "    for shift in (0.0, 1.0):\n"
          "        s = time.perf_counter(); cls(season_length=12).forecast(y=y + shift, h=12, level=[80, 90])\n"
          "        times.append(time.perf_counter() - s)\n"
          "print(*times)")


def _import_times(n: int) -> tuple[float, ...]:
    """Median over n fresh processes: import, AutoETS first and second fit, AutoARIMA's two."""
    runs = []
    for _ in range(n):
        out = subprocess.run([PY, "-c", IMPORT], capture_output=True, text=True, check=True).stdout
        runs.append(tuple(float(v) for v in out.split()))
    return tuple(statistics.median(r[i] for r in runs) for i in range(5))


def _series(path: Path | None, target: str | None):  # type: ignore[no-untyped-def]
    from forecast.api import load_series
    from forecast.config import DataSpec

    if path is None:  # MSFT's last 1,000 business days
        full = load_series(DataSpec(path=str(DATA / "pmdarima_msft.csv")))
        return full.rows(len(full) - 1000, len(full))
    return load_series(DataSpec(path=str(path), target=target))


def _tuning_table(ref: dict) -> str:  # type: ignore[type-arg]
    """Every peer on every tuning series, the reference's own folds: our MASE / the reference's."""
    from forecast.api import load_series
    from forecast.config import DataSpec, RunConfig
    from forecast.errors import ForecastError
    from forecast.leaderboard import leaderboard
    from forecast.walkforward import backtest

    rows = []
    for key, entry in ref.items():
        s = entry["settings"]
        peers = [p for p in PEERS if entry["methods"].get(REF_NAME[p], {}).get("MASE") is not None]
        try:
            series = load_series(DataSpec(path=str(ROOT / s["file"]), target=s["value_column"],
                                          series=(s.get("filter") or {}).get("index")))
            bt = backtest(series, RunConfig(), models=peers, folds=s["folds"], horizon=s["horizon"],
                          step=s["step"])
        except ForecastError as err:
            rows.append(f"| {key} | not read: {str(err)[:90]} |" + " |" * len(PEERS))
            continue
        scores = leaderboard(bt).scores.set_index("model")["mase"]
        cells = [f"{scores[p]:.3f} / {entry['methods'][REF_NAME[p]]['MASE']:.3f}" if p in scores else "n/a"
                 for p in PEERS]
        rows.append(f"| {key} | m={bt.season} (ref {s['m']}), {bt.seconds:.1f} s | " + " | ".join(cells) + " |")
    return ("\n\nEvery peer on the tuning set's own folds (`reference.json` settings), MASE ours / "
            "reference (n/a: the reference has none, e.g. AutoARIMA at season 52 or 48):\n\n"
            "| series | season, seconds (all peers) | autoets | autotheta | autoarima | mstl |\n"
            "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
            "A difference is the statsforecast version's (constraints.txt pins 2.0.3, the newest that "
            "installs beside pandas 3; the reference may come from another): tests/test_statpeers.py "
            "checks that every peer's forecasts equal statsforecast called directly on the same folds.\n")


def _rolling_times(path: Path, train_rows: int, horizon: int, repeats: int) -> tuple[str, str, float, float, int]:
    """`forecast train` on the first ``train_rows`` of ``path``, then `predict --rolling` over the
    rest, as whole processes: the bundle as saved, and the same bundle without its saved members
    (what a prediction searched before), alternated ``repeats`` times; medians of the walls."""
    import os
    import tempfile

    from forecast.persistence import load_bundle, save_bundle

    lines = path.read_text().splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        home, train, test = Path(tmp) / "home", Path(tmp) / "train.csv", Path(tmp) / "test.csv"
        train.write_text("\n".join(lines[: train_rows + 1]) + "\n")
        test.write_text("\n".join([lines[0], *lines[train_rows + 1 :]]) + "\n")
        env = {**os.environ, "FORECAST_HOME": str(home)}
        subprocess.run([PY, "-m", "forecast", "train", str(train), "--horizon", str(horizon), "--name", "saved"],
                       env=env, capture_output=True, check=True)
        bundle = home / "models" / "saved" / "v0001.joblib"
        payload = load_bundle(bundle)
        choice = payload["choice"]
        searching = home / "models" / "searching"
        searching.mkdir()
        save_bundle({**payload, "name": "searching", "choice": {k: v for k, v in choice.items() if k != "fitted"}},
                    searching / "v0001.joblib")
        (searching / "CURRENT").write_text("v0001.joblib\n")
        walls: dict[str, list[float]] = {"saved": [], "searching": []}
        for _ in range(repeats):
            for name in walls:
                started = time.perf_counter()
                subprocess.run([PY, "-m", "forecast", "predict", "--model", name, "--data", str(test), "--rolling",
                                "-o", str(Path(tmp) / f"{name}.csv")], env=env, capture_output=True, check=True)
                walls[name].append(time.perf_counter() - started)
    saved = ", ".join(sorted(choice.get("fitted", {}))) or "none"
    return (f"{choice['kind']} of {', '.join(choice.get('members', ()))}", saved,
            statistics.median(walls["saved"]), statistics.median(walls["searching"]), len(lines) - 1 - train_rows)


def _rolling_table(quick: bool) -> str:
    path = TUNING / "fpp2_a10_monthly.csv"
    if not path.exists():
        return ""
    import os

    load = os.getloadavg()[0]
    chose, saved, fast, slow, origins = _rolling_times(path, 144, 12, 1 if quick else 3)
    return (
        "\n`predict --rolling` of a model whose statistical members saved their fits "
        "(`statpeers.fitted`: AutoARIMA's orders and coefficients, AutoETS's form) against the same "
        "bundle without them, which searches at every origin as predictions did before (whole "
        f"processes, median of {1 if quick else 3} alternated runs; load {load:.1f} before):\n\n"
        "| series | trained on | origins | chose | saved | wall, saved | wall, searching | ratio |\n"
        "|---|---:|---:|---|---|---:|---:|---:|\n"
        f"| a10 | 144 months | {origins} | {chose} | {saved} | {fast:.1f} s | {slow:.1f} s | {slow / fast:.1f}x |\n"
    )


def run(quick: bool = False) -> str:
    from forecast import statpeers
    from forecast.config import RunConfig
    from forecast.data.calendar import season_length
    from forecast.leaderboard import leaderboard
    from forecast.walkforward import backtest

    if not statpeers.available():
        return "## Statistical peers\n\nstatsforecast is not installed (`pip install 'forecast[stats]'`).\n"
    imp, ets1, ets2, arima1, arima2 = _import_times(1 if quick else 3)
    ref = json.loads((TUNING / "reference.json").read_text()) if TUNING.is_dir() else {}
    rows = []
    for label, path, target, folds, horizon, key in CASES[:2] if quick else CASES:
        if path is not None and not path.exists():
            continue
        series = _series(path, target)
        kw = {"folds": folds, "horizon": horizon, "step": horizon}
        season = season_length(series.freq) or 1
        peers = [p for p in PEERS if season > 1 or not statpeers.PEERS[p].seasonal_only]
        bt = backtest(series, RunConfig(), models=peers, **kw)
        scores = leaderboard(bt).scores.set_index("model")
        per_fold = bt.fits.groupby("model")["seconds"].mean()
        started = time.perf_counter()
        backtest(series, RunConfig(), models=["lstm"], **kw)
        lstm = time.perf_counter() - started
        cells = []
        for p in PEERS:
            if p not in scores.index:
                cells.append("n/a")
                continue
            theirs = ref.get(key, {}).get("methods", {}).get(REF_NAME[p], {}).get("MASE") if key else None
            match = "" if theirs is None else f" (ref {theirs:.3f})"
            cells.append(f"{scores.loc[p, 'mase']:.3f}{match}, {per_fold[p]:.2f} s")
        rows.append(f"| {label} | {len(series)} | {folds} x {horizon}, m={bt.season} | {lstm:.1f} s | "
                    + " | ".join(cells) + " |")
    return (
        "## Statistical peers (statsforecast)\n\n"
        "`python -m bench.run --only statpeers`: each peer through `walkforward.backtest` on the "
        "given folds (MASE with each fold's in-sample seasonal-naive scale; `ref` = "
        "../shared/data/tuning/reference.json, computed with statsforecast independently) and its "
        "mean seconds per fold, beside the default LSTM's whole backtest on the same folds "
        "(one process, 2-core machine shared with others: ratios within a row are what counts).\n\n"
        f"Import of `statsforecast.models` in a fresh process: {imp:.2f} s (median of "
        f"{1 if quick else 3}); in that process (120 monthly points, horizon 12) AutoETS's first "
        f"fit and forecast {ets1:.3f} s, its second {ets2:.3f} s; AutoARIMA's first {arima1:.2f} s, "
        f"its second {arima2:.2f} s (the difference is what numba's JIT compilation costs).\n\n"
        "| series | rows | folds | lstm backtest | autoets | autotheta | autoarima | mstl |\n"
        "|---|---:|---|---:|---|---|---|---|\n" + "\n".join(rows) + "\n"
        + _rolling_table(quick)
        + ("" if quick or not ref else _tuning_table(
            {k: v for k, v in ref.items() if k not in SLOW}))
    )
