"""Price intervals against the references a quant would reach for (issue 16, goal 2).

On the same walk-forward folds of real daily prices (cutoffs from `forecast evaluate FILE
--folds K --horizon 5 --step 5 --train-size 1000`: every method sees the last 1,000 closes),
every method forecasts the 5 closes after each cutoff as the quantiles q0.05, q0.1, q0.5, q0.9, q0.95 of the price:

- ours (default): the default fit (net or baseline) with its conformal intervals;
- ours (studentt): `--head studentt`, a Student-t on log returns whose scale the net reads
  from the recent returns in its window;
- random walk, rolling volatility: log price + N(0, h sigma^2), sigma the std of the last 20
  or 60 daily log returns before the cutoff;
- GARCH(1,1) with Student-t innovations (the `arch` package, bench only: `pip install arch`),
  fitted on the last 999 log returns before each cutoff, 2,000 simulated 5-day paths.

Score: the quantile score 2/Q sum_q pinball_q over the 5 levels (the quantile approximation of
CRPS, identical for every method), averaged over points; ratios are ours / reference per
series, then averaged over series. Coverage of the 90% interval [q0.05, q0.95].

    python -m bench.run --only volatility
    BENCH_VOLATILITY_EPOCHS=10 BENCH_VOLATILITY_FOLDS=6 python -m bench.run --only volatility
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.config import DataSpec
from forecast.data.csv import read_csv_series

PY = sys.executable
ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
LEVELS = np.array([0.05, 0.1, 0.5, 0.9, 0.95])
HORIZON = 5
TRAIN_ROWS = 1000  # every method sees the last 1,000 closes before each cutoff (GARCH: 999 returns)

CASES = [  # key, file, target, series
    ("msft", ROOT / "sample_data" / "pmdarima_msft.csv", "Close", None),
    ("tata", SHARED / "NSE-TATAGLOBAL.csv", "Close", None),
    *[(s.lower(), SHARED / "nyse_prices_split_adjusted_4sym.csv", "close", s) for s in ("AAL", "DOW", "EQIX", "ZION")],
    *[(s.lower(), SHARED / "tuning" / "datasets_eustockmarkets_long.csv", "close", s)
      for s in ("DAX", "SMI", "CAC", "FTSE")],
    ("goog", SHARED / "tuning" / "fpp2_goog_trading_days.csv", "close", None),
    ("gold", SHARED / "tuning" / "forecast_gold_daily_missing.csv", "usd", None),
]


def dated_copy(file: Path, home: Path) -> Path:
    """The tool reads dates, not step numbers: files indexed by an integer ``t`` (trading days)
    get a copy with business-day dates from 2000-01-03 in its place, and a long file's ``index``
    column (EuStockMarkets) is named ``symbol``, the tool's series column (bench only)."""
    raw = pd.read_csv(file)
    if "t" not in raw.columns:
        return file
    copy = home / f"dated-{file.name}"
    if not copy.exists():
        days = pd.bdate_range("2000-01-03", periods=int(raw["t"].max()))
        raw.insert(0, "date", days[raw["t"].to_numpy() - 1].strftime("%Y-%m-%d"))
        raw.drop(columns="t").rename(columns={"index": "symbol"}).to_csv(copy, index=False)
    return copy


def quantile_score(y: np.ndarray, q: np.ndarray) -> float:
    """2/Q sum over levels of the pinball loss, mean over points: y (N,), q (N, Q)."""
    diff = y[:, None] - q
    return float(np.mean(2 * np.maximum(LEVELS * diff, (LEVELS - 1) * diff)))


def ours(file: Path, target: str, series: str | None, folds: int, head: str | None, home: Path,
         epochs: str | None, rows: int) -> pd.DataFrame:
    out = home / f"{file.stem}-{series}-{head}.csv"
    args = [PY, "-m", "forecast", "evaluate", str(file), "--target", target, "--folds", str(folds),
            "--horizon", str(HORIZON), "--step", str(HORIZON), "--train-size", str(rows),
            "--jobs", "2", "--quiet", "--output", str(out)]
    args += ["--series", series] if series else []
    args += ["--head", head] if head else []
    args += ["--epochs", epochs] if epochs else []
    subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=True,
                   env={**os.environ, "FORECAST_HOME": str(home)})
    table = pd.read_csv(out, parse_dates=["cutoff", "ds"])
    if "model" in table:  # the default leaderboard adds baselines and peers: keep the network's rows
        table = table[table["model"] == table["model"].iloc[0]]
    return table[table["q0.05"].notna()] if "q0.05" in table else table.iloc[0:0]


def rolling_quantiles(logp: np.ndarray, cut: int, window: int) -> np.ndarray:
    """(H, Q) price quantiles of a zero-drift random walk with the last ``window`` returns' std."""
    from statistics import NormalDist

    sigma = float(np.std(np.diff(logp[:cut])[-window:], ddof=1))
    z = np.array([NormalDist().inv_cdf(float(q)) for q in LEVELS])
    h = np.arange(1, HORIZON + 1)[:, None]
    return np.exp(logp[cut - 1] + sigma * np.sqrt(h) * z[None, :])


