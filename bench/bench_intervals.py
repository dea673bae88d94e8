"""Coverage of the default intervals, out of sample, on every series in ../shared/data and
../shared/data/tuning (issue 16, goal 1), and what they add to `forecast evaluate` time.

Each row is one `forecast evaluate FILE ARGS --folds F --jobs 1 --json` process (run through
bench/interval_probe.py, which times the calls into forecast.conformal): every fold refits
the model and recalibrates its conformal intervals on its own out-of-sample errors, so every
scored point is covered by intervals that never saw it. Tuning series use the arguments of
../shared/data/tuning/REFERENCE.md with at least 5 folds.

    python -m bench.run --only intervals
    BENCH_INTERVALS_ONLY=a10,msft BENCH_INTERVALS_EPOCHS=30 python -m bench.run --only intervals

BENCH_INTERVALS_CACHE=DIR keeps each series' result as DIR/KEY.json and reuses it, so
subsets can run in parallel processes and a last run assembles the table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
TUNING = SHARED / "tuning"

# (key, file under ../shared/data, arguments): the non-tuning series
SHARED_CASES = [
    ("msft", "pmdarima_msft.csv", "--target Close --folds 10 --horizon 5 --step 5"),
    ("tata", "NSE-TATAGLOBAL.csv", "--target Close --folds 10 --horizon 5 --step 5"),
    *[(f"nyse_{s.lower()}", "nyse_prices_split_adjusted_4sym.csv",
       f"--target close --series {s} --folds 10 --horizon 5 --step 5") for s in ("AAL", "DOW", "EQIX", "ZION")],
    ("taylor", "pmdarima_taylor_halfhourly.csv", "--target demand_mw --folds 6 --horizon 48 --step 48"),
    ("co2", "statsmodels_co2_weekly.csv", "--target co2 --folds 10 --horizon 12 --step 12"),
    ("airline", "sktime_airline.csv", "--target Passengers --folds 5 --horizon 12 --step 12"),
    ("macro_realgdp", "statsmodels_macrodata.csv", "--target realgdp --folds 5 --horizon 4 --step 4"),
    ("seattle_temp_max", "vega_seattle_weather.csv", "--target temp_max --folds 10 --horizon 7 --step 7"),
]


# a 17,520-row half-hourly series: each fold trains on its last 4,000 rows (time on 2 cores)
LONG = {"elecdemand": ["--train-size", "4000"]}


def cases() -> list[tuple[str, Path, list[str]]]:
    only = [k for k in os.environ.get("BENCH_INTERVALS_ONLY", "").split(",") if k]
    return [c for c in _all_cases() if not only or c[0] in only]


def _all_cases() -> list[tuple[str, Path, list[str]]]:
    out = [(k, SHARED / f, a.split()) for k, f, a in SHARED_CASES if (SHARED / f).exists()]
    if (TUNING / "reference.json").exists():
        for key, item in json.loads((TUNING / "reference.json").read_text()).items():
            args = item["settings"]["tool_args"].split()
            folds = args.index("--folds") + 1
            args[folds] = str(max(5, int(args[folds])))
            args += LONG.get(key, [])
            out.append((key, (ROOT / item["settings"]["file"]).resolve(), args))
    return out


def halves(keys: list[str]) -> tuple[list[str], list[str]]:
    """The tuning half (every other series of the full list, from the first) on which the
    calibration's settings were chosen, and the check half it was not looked at on."""
    every = [k for k, _, _ in _all_cases()]
    tune = set(every[0::2])
    return [k for k in keys if k in tune], [k for k in keys if k not in tune]


# the dense design (default): enough scored points per series to judge a 3-point goal
DENSE_FOLDS = 30  # at least this many folds per series (more where the horizon is short)
MIN_POINTS = 100  # scored (origin, step) points per level and series, at least
REFIT_EVERY = 10  # one fit per this many folds; in between the fitted model forecasts from the new rows
DENSE_EPOCHS = "10"  # fewer than the default's ~600 steps: the calibration question, not accuracy
TEST_SHARE = 0.5  # the folds' test rows span at most this share of the series


