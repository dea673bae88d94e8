"""Issue 6's figures: retraining 50 series serially vs --jobs 2; a global model vs 50 models.

    python -m bench.run --only retrain [--quick]

The 50 series are non-overlapping 250-row slices of real series, taken in
turn from: half-hourly electricity demand (pmdarima_taylor_halfhourly), weekly
CO2 (statsmodels_co2_weekly), daily MSFT closes (pmdarima_msft) and, when
present, the four NYSE symbols of ../shared/data/nyse_prices_split_adjusted_4sym.csv.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from forecast.api import load_series
from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig, WindowConfig
from forecast.data.series import SeriesData

ROOT = Path(__file__).resolve().parent.parent
NYSE = ROOT.parent / "shared" / "data" / "nyse_prices_split_adjusted_4sym.csv"
SAMPLES = [ROOT / "sample_data" / f"{name}.csv"
           for name in ("pmdarima_taylor_halfhourly", "statsmodels_co2_weekly", "pmdarima_msft")]
GROUPS = {"pmdarima_taylor_halfhourly": "electricity", "statsmodels_co2_weekly": "co2"}
ROWS, INPUT, HORIZON, FOLDS = 250, 20, 5, 2


def slices(count: int) -> list[SeriesData]:
    """``count`` non-overlapping ROWS-row slices of real series, named SOURCE-k."""
    sources = [load_series(DataSpec(path=str(path))) for path in SAMPLES]
    if NYSE.is_file():
        sources += [load_series(DataSpec(path=str(NYSE), series=s)) for s in ("AAL", "DOW", "EQIX", "ZION")]
    out: list[SeriesData] = []
    k = 0
    while len(out) < count:
        for source in sources:
            stop = len(source) - k * ROWS
            if stop - ROWS >= 0 and len(out) < count:
                part = source.rows(stop - ROWS, stop)
                out.append(replace(part, name=f"{source.name}-{k:02d}"))
        k += 1
    return out


def settings(epochs: int) -> str:
    return (f"folds = {FOLDS}\n[defaults]\ninput_len = {INPUT}\nhorizon = {HORIZON}\n"
            f'hidden = 16\nlayers = 1\nepochs = {epochs}\npatience = 0\ndevice = "cpu"\n')


def write_job(folder: Path, series: list[SeriesData], epochs: int) -> Path:
    """One CSV per slice and a job file listing them."""
    lines = [settings(epochs)]
    for s in series:
        s.frame[[s.target]].to_csv(folder / f"{s.name}.csv", index_label="date")
        lines.append(f'[[series]]\nname = "{s.name}"\npath = "{s.name}.csv"\n')
    (folder / "forecast.toml").write_text("\n".join(lines))
    return folder / "forecast.toml"


def _retrain(config: Path, home: Path, jobs: int) -> tuple[float, list[float | None]]:
    from forecast.retrain import retrain

    started = time.perf_counter()
    report = retrain(config, home=home, jobs=jobs)
    assert not report.failed, report.failed[0].error
    return time.perf_counter() - started, [o.challenger for o in report.outcomes]


def _global_vs_local(series: list[SeriesData], run: RunConfig
                     ) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Same folds for both: mean MASE by group of series (and all), and fit seconds."""
    from forecast.forecaster import fit
    from forecast.multiseries import fit_global
    from forecast.parallel import one_thread
    from forecast.walkforward import fold_info, rows, splits

    folds = list(splits(ROWS, folds=FOLDS, horizon=HORIZON))
    scales = {s.name: fold_info(s, folds, 1).set_index("fold")["scale"] for s in series}
    errors: dict[str, list[list[float]]] = {"local": [], "global": [], "naive": []}  # fold, series
    seconds = {"local": 0.0, "global": 0.0}
    with one_thread():
        for fold in folds:
            parts = [rows(s, 0, fold.cutoff) for s in series]
            started = time.perf_counter()
            model = fit_global(parts, run)
            seconds["global"] += time.perf_counter() - started
            local, glob, naive = [], [], []
            for s, part in zip(series, parts):
                truth, scale = s.y[fold.test], scales[s.name][fold.index]
                started = time.perf_counter()
                own = fit(part, run)
                seconds["local"] += time.perf_counter() - started
                local.append(np.abs(own.predict(part).point - truth).mean() / scale)
                glob.append(np.abs(model.forecaster(s.name).predict(part).point - truth).mean() / scale)
                naive.append(np.abs(part.y[-1] - truth).mean() / scale)
            for key, values in (("local", local), ("global", glob), ("naive", naive)):
                errors[key].append(values)
    per_series = {k: np.mean(v, axis=0) for k, v in errors.items()}  # mean over folds
    groups = np.array([GROUPS.get(s.name.rsplit("-", 1)[0], "prices") for s in series])
    table = {g: {k: float(v[groups == g].mean()) for k, v in per_series.items()}
             for g in dict.fromkeys(groups)}
    table["all"] = {k: float(v.mean()) for k, v in per_series.items()}
    return table, seconds