def garch_quantiles(logp: np.ndarray, cut: int, seed: int) -> np.ndarray:
    """(H, Q) price quantiles from 2,000 simulated GARCH(1,1)-t paths of percent log returns."""
    from arch import arch_model

    r = 100 * np.diff(logp[max(0, cut - TRAIN_ROWS) : cut])  # (goog: the 975 rows it has)
    res = arch_model(r, mean="Constant", vol="GARCH", p=1, q=1, dist="t").fit(disp="off")
    sims = res.forecast(horizon=HORIZON, method="simulation", simulations=2000, reindex=False,
                        random_state=np.random.RandomState(seed)).simulations.values[-1]  # (S, H)
    paths = np.exp(logp[cut - 1] + np.cumsum(sims / 100, axis=1))
    return np.quantile(paths, LEVELS, axis=0).T


def run(quick: bool = False) -> str:
    epochs = os.environ.get("BENCH_VOLATILITY_EPOCHS") or ("5" if quick else None)
    folds = int(os.environ.get("BENCH_VOLATILITY_FOLDS") or (3 if quick else 10))
    only = [k for k in os.environ.get("BENCH_VOLATILITY_ONLY", "").split(",") if k]
    home = Path(tempfile.mkdtemp(prefix="bench-volatility-"))
    names = ("ours", "studentt", "rw20", "rw60", "garch")
    rows, per, cover = [], [], {n: [] for n in names}
    for key, file, target, series in CASES:
        if (only and key not in only) or not file.exists():
            continue
        print(f"   {key} ...", file=sys.stderr, flush=True)
        file = dated_copy(file, home)
        data = read_csv_series(DataSpec(path=str(file), target=target, series=series))
        logp = np.log(data.y)
        rows_ = min(TRAIN_ROWS, len(data) - folds * HORIZON)  # goog has 1,000 rows in all
        try:
            tables = {"ours": ours(file, target, series, folds, None, home, epochs, rows_),
                      "studentt": ours(file, target, series, folds, "studentt", home, epochs, rows_)}
        except subprocess.CalledProcessError as err:
            rows.append(f"| {key} | failed: {(err.stderr or '').strip().splitlines()[-1:]} |")
            continue
        cutoffs = sorted(tables["ours"]["cutoff"].unique())
        truth, preds = [], {n: [] for n in names}
        for i, cutoff in enumerate(cutoffs):
            cut = int(data.index.get_loc(pd.Timestamp(cutoff))) + 1
            truth.append(data.y[cut : cut + HORIZON])
            for n in ("ours", "studentt"):
                t = tables[n][tables[n]["cutoff"] == cutoff]
                preds[n].append(t[[f"q{q:g}" for q in LEVELS]].to_numpy())
            preds["rw20"].append(rolling_quantiles(logp, cut, 20))
            preds["rw60"].append(rolling_quantiles(logp, cut, 60))
            preds["garch"].append(garch_quantiles(logp, cut, i))
        y = np.concatenate(truth)
        scores = {n: quantile_score(y, np.concatenate(preds[n])) for n in names}
        covers = {n: float(np.mean((y >= np.concatenate(preds[n])[:, 0]) & (y <= np.concatenate(preds[n])[:, -1])))
                  for n in names}
        per.append(scores)
        for n in names:
            cover[n].append(covers[n])
        rows.append(f"| {key} | {len(y)} | " + " | ".join(f"{scores[n]:.4g}" for n in names) + " | "
                    + f"{scores['ours'] / scores['garch']:.3f} | {scores['ours'] / scores['rw20']:.3f} | "
                    + f"{scores['studentt'] / scores['garch']:.3f} | "
                    + " | ".join(f"{covers[n]:.2f}" for n in names) + " |")
    def ratio(a: str, b: str) -> float:
        return float(np.mean([p[a] / p[b] for p in per]))

    mcov = {n: float(np.mean(v)) for n, v in cover.items()}
    note = f", `--epochs {epochs}`" if epochs else ""
    return (
        "## Price intervals against GARCH(1,1)-t and rolling volatility (issue 16, goal 2)\n\n"
        f"`python -m bench.run --only volatility` ({folds} folds x {HORIZON} days{note}; `arch` "
        "installed in the bench environment only). Quantile score (CRPS over q0.05..q0.95, lower "
        "is better) per series; ratios averaged over series.\n\n"
        f"Mean ratio ours (default) / GARCH: **{ratio('ours', 'garch'):.3f}**, ours / rolling-20 "
        f"random walk: **{ratio('ours', 'rw20'):.3f}**, ours / rolling-60: {ratio('ours', 'rw60'):.3f}; "
        f"studentt head / GARCH: {ratio('studentt', 'garch'):.3f}, / rolling-20: "
        f"{ratio('studentt', 'rw20'):.3f}. Mean 90% coverage: ours "
        f"{mcov['ours']:.3f}, studentt {mcov['studentt']:.3f}, GARCH {mcov['garch']:.3f}, "
        f"rolling-20 {mcov['rw20']:.3f}, rolling-60 {mcov['rw60']:.3f}.\n\n"
        "| series | points | ours | studentt | rw20 | rw60 | GARCH-t | ours/GARCH | ours/rw20 | "
        "studentt/GARCH | cov90 ours | studentt | rw20 | rw60 | GARCH |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        + "\n".join(rows) + "\n"
    )
