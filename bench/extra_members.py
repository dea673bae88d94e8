"""More statsforecast models on the tuning set's folds, saved in net_lab's --save format so that
bench.combo_study can pool them (issue 12; an offline study, not a bench topic).

    python -m bench.extra_members OUT_DIR
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from bench.peer_pool_study import TUNING, series
from forecast.selection import PEER_MAX_SEASON  # as the fit's members: no seasonal term above it

SKIP = ("elecdemand",)  # nets are not run there either (net_lab's LONG_ROWS)
MODELS = {"ces": ("AutoCES", {}), "dot": ("DynamicOptimizedTheta", {}),
          "arimaapx": ("AutoARIMA", {"approximation": True})}


def main() -> None:
    import statsforecast.models as sf

    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    reference = json.loads((TUNING / "reference.json").read_text())
    saved: dict[str, dict] = {name: {} for name in MODELS}
    for name in MODELS:  # resume
        if (out / f"{name}.json").exists():
            saved[name] = json.loads((out / f"{name}.json").read_text())
    for key, item in reference.items():
        s = item["settings"]
        y, horizon, m = series(s), s["horizon"], s["m"]
        if all(key in saved[n] for n in MODELS):
            continue
        for name, (cls, options) in MODELS.items():
            if name == "arimaapx" and m > 24 or key in SKIP:
                continue
            started, folds = time.perf_counter(), []
            for k, end in enumerate(s["fold_train_ends"]):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        model = getattr(sf, cls)(season_length=m if m <= PEER_MAX_SEASON else 1, **options)
                        history = np.array(y[:end][-1024:], dtype=float)  # a writable copy (AutoCES)
                        f = np.asarray(model.forecast(y=history, h=horizon)["mean"], dtype=float)
                except Exception as exc:  # noqa: BLE001 -- a study: note and go on
                    print(key, name, "failed:", str(exc).splitlines()[0])
                    break
                folds.append({"seed": 0, "fold": k, "forecast": [float(v) for v in f]})
            else:
                saved[name][key] = {"transform": "", "folds": folds}
            print(f"{key} {name} {time.perf_counter() - started:.1f} s", flush=True)
        for name in MODELS:
            (out / f"{name}.json").write_text(json.dumps(saved[name]))


if __name__ == "__main__":
    main()