def run(quick: bool = False) -> str:
    count, epochs = (10, 2) if quick else (50, 10)
    series = slices(count)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_job(folder, series, epochs)
        _retrain(config, folder / "warmup", 1)  # torch's one-time start-up costs
        serial_s, serial = _retrain(config, folder / "serial", 1)
        parallel_s, parallel = _retrain(config, folder / "jobs2", 2)
        warm_s, _ = _retrain(config, folder / "jobs2-warm", 2)  # joblib reuses its workers
    same = serial == parallel
    load_after = os.getloadavg()[0]
    run_config = RunConfig(window=WindowConfig(input_len=INPUT, horizon=HORIZON),
                           model=ModelConfig(hidden=16, layers=1),
                           train=TrainConfig(epochs=epochs, patience=0, device="cpu"))
    mase, secs = _global_vs_local(series, run_config)
    counts = {g: sum(GROUPS.get(s.name.rsplit("-", 1)[0], "prices") == g for s in series)
              for g in mase if g != "all"}
    counts["all"] = count
    sources = ("half-hourly electricity demand, weekly CO2, daily MSFT closes"
               + (" and the 4 NYSE symbols" if NYSE.is_file() else ""))
    by_group = [f"| {g} ({counts[g]}) | {m['local']:.3f} | {m['global']:.3f} | {m['naive']:.3f} |"
                for g, m in mase.items()]
    ratio = mase["all"]["global"] / mase["all"]["local"] - 1
    return "\n".join([
        "## Scheduled retraining and many series (issue 6)",
        "",
        f"{count} series: non-overlapping {ROWS}-row slices of real series ({sources}). "
        f"LSTM hidden 16, 1 layer, input {INPUT}, horizon {HORIZON}, {epochs} epochs, no early "
        "stopping, CPU; transform auto (log returns for prices, levels otherwise).",
        "",
        f"`forecast retrain` of a job file listing the {count} series (first run: per series a "
        f"{FOLDS}-fold walk-forward of the challenger, a fit on all rows, a saved version), "
        "in fresh homes:",
        "",
        "| jobs | seconds | seconds / series |",
        "|---:|---:|---:|",
        f"| 1 (serial) | {serial_s:.1f} | {serial_s / count:.2f} |",
        f"| 2 (joblib processes, cold: as under cron) | {parallel_s:.1f} | {parallel_s / count:.2f} |",
        f"| 2 (workers already started) | {warm_s:.1f} | {warm_s / count:.2f} |",
        "",
        f"Speed-up with --jobs 2: **{serial_s / parallel_s:.2f}x** cold (starting 2 worker "
        f"processes that import torch), **{serial_s / warm_s:.2f}x** warm; challenger MASE "
        f"identical serial vs --jobs 2: **{'yes' if same else 'NO'}**. Load average "
        f"{load_before:.1f} before and {load_after:.1f} after on {os.cpu_count()} cores: other "
        "work on the machine takes cores --jobs would use.",
        "",
        f"A global model (one network, per-series scaling, {count} one-hot series-id inputs) vs "
        f"{count} per-series models, refit on the same {FOLDS} walk-forward folds (horizon "
        f"{HORIZON}); MASE averaged over folds, then over series:",
        "",
        "| series (count) | MASE per-series models | MASE global model | MASE naive |",
        "|---|---:|---:|---:|",
        *by_group,
        "",
        f"Fit seconds over all folds: {count} per-series models {secs['local']:.1f}, one global "
        f"model {secs['global']:.1f} (**{secs['global'] / secs['local']:.2f}x**); mean MASE "
        f"global vs per-series: **{100 * ratio:+.1f}%**.",
    ])


if __name__ == "__main__":
    print(run(quick=True))
