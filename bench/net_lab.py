"""The net on its own: its MASE on the tuning set's folds, without the choice around it (issue 12).

Default `forecast evaluate` scores what each fold's fit *chose* (the net, a baseline, a peer,
their median or `comb`), so a better or worse net shows up only where it is chosen. This lab
fits exactly the default fit (forecaster.fit, one thread, the fold seeds of walkforward) on the
reference folds of ../shared/data/tuning and scores the trained net's own forecast with
reference.json's per-fold scales, beside the best statsforecast model there. Not a bench
topic (nothing is written to docs/benchmarks.md):

    python -m bench.net_lab                                  # auto transform, seed 0, every short series
    python -m bench.net_lab --transform logret --seeds 0,1,2,3 --only a10,airline

``airline`` is the Airline protocol (sample_data/sktime_airline.csv, horizon 12, 3 folds, MASE
with each fold's in-sample seasonal-naive scale).

Measured (2026-12-07, load 4 to 6, seed 0 unless said; docs/benchmarks.md "Tuning set" has the
notes): Airline's net alone, seeds 0..3: auto (slogret) 0.868 / 0.814 / 0.850 / 0.852 (mean
0.846), logret 0.714 / 0.873 / 0.666 / 0.680 (mean 0.733; 101f777 of 2026-11-23, whose
default was logret: 0.700 / 0.854 / 0.688 / 0.700, mean 0.735). On the tuning set the better
transform for the net differs by series: logret / slogret a10 1.092 / 1.611, qcement 1.332 /
1.735, ukgas 1.367 / 1.435, visnights 0.554 / 0.841, but usmelec 1.723 / 1.109, ausbeer 1.516 /
0.699, usaccdeaths 1.537 / 0.589, nottem 0.931 / 0.848, euretail 1.531 / 1.515, h02 1.057 / 1.053.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TUNING = ROOT.parent / "shared" / "data" / "tuning"
AIRLINE = {"file": "sample_data/sktime_airline.csv",
           "tool_args": "--target Passengers --horizon 12 --folds 3 --step 12"}
LONG_ROWS = 2000  # series longer than this are left out unless named (a fit takes minutes)


def cases(only: list[str]) -> dict[str, tuple[dict, list[float] | None, float | None]]:
    """key -> (settings, per-fold MASE scales or None for in-sample seasonal naive, best stat)."""
    ref = json.loads((TUNING / "reference.json").read_text()) if (TUNING / "reference.json").exists() else {}
    found: dict[str, tuple[dict, list[float] | None, float | None]] = {"airline": (AIRLINE, None, None)}
    for key, entry in ref.items():
        stats = [m["MASE"] for name, m in entry["methods"].items()
                 if name.startswith("sf_") and m.get("MASE") is not None]
        found[key] = (entry["settings"], entry["settings"]["mase_scale_per_fold"], min(stats, default=None))
    return {k: v for k, v in found.items() if not only or k in only}


def net_mase(settings: dict, scales: list[float] | None, transform: str, seeds: list[int],
             named: bool, kept: list | None = None) -> tuple[str, list[float]] | None:
    """The default fit's own net on each fold: (the transform it trained on, MASE per seed)."""
    import torch

    from forecast.config import DataSpec, RunConfig, WindowConfig, replace
    from forecast.data.sources import load_series
    from forecast.forecaster import fit, resolve_run, season_of, to_tensor
    from forecast.walkforward import fold_seed

    args = shlex.split(settings["tool_args"])
    opts = {args[i][2:]: args[i + 1] for i in range(len(args) - 1) if args[i].startswith("--")}
    spec = DataSpec(path=str(ROOT / settings["file"]), **{k: opts[k] for k in ("target", "series") if k in opts})
    series = load_series(spec)
    if len(series) > LONG_ROWS and not named:
        return None
    horizon, folds = int(opts["horizon"]), int(opts["folds"])
    step, season, y = int(opts.get("step", horizon)), season_of(series), series.y
    cutoffs = [len(series) - horizon - (folds - 1 - k) * step for k in range(folds)]
    recipe = resolve_run(RunConfig(window=WindowConfig(horizon=horizon, transform=transform)),  # type: ignore[arg-type]
                         series.rows(0, cutoffs[0]))
    per_seed = []
    for seed in seeds:
        scores = []
        for k, cut in enumerate(cutoffs):
            part = series.rows(0, cut)
            fitted = fit(part, replace(recipe, train=replace(recipe.train, seed=fold_seed(seed, k))))
            with torch.no_grad():
                out = fitted.net(to_tensor(fitted.model_inputs(part), torch.device("cpu")))  # (1, H, P)
            z = fitted.net.head.point(out).double().numpy()[0]  # (H,) model space
            point = fitted.pipeline.to_levels(z, fitted.pipeline.anchor(part.y))  # (H,)
            scale = scales[k] if scales else float(np.mean(np.abs(y[season:cut] - y[: cut - season])))
            scores.append(float(np.mean(np.abs(y[cut : cut + horizon] - point))) / scale)
            if kept is not None:
                kept.append({"seed": seed, "fold": k, "forecast": [float(v) for v in point]})
        per_seed.append(float(np.mean(scores)))
    return str(recipe.window.transform), per_seed


def _refit_always() -> None:
    """Patch forecaster._refit so that a short series' net is refit whatever the fit chose."""
    from dataclasses import replace

    import forecast.forecaster as F

    original = F._refit

    def refit(series, forecaster, candidate, on_step):  # type: ignore[no-untyped-def]
        as_net = replace(forecaster, choice={**forecaster.choice, "member": candidate.name, "kind": "net"})
        out = original(series, as_net, candidate, on_step)
        return replace(out, choice=forecaster.choice)

    F._refit = refit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transform", default="auto")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (fold seeds as evaluate's)")
    parser.add_argument("--only", default="", help="comma-separated keys (airline and tuning keys)")
    parser.add_argument("--refit-always", action="store_true",
                        help="refit the net on every window whatever the fit chose (as if comb were chosen)")
    parser.add_argument("--save", default="", help="write every fold's net forecast to this JSON file")
    opts = parser.parse_args()
    import torch

    torch.set_num_threads(1)  # as walkforward's one_thread: the same numbers as evaluate
    if opts.refit_always:
        _refit_always()
    only = [k for k in opts.only.split(",") if k]
    seeds = [int(s) for s in opts.seeds.split(",")]
    saved: dict[str, dict] = {}
    print("| series | transform | net MASE (mean of seeds) | per seed | best statistical | time |")
    print("|---|---|---|---|---|---|")
    for key, (settings, scales, stat) in cases(only).items():
        started = time.perf_counter()
        kept: list = []
        result = net_mase(settings, scales, opts.transform, seeds, key in only, kept)
        if result is None:
            continue
        transform, per_seed = result
        saved[key] = {"transform": transform, "folds": kept}
        if opts.save:
            Path(opts.save).write_text(json.dumps(saved))
        stat_text = f"{stat:.3f}" if stat is not None else ""
        print(f"| {key} | {transform} | **{np.mean(per_seed):.3f}** | "
              f"{' / '.join(f'{s:.3f}' for s in per_seed)} | {stat_text} | "
              f"{time.perf_counter() - started:.0f} s |", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
