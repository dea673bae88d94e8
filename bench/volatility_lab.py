"""Replay price distributions on the volatility bench's cutoffs in seconds (bench only).

    BENCH_VOLATILITY_CACHE=DIR python -m bench.run --only volatility   # writes DIR/KEY.json, DIR/KEY-ours.csv
    python -m bench.volatility_lab DIR
    python -m bench.volatility_lab --choices DIR   # the distribution choice's validation scores, per rule

For every series with both files in DIR: the same closes and cutoffs as the bench, ours'
point forecasts from its fold rows, and forecast.pricedist's volatility model refitted where
the bench's evaluate refits (every REFIT_EVERY cutoffs, on the last rows closes). Prints the
mean ratio over series of each variant's quantile score to GARCH(1,1)-t's and the rolling-20
random walk's (both from the bench's own run, in DIR/KEY.json), and its 90% coverage. The
variants: the Student-t as pricedist fits it (t_new), without its spread factor, around ours'
point, with a factor per step or one tuned at every in-sample origin, and its variance mixed
with (or its quantiles averaged with) a rolling one. The figures of earlier variants (other
centres, grids, variance targets) are in bench/bench_volatility.py's EARLIER.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from bench.bench_volatility import (
    CASES,
    HORIZON,
    LEVELS,
    REFIT_EVERY,
    dated_copy,
    design,
    quantile_score,
    rolling_quantiles,
)
from forecast import pricedist
from forecast.config import DataSpec
from forecast.data.csv import read_csv_series


def student(params: dict, y: np.ndarray, cut: int, point: np.ndarray) -> np.ndarray:
    """(H, Q) the Student-t's quantiles after row cut (around ``point`` (H,) where it centres on the point)."""
    v = pricedist.next_variance(params, y, np.array([cut]))
    centre = pricedist.centres(params, y[cut - 1 : cut], point[None, :])
    return pricedist.quantiles(params, v, centre, tuple(LEVELS))[0].T


def step_scales(params: dict, y: np.ndarray, every: int) -> np.ndarray:
    """(H,) a spread factor per step, each minimising that step's in-sample quantile score at
    every ``every``-th origin of the last SCALE_RETURNS returns."""
    origins = np.arange(max(2, len(y) - pricedist.SCALE_RETURNS), len(y) - HORIZON + 1, every)
    truth = np.stack([y[o : o + HORIZON] for o in origins])
    base = {**params, "scale": 1.0}
    centre = pricedist.centres(base, y[origins - 1], np.zeros((len(origins), HORIZON)))
    q = pricedist.quantiles(base, pricedist.next_variance(base, y, origins), centre, tuple(LEVELS))
    spread = np.log(q / centre[:, None, :])
    out = []
    for h in range(HORIZON):
        at = slice(h, h + 1)
        sc = [pricedist.quantile_score(truth[:, at], centre[:, None, at] * np.exp(k * spread[:, :, at]), tuple(LEVELS))
              for k in pricedist.SCALES]
        out.append(pricedist.SCALES[int(np.argmin(sc))])
    return np.array(out)


EXTRA: dict[int, dict] = {}


def variants(y: np.ndarray, cut: int, params: dict, point: np.ndarray) -> dict[str, np.ndarray]:
    """Every replayed distribution at one cutoff: name -> (H, Q) quantiles."""
    logp = np.log(y)
    r = np.diff(logp[:cut])
    t_new = student(params, y, cut, point)
    k1 = student({**params, "scale": 1.0}, y, cut, point)
    centre = pricedist.centres(params, y[cut - 1 : cut], point[None, :])[0][:, None]  # (H, 1)
    ex = EXTRA[id(params)]
    out = {"t_new": t_new, "t_new_k1": k1, "t_point": student({**params, "centre": "point"}, y, cut, point),
           "t_kstep": centre * np.exp(ex["kstep"][:, None] * np.log(k1 / centre)),
           "t_k_every1": centre * np.exp(ex["k1"] * np.log(k1 / centre))}
    v = pricedist.next_variance(params, y, np.array([cut]))
    for w, n in ((0.3, 20), (0.2, 60)):
        mixed = w * float(np.var(r[-n:], ddof=1)) + (1 - w) * v
        out[f"t_mix{w}x{n}"] = pricedist.quantiles(params, mixed, centre.T, tuple(LEVELS))[0].T
    rw60 = rolling_quantiles(logp, cut, 60) * (centre[:, 0] / y[cut - 1])[:, None]
    out["0.8t+0.2rw60"] = 0.8 * t_new + 0.2 * rw60
    return out


