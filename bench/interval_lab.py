"""Calibration variants on the same fits (bench only): run `forecast evaluate` in this process
and, for every fold the default model is fit, recompute its conformal intervals under each
variant of forecast.conformal's knobs and score them on that fold's test rows.

    python -m bench.interval_lab OUT.json evaluate FILE ARGS...
    python -m bench.interval_lab --sweep DIR   # every series, the dense design of bench_intervals
    LAB_VARIANTS=default python -m bench.interval_lab --sweep DIR   # fit and dump only (~20 min a half)
    python -m bench.interval_lab --replay DIR [V1,V2,...]   # REPLAY variants on the dumps, no refit
    python -m bench.interval_lab --fits DIR KEY...   # per dumped fit: rows' source, early/late size, test PIT

OUT.json: per fold the chosen member, where its calibration came from, and per variant the
hits of the 80% and 90% bands on every test step (the fit itself runs once, under the default
knobs, so every variant sees the same net and the same choice). OUT.pkl beside it: per fold
the fit and the arguments of its forecaster._conformal call, and the peers' rolling errors it
computed, so that --replay recalibrates every fold under a new variant in minutes instead of
refitting (the pickles are a bench cache of this checkout's classes, not a format).
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from forecast import conformal, forecaster, statpeers, walkforward

# 2026-12-07, tuning half (14 of 15 series), mean absolute coverage error 80 / 90 in points:
# default 5.0 / 3.3, old 6.2 / 3.3, own_aci 6.1 / 3.7, own_mirror 5.0 / 3.3, ref_dtaci 5.4 / 3.5,
# own_g0.1 3.0 / 3.2 (fails the GARCH-t test), refit1 5.8 / 3.7, refit12 5.1 / 3.3 (docs/benchmarks.md)
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "old": {"BORROW": "reference", "ADAPT": "aci", "PEER_REFITS": 1},  # the default before 2026-12-06
    "own_aci": {"ADAPT": "aci"},
    "own_mirror": {"BORROW": "own_mirror"},
    "ref_dtaci": {"BORROW": "reference"},
    "own_g0.1": {"ADAPT": "aci", "GAMMA": 0.1},
    "refit1": {"PEER_REFITS": 1},
    "refit12": {"PEER_REFITS": 12},
    "refit12_g0.1": {"PEER_REFITS": 12, "ADAPT": "aci", "GAMMA": 0.1},
    "refit12_aci": {"PEER_REFITS": 12, "ADAPT": "aci"},
    "refit2": {"PEER_REFITS": 2},
}
# 2026-12-07 (cal4), 6 series of the tuning half (msft, nyse_aal, nyse_eqix, nottem, ausbeer,
# ukgas; the sweep was stopped there for time, load ~7): default 5.2 / 3.0, refit2 5.4 / 3.0,
# own_g0.1 2.4 / 2.3. Also measured with a temporary knob in conformal.dtaci_levels, not kept:
# DtACI judging its experts on their levels 10 / 25 outcomes earlier 5.6 / 3.0 and 5.2 / 3.0
# (ukgas +14 / +12); in an AR(1) 0.9 simulation (200 rows, 40 seeds, the 80% band on fresh
# draws) 0.66 / 0.67 against 0.70 unlagged: no gain.
# also measured on 2026-11-27 (27 series, dense design) with a temporary hook in
# forecaster._borrowed_errors, not kept: borrowed rows unmirrored (the reference's bias kept)
# scored 7.2 / 4.0 points (default 6.3 / 3.8), with gamma 0.1 7.2 / 4.7
RECORDS: list[dict[str, Any]] = []
DUMPS: list[dict[str, Any]] = []  # per fold what a replay needs (--replay): the fit and _conformal's arguments
CAPTURED: list[tuple[tuple, dict]] = []
FITTED: list[Any] = []


def _variants() -> dict[str, dict[str, Any]]:
    """VARIANTS, or those named in LAB_VARIANTS (comma-separated): the sweep's capture runs
    only the default and the others are replayed from the dumped fits (--replay)."""
    import os

    names = [n for n in os.environ.get("LAB_VARIANTS", "").split(",") if n]
    return {k: v for k, v in VARIANTS.items() if not names or k in names}


def _set(knobs: dict[str, Any]) -> dict[str, Any]:
    old = {k: getattr(conformal, k) for k in knobs}
    for k, v in knobs.items():
        setattr(conformal, k, v)
    return old


def sweep(folder: Path) -> str:
    """Every series of bench/bench_intervals.py under its dense design, once per series (a
    cached DIR/KEY.json is reused), then per variant the mean absolute coverage error overall,
    on the tuning half and on the check half, and the worst series."""
    import os
    import subprocess

    from bench import bench_intervals as b

    folder.mkdir(parents=True, exist_ok=True)
    home = folder / "home"
    home.mkdir(exist_ok=True)
    per: dict[str, dict[str, tuple[float, float, float]]] = {}
    for key, file, args in b.cases():
        out = folder / f"{key}.json"
        if not out.exists():
            try:
                dense, _ = b.dense_design(args, b.series_rows(file, args, home))
            except Exception:  # noqa: BLE001 -- a file the CLI cannot read either
                continue
            from bench.bench_volatility import dated_copy

            cmd = [sys.executable, "-m", "bench.interval_lab", str(out), "evaluate", str(dated_copy(file, home)),
                   *dense, "--epochs", b.DENSE_EPOCHS, "--jobs", "1", "--json", "--quiet"]
            subprocess.run(cmd, capture_output=True, text=True, cwd=b.ROOT,
                           env={**os.environ, "FORECAST_HOME": str(home)})
            print(f"   {key} done", file=sys.stderr, flush=True)
        if not out.exists():
            continue
        recs = json.loads(out.read_text())
        for name in VARIANTS:
            h80 = [h for r in recs for h in r["variants"].get(name, {}).get("h80", [])]
            h90 = [h for r in recs for h in r["variants"].get(name, {}).get("h90", [])]
            w90 = [r["variants"][name]["w90"] for r in recs if name in r["variants"]]
            if h80:
                per.setdefault(name, {})[key] = (100 * (np.mean(h80) - 0.8), 100 * (np.mean(h90) - 0.9),
                                                 float(np.mean(w90)))
    return table(per)


# 2026-12-07 (cal5), replayed on the sweep of main at e40caaa, mean absolute coverage error 80 / 90
# on the tuning-half series each was run on (default first): trimpeer0.5 3.7 / 2.6 -> 3.8 / 2.8
# (11), trim0.5 5.0 / 4.0 -> 6.0 / 4.8 (4), centre 3.7 / 2.6 -> 3.4 / 2.8 (11), centre_bias 5.0 /
# 4.0 -> 4.2 / 4.2 (4), ratio1 4.1 / 3.2 -> 5.9 / 4.4 (8; taylor +6 -> +16), unnorm 4.1 / 3.2 ->
# 2.6 / 3.6 (8; ukgas +12 -> -1, but a10 -11 -> -14 and seattle 90% 0 -> -4): none kept
# (docs/benchmarks.md, step 5)
# replayed on the dumped fits (--replay): conformal knobs, plus HOOKS of the replay's own
# (trim: keep the rolling calibration rows whose origin has at least this share of the fit's
# rows before it; ratio1: no validation-MAE ratio on borrowed rows)
REPLAY: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "default": ({}, {}),
    "trim0.5": ({}, {"trim": 0.5}),
    "trim0.67": ({}, {"trim": 0.67}),
    "last60": ({}, {"last": 60}),
    "ratio1": ({"SHRINK": 1e12}, {}),
    "ratio_raw": ({"SHRINK": 0}, {}),
    "aci0.01": ({"ADAPT": "aci"}, {}),
    "split": ({"ADAPT": "aci", "GAMMA": 0.0}, {}),
    "unnorm": ({"SCALE_POWER": 0.0}, {}),
    "trimpeer0.5": ({}, {"trim": 0.5, "fitted_only": True}),
    "lastpeer30": ({}, {"last": 30, "fitted_only": True}),
    "centre": ({}, {"centre": True}),
    "centre_bias": ({}, {"centre": True, "bias": True}),
    # weighted conformal (conformal.WEIGHT_HALF_LIFE, a share of the distinct origins) on top of
    # DtACI's levels, and on the nominal levels (n: ADAPT "none"). 2026-12-07 (cal6), all 30
    # series (tuning / check half): default 3.9 / 2.7, 5.3 / 3.7; w1 3.8 / 2.6, 5.5 / 4.0; w0.5
    # 4.1 / 3.0, 5.6 / 3.9; w0.25 4.6 / 3.4, 5.5 / 3.9; nominal 5.6 / 2.9, 6.3 / 4.4; w1n 5.4 /
    # 3.0, 6.5 / 4.6; neff80 4.2 / 2.9, 5.3 / 3.8; neff40 4.6 / 4.0, 4.9 / 3.9; w1_nt 4.0 / 2.5,
    # 6.8 / 5.5; trim0.5 4.2 / 3.1, 6.0 / 4.8; neff40g 4.2 / 3.3, 4.7 / 3.3; w0.25g 4.3 / 3.1,
    # 4.7 / 3.4: none kept (docs/benchmarks.md, step 6)
    "w0.25": ({"WEIGHT_HALF_LIFE": 0.25}, {}),
    "w0.5": ({"WEIGHT_HALF_LIFE": 0.5}, {}),
    "w1": ({"WEIGHT_HALF_LIFE": 1.0}, {}),
    "w0.25n": ({"WEIGHT_HALF_LIFE": 0.25, "ADAPT": "none"}, {}),
    "w0.5n": ({"WEIGHT_HALF_LIFE": 0.5, "ADAPT": "none"}, {}),
    "w1n": ({"WEIGHT_HALF_LIFE": 1.0, "ADAPT": "none"}, {}),
    "nominal": ({"ADAPT": "none"}, {}),
    # ... with the decay set by an effective sample size of the distinct origins (none below it)
    "neff40": ({"WEIGHT_N_EFF": 40.0}, {}),
    "neff60": ({"WEIGHT_N_EFF": 60.0}, {}),
    "neff80": ({"WEIGHT_N_EFF": 80.0}, {}),
    "neff40n": ({"WEIGHT_N_EFF": 40.0, "ADAPT": "none"}, {}),
    "neff80n": ({"WEIGHT_N_EFF": 80.0, "ADAPT": "none"}, {}),
    # ... with no mass on the test point (not the paper's: a plain weighted quantile)
    "w0.25_nt": ({"WEIGHT_HALF_LIFE": 0.25, "WEIGHT_TEST": 0.0}, {}),
    "w0.5_nt": ({"WEIGHT_HALF_LIFE": 0.5, "WEIGHT_TEST": 0.0}, {}),
    "w1_nt": ({"WEIGHT_HALF_LIFE": 1.0, "WEIGHT_TEST": 0.0}, {}),
    "w0.5n_nt": ({"WEIGHT_HALF_LIFE": 0.5, "WEIGHT_TEST": 0.0, "ADAPT": "none"}, {}),
    # ... only on fits whose later rows are larger than their earlier ones (WEIGHT_GROWTH)
    "neff40g": ({"WEIGHT_N_EFF": 40.0, "WEIGHT_GROWTH": 1.0}, {}),
    "w0.25g": ({"WEIGHT_HALF_LIFE": 0.25, "WEIGHT_GROWTH": 1.0}, {}),
}
HOOKS: dict[str, Any] = {}


def replay(folder: Path, names: list[str]) -> str:
    """Every dumped fit in DIR (KEY.pkl, written by the sweep) recalibrated under each REPLAY
    variant and scored on its fold's test rows: the sweep's table, without refitting a net
    (a peer's rolling errors come from the dump's memo unless a variant changes PEER_REFITS)."""
    import pickle

    from bench import bench_intervals as b

    orig_rolling = forecaster._rolling_member_errors
    orig_point = forecaster.Forecaster._member_point
    memo: dict[tuple, Any] = {}
    points: dict[tuple, Any] = {}

    def rolling(series, pipeline, kind, member, season, horizon, last, members=()):  # noqa: ANN001
        key = (len(series.y), kind, member, season, horizon, last, pipeline.transform, tuple(members),
               conformal.PEER_REFITS)
        if key not in memo:
            memo[key] = orig_rolling(series, pipeline, kind, member, season, horizon, last, members)
        errors, at = memo[key]
        keep = np.ones(len(at), dtype=bool)
        if HOOKS.get("fitted_only") and kind == "baseline":
            return errors, at
        if "trim" in HOOKS:
            keep &= at >= HOOKS["trim"] * len(series.y)
        if "last" in HOOKS:
            keep &= np.arange(len(at)) >= len(at) - HOOKS["last"]
        return (errors[keep], at[keep]) if keep.sum() >= conformal.MIN_ERRORS else (errors, at)

    def point(self, series, horizon):  # noqa: ANN001 -- the point does not depend on the calibration
        key = (id(self), len(series.y))
        if key not in points:
            points[key] = orig_point(self, series, horizon)
        return points[key]

    orig_borrowed = forecaster._borrowed_errors

    def borrowed(series, winner, choice, errors, where, origins, last):  # noqa: ANN001
        rows, at, said = orig_borrowed(series, winner, choice, errors, where, origins, last)
        if not HOOKS.get("centre") or not said.startswith("+-"):
            return rows, at, said
        base = rows[0::2] - rows[0::2].mean(axis=0)  # the reference's spread without its bias
        shift = np.mean(errors, axis=0) if HOOKS.get("bias") and len(errors) else 0.0  # the net's own bias
        out = np.empty_like(rows)
        out[0::2], out[1::2] = base + shift, -base + shift
        return out, at, said

    forecaster._rolling_member_errors = rolling
    forecaster._borrowed_errors = borrowed
    forecaster.Forecaster._member_point = point
    per: dict[str, dict[str, tuple[float, float]]] = {}
    for key, _, _ in b.cases():
        dump = folder / f"{key}.pkl"
        if not dump.exists():
            continue
        got = pickle.loads(dump.read_bytes())
        memo.clear()
        memo.update(got["memo"])
        points.clear()
        for name in names:
            knobs, hooks = REPLAY[name]
            old = _set(knobs)
            HOOKS.clear()
            HOOKS.update(hooks)
            h80: list[int] = []
            h90: list[int] = []
            try:
                for f in got["folds"]:
                    cal, state = forecaster._conformal(*f["args"], **f["kw"])
                    part = walkforward.rows(f["series"], f["train_start"], f["cutoff"])
                    q = replace(f["fitted"], calibration=cal, conformal=state).predict(part).quantiles
                    if q:
                        h80 += ((f["actual"] >= q[0.1]) & (f["actual"] <= q[0.9])).astype(int).tolist()
                        h90 += ((f["actual"] >= q[0.05]) & (f["actual"] <= q[0.95])).astype(int).tolist()
            finally:
                _set(old)
                HOOKS.clear()
            if h80:
                per.setdefault(name, {})[key] = (100 * (np.mean(h80) - 0.8), 100 * (np.mean(h90) - 0.9))
        print(f"   {key}: " + ", ".join(f"{n} {per[n][key][0]:+.0f}/{per[n][key][1]:+.0f}"
                                        for n in names if key in per.get(n, {})), file=sys.stderr, flush=True)
    forecaster._rolling_member_errors, forecaster.Forecaster._member_point = orig_rolling, orig_point
    forecaster._borrowed_errors = orig_borrowed
    return table(per)


def fits(folder: Path, keys: list[str]) -> str:
    """Per dumped fit of each series: its chosen member, where its calibration rows came from,
    how many, the mean |score| of the earlier half of the rows over the later half's (scores at
    the fit's end-of-series scale), and the share of its test steps (all its folds) whose score
    falls inside the rows' 10-90% / 5-95% range at that step (the raw rows, before DtACI's
    levels: what a split-conformal band of those rows would cover)."""
    import pickle

    from forecast.selection import levels_to_model

    lines = []
    for key in keys:
        got = pickle.loads((folder / f"{key}.pkl").read_bytes())
        groups: dict[int, list[dict[str, Any]]] = {}
        for f in got["folds"]:
            groups.setdefault(id(f["fitted"]), []).append(f)
        for folds in groups.values():
            fit, state = folds[0]["fitted"], folds[0]["fitted"].conformal
            cal = np.asarray(fit.calibration)
            if not state or not len(cal):
                continue
            pipe = fit.pipeline
            factors = np.asarray(state.get("row_scale", np.ones(len(cal))))
            scores = conformal.cumulate(cal * factors[:, None], pipe.transform, pipe.season)  # (N, H)
            window, log, s_fit, power = state.get("scale") or (conformal.SCALE_WINDOW, 0.0, 1.0, 0.0)
            pits = []
            for f in folds:
                part = walkforward.rows(f["series"], f["train_start"], f["cutoff"])
                y = np.asarray(part.y, dtype=np.float64)
                h = min(len(f["actual"]), scores.shape[1])
                last = np.asarray(pipe.anchor(y))[None, ...]
                z = levels_to_model(pipe, fit.predict(part).point[None, :h], last)
                t = levels_to_model(pipe, np.asarray(f["actual"])[None, :h], last)
                if z is None or t is None:
                    continue
                e = conformal.cumulate(t - z, pipe.transform, pipe.season)[0]  # (h,)
                if power:
                    e = e * (s_fit / conformal.local_scale(y, np.array([len(y)]), int(window), bool(log))[0]) ** power
                pits.append([(scores[:, j] < e[j]).mean() for j in range(h)])
            pit = np.array(pits)
            half = len(scores) // 2
            lines.append(f"{key} cutoff {folds[0]['cutoff']}: {fit.chosen.kind} {fit.chosen.member}, "
                         f"{state.get('where', '')}, {len(scores)} rows, early / late |score| "
                         f"{np.mean(np.abs(scores[:half])) / np.mean(np.abs(scores[half:])):.2f}, test steps "
                         f"inside 10-90% {np.mean((pit >= 0.1) & (pit <= 0.9)):.2f}, 5-95% "
                         f"{np.mean((pit >= 0.05) & (pit <= 0.95)):.2f}")
    return "\n".join(lines)


def table(per: dict[str, dict[str, tuple[float, float]]]) -> str:
    """Per variant: mean absolute coverage error 80 / 90 overall, on each half, the worst."""
    from bench import bench_intervals as b

    lines = ["| variant | all 80 / 90 | worst | tuning half | check half | worst series |", "|---|---|---|---|---|---|"]
    for name, got in per.items():
        keys = list(got)
        tune, check = b.halves(keys)
        cells = []
        for part in (keys, tune, check):
            e = np.abs(np.array([got[k][:2] for k in part])).reshape(-1, 2)
            cells.append(f"{e[:, 0].mean():.1f} / {e[:, 1].mean():.1f}" if len(e) else "-")
        e = np.abs(np.array([got[k][:2] for k in keys]))
        ranked = sorted(keys, key=lambda k: -max(abs(got[k][0]), abs(got[k][1])))[:5]
        worst = ", ".join(f"{k} {max(got[k][:2], key=abs):+.0f}" for k in ranked)
        lines.append(f"| {name} | {cells[0]} | {e.max():.1f} | {cells[1]} | {cells[2]} | {worst} |")
    return "\n".join(lines)


def main() -> int:
    if sys.argv[1] == "--sweep":
        print(sweep(Path(sys.argv[2])))
        return 0
    if sys.argv[1] == "--fits":
        print(fits(Path(sys.argv[2]), sys.argv[3:]))
        return 0
    if sys.argv[1] == "--replay":
        print(replay(Path(sys.argv[2]), sys.argv[3].split(",") if len(sys.argv) > 3 else list(REPLAY)))
        return 0
    out, argv = Path(sys.argv[1]), sys.argv[2:]
    orig_conformal, orig_fit, orig_chain = forecaster._conformal, forecaster.fit, walkforward.run_chain

    def capture(*args: Any, **kw: Any) -> Any:
        CAPTURED.append((args, kw))
        return orig_conformal(*args, **kw)

    def fit(*args: Any, **kw: Any) -> Any:
        f = orig_fit(*args, **kw)
        FITTED.append(f)
        return f

    def chain(series, run, model, folds, refit_every, warm_start, season=1, prefit=None):  # noqa: ANN001
        if model in statpeers.PEERS or prefit is not None:
            return orig_chain(series, run, model, folds, refit_every, warm_start, season, prefit)
        start = len(FITTED)
        result = orig_chain(series, run, model, folds, refit_every, warm_start, season, prefit)
        caps = CAPTURED[start:]
        # one fit per fold, or with --refit-every K one fit for the chain's K folds
        fits = FITTED[start:] if len(FITTED) - start == len(folds) else FITTED[start:start + 1] * len(folds)
        caps = caps if len(caps) == len(folds) else caps[:1] * len(folds)
        for fold, fitted, (args, kw) in zip(folds, fits, caps, strict=False):
            part = walkforward.rows(series, fold.train_start, fold.cutoff)
            actual = np.asarray(series.y[fold.test], dtype=np.float64)
            rec: dict[str, Any] = {"fold": fold.index, "kind": fitted.chosen.kind,
                                   "member": fitted.chosen.member,
                                   "where": fitted.conformal.get("where", ""), "n": fitted.conformal.get("n", 0),
                                   "variants": {}}
            DUMPS.append({"fold": fold.index, "series": series, "args": args, "kw": kw, "fitted": fitted,
                          "cutoff": fold.cutoff, "train_start": fold.train_start, "actual": actual})
            for name, knobs in _variants().items():
                old = _set(knobs)
                try:
                    cal, state = orig_conformal(*args, **kw)
                finally:
                    _set(old)
                q = replace(fitted, calibration=cal, conformal=state).predict(part).quantiles
                if not q:
                    continue
                h80 = ((actual >= q[0.1]) & (actual <= q[0.9])).astype(int).tolist()
                h90 = ((actual >= q[0.05]) & (actual <= q[0.95])).astype(int).tolist()
                w90 = float(np.mean(q[0.95] - q[0.05]))
                rec["variants"][name] = {"h80": h80, "h90": h90, "w90": w90}
            RECORDS.append(rec)
        return result

    orig_rolling = forecaster._rolling_member_errors
    memo: dict[tuple, Any] = {}

    def rolling(series, pipeline, kind, member, season, horizon, last, members=()):  # noqa: ANN001 -- memoised
        key = (id(series), len(series.y), kind, member, season, horizon, last, pipeline.transform, tuple(members),
               conformal.PEER_REFITS)
        if key not in memo:
            memo[key] = orig_rolling(series, pipeline, kind, member, season, horizon, last, members)
        return memo[key]

    forecaster._rolling_member_errors = rolling
    forecaster._conformal = capture
    forecaster.fit = fit
    walkforward.run_chain = chain
    from forecast.cli import main as cli_main

    try:
        cli_main(argv)
    except SystemExit:
        pass
    out.write_text(json.dumps(RECORDS))
    import pickle

    memo_out = {k[1:]: v for k, v in memo.items()}  # without id(series): one series per process
    try:
        out.with_suffix(".pkl").write_bytes(pickle.dumps({"folds": DUMPS, "memo": memo_out}))
    except Exception as err:  # noqa: BLE001 -- the JSON records stand without it
        print(f"no replay dump: {err}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
