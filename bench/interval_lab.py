"""Calibration variants on the same fits (bench only): run `forecast evaluate` in this process
and, for every fold the default model is fit, recompute its conformal intervals under each
variant of forecast.conformal's knobs and score them on that fold's test rows.

    python -m bench.interval_lab OUT.json evaluate FILE ARGS...

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

VARIANTS: dict[str, dict[str, Any]] = {
    "plain": {"SCALE_POWER": 0.0, "BORROW": "baselines"},
    "n1w60": {"SCALE_POWER": 1.0, "SCALE_WINDOW": 60},
    "ref": {"SCALE_POWER": 0.0, "BORROW": "reference"},
    "ref_k10": {"SCALE_POWER": 0.0, "BORROW": "reference", "SHRINK": 10},
    "ref_n1w60": {"SCALE_POWER": 1.0, "SCALE_WINDOW": 60, "BORROW": "reference"},
    "ref_k100": {"SCALE_POWER": 0.0, "BORROW": "reference", "SHRINK": 100},
}
RECORDS: list[dict[str, Any]] = []
CAPTURED: list[tuple[tuple, dict]] = []
FITTED: list[Any] = []


def _set(knobs: dict[str, Any]) -> dict[str, Any]:
    old = {k: getattr(conformal, k) for k in knobs}
    for k, v in knobs.items():
        setattr(conformal, k, v)
    return old


def main() -> int:
    out, argv = Path(sys.argv[1]), sys.argv[2:]
    orig_conformal, orig_fit, orig_chain = forecaster._conformal, forecaster.fit, walkforward.run_chain
    orig_calibrate = conformal.calibrate

    def calibrate(errors, transform, season, levels, where, gamma=None):  # GAMMA read at call time
        return orig_calibrate(errors, transform, season, levels, where,
                              conformal.GAMMA if gamma is None else gamma)

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
        for fold, fitted, (args, kw) in zip(folds, FITTED[start:], caps, strict=False):
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

    conformal.GAMMA = conformal.GAMMA
    conformal.calibrate = calibrate
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