def series_scores(key: str, file: Path, target: str, series: str | None, cache: Path, home: Path) -> dict | None:
    ours_csv, rows_json = cache / f"{key}-ours.csv", cache / f"{key}.json"
    if not ours_csv.exists() or not rows_json.exists():
        return None
    bench = json.loads(rows_json.read_text())
    data = read_csv_series(DataSpec(path=str(dated_copy(file, home)), target=target, series=series))
    y = np.asarray(data.y, dtype=np.float64)
    _, rows = design(len(y))
    table = pd.read_csv(ours_csv, parse_dates=["cutoff", "ds"])
    truth, preds = [], {}
    params = None
    for i, cutoff in enumerate(sorted(table["cutoff"].unique())):
        cut = int(data.index.get_loc(pd.Timestamp(cutoff))) + 1
        if i % REFIT_EVERY == 0:
            part = y[max(0, cut - rows) : cut]
            params = pricedist.fit(part, HORIZON)
            assert params is not None
            ks = step_scales(params, part, 1)
            saved = pricedist.SCALE_EVERY
            pricedist.SCALE_EVERY = 1
            try:
                k1 = pricedist._scale(params, part, HORIZON)
            finally:
                pricedist.SCALE_EVERY = saved
            EXTRA[id(params)] = {"kstep": ks, "k1": k1}
        assert params is not None
        point = table[table["cutoff"] == cutoff]["yhat"].to_numpy()
        truth.append(y[cut : cut + HORIZON])
        ours = table[table["cutoff"] == cutoff][[f"q{v:g}" for v in LEVELS]].to_numpy()
        more = variants(y, cut, params, point)
        if bench["ours_time"]["chosen"] != [0, 0, 0]:  # a price fit: where it left the Student-t, blend instead
            switched = not np.allclose(ours, more["t_new"], rtol=1e-9)
            more["blend_if_left"] = (ours + more["t_new"]) / 2 if switched else more["t_new"]
        else:  # not price-like (gold): no distribution, so every replay of one is ours
            more = {k: ours for k in more} | {"blend_if_left": ours}
        for name, q in {"ours": ours, **more}.items():
            preds.setdefault(name, []).append(q)
    yy = np.concatenate(truth)
    out = {}
    for name, parts in preds.items():
        q = np.concatenate(parts)
        out[name] = (quantile_score(yy, q) / bench["score"]["garch"], quantile_score(yy, q) / bench["score"]["rw20"],
                     float(np.mean((yy >= q[:, 0]) & (yy <= q[:, -1]))))
    return out


def choices(cache: Path) -> str:
    """From the per-origin validation scores the bench recorded (DIR/KEY.json's ours_time
    choices): per series, the mean relative difference of conformal and blend to the Student-t
    over its fits, their mean and standard error over series, and how many fits each rule
    would take off the Student-t."""
    diffs: dict[str, dict[str, float]] = {}
    taken = {"conformal or blend, in turn, iid": 0, "better of the two, DM": 0, "blend alone, DM": 0}
    for key, *_ in CASES:
        path = cache / f"{key}.json"
        for c in json.loads(path.read_text())["ours_time"].get("choices", []) if path.exists() else []:
            each = {k: np.asarray(v) for k, v in c["each"].items()}
            origins, horizon = np.asarray(c["origins"]), int(c["horizon"])
            for k in ("conformal", "blend"):
                d = each[k] - each["studentt"]
                diffs.setdefault(k, {}).setdefault(key, []).append(float(np.mean(d) / np.mean(each["studentt"])))
            iid = [k for k in ("conformal", "blend")
                   if np.mean(each[k] - each["studentt"]) + pricedist.EDGE * pricedist.mean_se(
                       each[k] - each["studentt"], 0) < 0]
            taken["conformal or blend, in turn, iid"] += bool(iid)
            saved = pricedist.CHOOSABLE
            try:
                for rule, allowed in (("better of the two, DM", ("conformal", "blend")),
                                      ("blend alone, DM", ("blend",))):
                    pricedist.CHOOSABLE = allowed
                    taken[rule] += pricedist.pick(each, origins, horizon) != "studentt"
            finally:
                pricedist.CHOOSABLE = saved
    lines = []
    for k, got in diffs.items():
        m = np.array([np.mean(v) for v in got.values()])
        lines.append(f"{k}: {100 * m.mean():+.2f}% of the Student-t's validation score over {len(m)} series "
                     f"(se {100 * m.std(ddof=1) / np.sqrt(len(m)):.2f}%): "
                     + " ".join(f"{s} {100 * v:+.1f}%" for s, v in zip(got, m, strict=True)))
    lines.append("fits taken off the Student-t: " + ", ".join(f"{r} {n}" for r, n in taken.items()))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv[0] == "--choices":
        print(choices(Path(argv[1])))
        return 0
    cache, home = Path(argv[0]), Path(tempfile.mkdtemp(prefix="volatility-lab-"))
    per = {k: s for k, f, t, s0 in CASES if (s := series_scores(k, f, t, s0, cache, home)) is not None}
    names = list(next(iter(per.values())))
    print(f"{len(per)} series: {', '.join(per)}")
    print(f"{'variant':>22} {'/GARCH':>8} {'/rw20':>8} {'cov90':>6}  per series /GARCH")
    for n in names:
        g, r, c = (np.mean([per[k][n][j] for k in per]) for j in range(3))
        print(f"{n:>22} {g:8.4f} {r:8.4f} {c:6.3f}  " + " ".join(f"{per[k][n][0]:.3f}" for k in per))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
