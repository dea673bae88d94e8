"""Calibration variants on the same fits (bench only): run `forecast evaluate` in this process
and, for every fold the default model is fit, recompute its conformal intervals under each
variant of forecast.conformal's knobs and score them on that fold's test rows.

    python -m bench.interval_lab OUT.json evaluate FILE ARGS...
    python -m bench.interval_lab --sweep DIR   # every series, the dense design of bench_intervals


OUT.json: per fold the chosen member, where its calibration came from, and per variant the
hits of the 80% and 90% bands on every test step (the fit itself runs once, under the default
knobs, so every variant sees the same net and the same choice).
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
CAPTURED: list[tuple[tuple, dict]] = []
FITTED: list[Any] = []


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
            for name, knobs in VARIANTS.items():
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