def dense_design(args: list[str], rows: int) -> tuple[list[str], dict]:
    """The arguments with --folds/--step/--refit-every of the dense design, and that design:
    F = max(DENSE_FOLDS, ceil(MIN_POINTS / H)) folds one horizon apart where the series is long
    enough (test rows within TEST_SHARE of it), else closer (overlapping horizons), at least 1."""
    a = list(args)
    horizon = int(a[a.index("--horizon") + 1])
    folds = max(DENSE_FOLDS, -(-MIN_POINTS // horizon))
    room = int(rows * TEST_SHARE) - horizon
    step = max(1, min(horizon, room // max(folds - 1, 1)))
    for flag, value in (("--folds", folds), ("--step", step)):
        if flag in a:
            a[a.index(flag) + 1] = str(value)
        else:
            a += [flag, str(value)]
    a += ["--refit-every", str(REFIT_EVERY)]
    distinct = (folds - 1) * step + horizon
    return a, {"step": step, "refits": -(-folds // REFIT_EVERY), "distinct": distinct}


def series_rows(file: Path, args: list[str], home: Path) -> int:
    from bench.bench_volatility import dated_copy
    from forecast.config import DataSpec
    from forecast.data.csv import read_csv_series

    a = dict(zip(args[0::2], args[1::2], strict=False))
    data = read_csv_series(DataSpec(path=str(dated_copy(file, home)), target=a.get("--target"),
                                    series=a.get("--series")))
    return len(data.y)


def evaluate(file: Path, args: list[str], home: Path, epochs: str | None) -> dict:
    from bench.bench_volatility import dated_copy

    file = dated_copy(file, home)  # goog, gold, EuStockMarkets: integer steps -> business days
    times = home / f"times-{file.stem}.txt"
    extra = ["--epochs", epochs] if epochs else []
    cmd = [PY, "-m", "bench.interval_probe", str(times), "evaluate", str(file), *args, *extra,
           "--jobs", "1", "--json", "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "FORECAST_HOME": str(home)})
    if done.returncode != 0:
        line = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {done.returncode}: {line[:140]}", "seconds": time.perf_counter() - started}
    doc = json.loads(done.stdout)
    model = next(m for m in doc["models"] if m["kind"] == "model")
    spent, total = (float(v) for v in times.read_text().split())
    return {"c80": model.get("coverage_80"), "c90": model.get("coverage_90"), "spent": spent,
            "total": total, "points": doc["folds"] * doc["horizon"], "folds": doc["folds"],
            "horizon": doc["horizon"], "mase": model.get("mase")}


def perfect_band(rows: int, level: float, within: float) -> tuple[float, float]:
    """A perfectly calibrated band scored on ``rows`` independent target rows: the probability
    that its coverage is within ``within`` points of ``level``, and its expected absolute
    coverage error in points (exact binomial). Overlapping horizons leave one independent
    point per distinct row at best, and the few calibrations per series add more noise, so
    these are the best a method can expect, not what it should."""
    from math import lgamma, log

    k = np.arange(rows + 1)
    logpmf = np.array([lgamma(rows + 1) - lgamma(j + 1) - lgamma(rows - j + 1) for j in k]) + (
        k * log(level) + (rows - k) * log(1 - level))
    pmf = np.exp(logpmf - logpmf.max())
    pmf /= pmf.sum()
    off = 100 * np.abs(k / rows - level)
    return float(pmf[off <= within + 1e-9].sum()), float(pmf @ off)


def noise_summary(signed: dict[str, tuple[float, float]], distinct: dict[str, int]) -> str:
    """Which series are within sampling noise (both levels within 2 binomial sd over their
    distinct target rows), and what a perfectly calibrated band would score on these rows:
    its mean absolute error and the chance that no series is off by more than 8 points."""
    inside, outside = [], []
    chance, mae = {0.8: 1.0, 0.9: 1.0}, {0.8: [], 0.9: []}
    fewest = min(signed, key=lambda k: distinct[k])
    for key, (d80, d90) in signed.items():
        n = distinct[key]
        sd = {lv: 100 * np.sqrt(lv * (1 - lv) / n) for lv in (0.8, 0.9)}
        ok = abs(d80) <= 2 * sd[0.8] and abs(d90) <= 2 * sd[0.9]
        (inside if ok else outside).append(f"{key} {max((d80, d90), key=abs):+.0f} ({n} rows, 2 sd "
                                           f"{2 * sd[0.8]:.0f} / {2 * sd[0.9]:.0f})" if not ok else key)
        for lv in (0.8, 0.9):
            p, e = perfect_band(n, lv, 8.0)
            chance[lv] *= p
            mae[lv].append(e)
    return (f"Within sampling noise (both levels within 2 binomial sd over the series' distinct target "
            f"rows): {len(inside)} of {len(signed)}; outside: {', '.join(outside) or 'none'}. A perfectly "
            f"calibrated band scored on these distinct rows (independent, one point each) would have a "
            f"mean absolute error of {np.mean(mae[0.8]):.1f} / {np.mean(mae[0.9]):.1f} points at 80 / 90%, "
            f"and would keep every series within 8 points with probability {chance[0.8]:.2f} at 80% and "
            f"{chance[0.9]:.2f} at 90% ({fewest} alone, {distinct[fewest]} rows: "
            f"{perfect_band(distinct[fewest], 0.8, 8.0)[0]:.2f} at 80%).")


DENSE_ORIGINS = 40  # origins per series of the dense check, one horizon apart


def dense(quick: bool = False) -> str:
    """The calibration method alone, with far less sampling noise than 5 folds: on every
    series, at up to DENSE_ORIGINS origins one horizon apart (at least a third of the rows
    before each), the naive or seasonal naive forecast (no net, so no training) with the
    default fit's transform, calibrated as a fit that chose it is (errors at rolling origins
    before the origin, rescaled, ACI) with and without the volatility normalisation."""
    import warnings

    from bench.bench_volatility import dated_copy
    from forecast import conformal
    from forecast.config import DataSpec
    from forecast.data.csv import read_csv_series
    from forecast.forecaster import QUANTILE_LEVELS, choose_transform, season_of
    from forecast.selection import baseline_forecasts, levels_to_model
    from forecast.transforms import SEASONAL, Scaler, TargetPipeline

    home = Path(tempfile.mkdtemp(prefix="bench-intervals-dense-"))
    powers = {"normalised (default)": conformal.SCALE_POWER, "unnormalised": 0.0}
    got: dict[str, dict[str, tuple[float, float]]] = {v: {} for v in powers}
    for key, file, args in cases():
        a = dict(zip(args[0::2], args[1::2], strict=False))
        try:
            data = read_csv_series(DataSpec(path=str(dated_copy(file, home)), target=a.get("--target"),
                                            series=a.get("--series")))
        except Exception:  # noqa: BLE001 -- a file the CLI cannot read either (listed as failed above)
            continue
        y = np.asarray(data.y, dtype=np.float64)[-6000:]
        horizon, season = int(a["--horizon"]), season_of(data)
        member = "seasonal_naive" if season > 1 else "naive"
        transform = choose_transform(data)
        pipe = TargetPipeline(transform=transform, scaler=Scaler("standard"),
                              season=season if transform in SEASONAL else 1).fit(y[:, None])
        window, log = conformal.scale_window(season), transform in ("logret", "slogret")
        origins = [len(y) - horizon * (k + 1) for k in range(5 if quick else DENSE_ORIGINS)]
        hits: dict[str, list[tuple[float, float]]] = {v: [] for v in powers}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for o in (o for o in origins if o > max(3 * season, 40, len(y) // 3)):
                past = y[:o]
                errors, at = conformal.baseline_errors(pipe, past, member, season, horizon, o - horizon)
                last = pipe.anchor(past)
                z = levels_to_model(pipe, baseline_forecasts(member, y, np.array([o]), horizon, season, False),
                                    np.asarray(last)[None, ...])
                if len(errors) < conformal.MIN_ERRORS or z is None:
                    continue
                future = y[o : o + horizon]
                for v, power in powers.items():
                    rows, _ = conformal.rescale(errors, at, past, window, log, power)
                    state = conformal.calibrate(rows, transform, pipe.season, QUANTILE_LEVELS, "dense")
                    q = conformal.quantiles(pipe.to_levels(z + rows, last), state, QUANTILE_LEVELS)
                    hits[v].append((float(np.mean((future >= q[0.1]) & (future <= q[0.9]))),
                                    float(np.mean((future >= q[0.05]) & (future <= q[0.95])))))
        for v, h in hits.items():
            if h:
                got[v][key] = (100 * (np.mean([c for c, _ in h]) - 0.8), 100 * (np.mean([c for _, c in h]) - 0.9))
    lines = []
    for v, per in got.items():
        keys = list(per)
        tune, check = halves(keys)
        parts = []
        for name, part in (("all", keys), ("tuning half", tune), ("check half", check)):
            if part:
                e = np.array([per[k] for k in part])
                parts.append(f"{name} ({len(part)}) {np.abs(e[:, 0]).mean():.1f} / {np.abs(e[:, 1]).mean():.1f}, "
                             f"worst {np.abs(e).max():.1f}")
        lines.append(f"- {v}: " + "; ".join(parts))
    return ("Dense check of the calibration method alone (no net, so no training; "
            f"{5 if quick else DENSE_ORIGINS} origins one horizon apart per series, the naive or seasonal naive "
            "forecast calibrated as a fit that chose it is): mean absolute coverage error 80% / 90% "
            "in points:\n\n" + "\n".join(lines) + "\n")


def run(quick: bool = False) -> str:
    legacy = os.environ.get("BENCH_INTERVALS_DESIGN") == "legacy"  # one fit per fold, 5-10 folds
    epochs = os.environ.get("BENCH_INTERVALS_EPOCHS") or ("5" if quick else None if legacy else DENSE_EPOCHS)
    home = Path(tempfile.mkdtemp(prefix="bench-intervals-"))
    rows, e80, e90, added, failed, noise, keys = [], [], [], [], [], [], []
    distinct_rows: list[int] = []
    signed: dict[str, tuple[float, float]] = {}
    for key, file, args in cases():
        print(f"   {key} ...", file=sys.stderr, flush=True)
        cache = Path(os.environ["BENCH_INTERVALS_CACHE"]) / f"{key}.json" if os.environ.get(
            "BENCH_INTERVALS_CACHE") else None
        if cache is not None and cache.exists():
            r = json.loads(cache.read_text())
        else:
            design: dict = {}
            if not legacy:
                try:
                    args, design = dense_design(args, series_rows(file, args, home))
                except Exception as err:  # noqa: BLE001 -- the CLI run below reports it
                    print(f"   {key}: rows unknown ({err})", file=sys.stderr)
            r = {**evaluate(file, args, home, epochs), **design}
            if cache is not None:
                cache.write_text(json.dumps(r))
        print(f"   {key}: {r}", file=sys.stderr, flush=True)
        if "error" in r or r["c80"] is None:
            failed.append(key)
            rows.append(f"| {key} | {r.get('error', 'no intervals')} | | | | | | | | | |")
            continue
        d80, d90 = 100 * (r["c80"] - 0.8), 100 * (r["c90"] - 0.9)
        e80.append(abs(d80))
        e90.append(abs(d90))
        keys.append(key)
        distinct_rows.append(int(r.get("distinct", r["points"])))
        added.append((r["spent"], r["total"]))
        signed[key] = (d80, d90)
        sd = 100 * np.sqrt(0.8 * 0.2 / r["points"])  # binomial sd of a perfect 80% band, independent points
        sd_rows = 100 * np.sqrt(0.8 * 0.2 / r.get("distinct", r["points"]))  # ... one point per distinct row
        noise.append(sd)
        rows.append(f"| {key} | {r['folds']} x {r['horizon']} | {r.get('step', '')} | {r.get('refits', r['folds'])} | "
                    f"{r['points']} ({r.get('distinct', '')}) | {sd:.1f} - {sd_rows:.1f} | "
                    f"{r['c80']:.2f} ({d80:+.0f}) | "
                    f"{r['c90']:.2f} ({d90:+.0f}) | {r['mase']:.3f} | {r['total']:.1f} s | "
                    f"{100 * r['spent'] / (r['total'] - r['spent']):.1f}% |")
    worst = max(zip(e80 + e90, [f"{k} 80%" for k in range(len(e80))] + [f"{k} 90%" for k in range(len(e90))]),
                default=(float("nan"), ""))[0]
    ranked = sorted(signed.items(), key=lambda kv: -max(abs(kv[1][0]), abs(kv[1][1])))[:8]
    worst_list = ", ".join(f"{k} {max(v, key=abs):+.0f}" for k, v in ranked)
    spent, total = sum(s for s, _ in added), sum(t for _, t in added)
    summary = (
        f"Series with intervals: {len(e80)} of {len(rows)}"
        + (f" (failed or none: {', '.join(failed)})" if failed else "") + ". "
        f"Mean absolute coverage error: **80%: {np.mean(e80):.1f} points, 90%: {np.mean(e90):.1f} points** "
        f"(goal <= 3); worst series off by **{worst:.1f} points** (goal <= 8). "
        f"Time on intervals: {spent:.1f} s of {total:.0f} s evaluate time, "
        f"**+{100 * spent / max(total - spent, 1e-9):.1f}%** (goal <= 20%). "
        f"Worst series (signed, 80% or 90%, whichever is further off): {worst_list}. "
        f"Sampling noise alone: a perfectly calibrated 80% band scored on these points has a "
        f"binomial sd of {np.mean(noise):.1f} points on average if the points were independent "
        "(the table's noise column gives it per series: over the scored points, then over one point "
        "per distinct target row, which is what overlapping horizons leave; the steps of one "
        "path are correlated too, so the real sd is larger than the first figure); "
        f"the mean absolute error of {len(noise)} perfectly calibrated series would then be about "
        f"{np.sqrt(2 / np.pi) * np.mean(noise):.1f} points."
    )
    distinct = {k: int(r) for k, r in zip(keys, distinct_rows, strict=True)}
    summary += " " + noise_summary(signed, distinct)
    tune, check = halves(keys)
    for name, part in (("tuning half", tune), ("check half", check)):
        idx = [keys.index(k) for k in part]
        if idx:
            summary += (f" {name.capitalize()} ({len(idx)} series): {np.mean([e80[i] for i in idx]):.1f} / "
                        f"{np.mean([e90[i] for i in idx]):.1f} points, worst "
                        f"{max(max(e80[i], e90[i]) for i in idx):.1f}.")
    note = f" with `--epochs {epochs}`" if epochs else ""
    design = ("Design: BENCH_INTERVALS_DESIGN=legacy, one fit per fold, the folds of REFERENCE.md (at least 5)."
              if legacy else
              f"Design (dense, the default): per series F = max({DENSE_FOLDS}, ceil({MIN_POINTS} / H)) folds "
              f"of horizon H, one horizon apart where the series is long enough (the test rows span at "
              f"most {TEST_SHARE:.0%} of it), else closer (overlapping horizons: the step column), "
              f"`--refit-every {REFIT_EVERY}` (a fit per {REFIT_EVERY} folds; in between the fitted model "
              "forecasts from the new rows with its fit-time conformal levels, rescaled to each origin's "
              f"local volatility), `--epochs {epochs}` for every net (the calibration question, not "
              "accuracy: a weaker net is chosen less often, so the borrowed-error path is exercised "
              "less than with default epochs). Points = folds x H per level (distinct target rows in "
              "brackets).")
    return (
        "## Conformal intervals on every series (issue 16, goal 1)\n\n"
        + design + "\n\n"
        f"`python -m bench.run --only intervals`{note}: one `forecast evaluate FILE ARGS --jobs 1` "
        "per series with default settings (the fit chooses between the net, the baselines and, "
        "with statsforecast, the peers of selection.peer_names, their median and comb; q0.05..q0.95 "
        "are split-conformal bounds on out-of-sample errors that no choice or early stopping "
        "looked at: a chosen baseline's, peer's or the peers' median's own at rolling origins "
        "(a peer refit before each of conformal.PEER_REFITS runs of them), a chosen net's "
        "borrowed from the best of those (mirrored), comb's from the median, each scaled by the "
        "validation MAE ratio; each error normalised by the local volatility at its origin and "
        "rescaled to the forecast origin's; DtACI levels on top; recalibrated at every fit). "
        "Coverage (nominal 0.80 / 0.90; error in points in brackets) over every "
        "fold's steps; added time = seconds in forecaster._conformal (the chosen or reference "
        "member's rolling errors included) and in the predictions' rescaling and quantiles / the "
        "rest of the process (evaluate seconds are inflated: subsets ran as parallel processes "
        "through BENCH_INTERVALS_CACHE on a shared 2-core machine). The tuning half (every other "
        "series, from the first) is what the calibration settings were chosen on "
        "(bench/interval_lab.py: every variant on the same fits); the check half was not looked at. "
        "Previous runs, dense design: 2026-12-07 03:55, main at session 7's end (a price fit left "
        "the Student-t for conformal or blend on a 2-standard-error validation edge; before the saved "
        "statistical members): 4.5 / 3.2 points, worst 14.2, +12.4% time; tuning half 4.0 / 2.7, check "
        "half 5.0 / 3.8 (visnights +14, ukgas +12, nyse_dow +12, a10 -12, goog -8 at 80%, euretail -5). "
        "01:32, main at 9f97b43, before the price "
        "Student-t centred on the drift (only price-like series differ: msft, tata, the four NYSE "
        "symbols, goog, dax): 4.7 / 3.5 points, worst 14.2, +14.0% time; tuning half 4.4 / 3.2, "
        "check half 4.9 / 3.7 (nyse_dow +13, tata +1, goog -8 at 80% / -8 at 90%). "
        "2026-11-27 20:10, before the median's own errors, the "
        "peers' refits and DtACI (a net, comb and median borrowed the best reference's mirrored "
        "errors; ACI gamma 0.01): 6.7 / 4.1 points, worst 16.9 (airline +17, visnights_nswmetro "
        "+16, usmelec +15, gas +14, ukgas +13, ausbeer +12, goog -11), +3.1% time; tuning half "
        "6.5 / 3.3, check half 6.8 / 5.0. "
        "Legacy design (5-10 folds a series, a fit per fold, `--epochs 20`): "
        "2026-11-27 17:05, before the accuracy work changed the members: 10.0 / 8.5 points, worst 40 "
        "(euretail -40, dax -32, gold -20, elecdemand -18), +2.6% time, 4,198 s; 14:34, the net "
        "calibrated on its own validation tail, no normalisation: 11.4 / 9.5, worst 44.\n\n"
        + summary + "\n\n"
        "| series | folds x horizon | step | fits | points (rows) | noise sd 80% | coverage 80% | "
        "coverage 90% | MASE | evaluate s | added |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n\n" + dense(quick)
    )
