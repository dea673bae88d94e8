"""neuralforecast's LSTM on the bench_global collection (runs in the bench venv, not the project's).

    .benchvenv/bin/python -m bench.nf_global COLLECTION.csv OUT.json SETTINGS_JSON

SETTINGS_JSON: {"horizon", "input_len", "threads", "seed", "model": {LSTM keyword arguments}}.
Each series' last ``horizon`` values are held out (as in bench_global); the fit sees the rest.
Steps are positions (ds = 0, 1, ...; freq 1): the collection mixes monthly, quarterly and yearly
series and the LSTM reads positions only. Writes the forecasts per series and the fit's seconds.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings


def main() -> None:
    source, out, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    import pandas as pd
    import torch

    torch.set_num_threads(int(settings["threads"]))
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    horizon = int(settings["horizon"])
    frame = pd.read_csv(source)
    keep = set(settings.get("series") or frame["series"].unique())
    frame = frame[frame["series"].isin(keep)]
    parts = []
    for name, part in frame.groupby("series", sort=False):
        train = part.iloc[:-horizon]
        parts.append(pd.DataFrame({"unique_id": name, "ds": range(len(train)), "y": train["value"].to_numpy()}))
    train = pd.concat(parts, ignore_index=True)
    model = LSTM(h=horizon, input_size=int(settings["input_len"]), random_seed=int(settings["seed"]),
                 accelerator="cpu", devices=1, enable_progress_bar=False, enable_model_summary=False,
                 logger=False, enable_checkpointing=False, **settings["model"])
    nf = NeuralForecast(models=[model], freq=1)
    started = time.perf_counter()
    nf.fit(train)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    forecast = nf.predict()
    predict_seconds = time.perf_counter() - started
    column = [c for c in forecast.columns if c.startswith("LSTM")][0]
    forecast = forecast.reset_index() if "unique_id" not in forecast.columns else forecast
    points = {str(k): g[column].to_list() for k, g in forecast.groupby("unique_id", sort=False)}
    params = sum(p.numel() for p in model.parameters())
    steps = int(model.max_steps)
    windows = steps * int(model.windows_batch_size)
    json.dump({"fit_seconds": fit_seconds, "predict_seconds": predict_seconds, "points": points,
               "steps": steps, "windows": windows, "parameters": params, "threads": torch.get_num_threads(),
               "torch": torch.__version__, "series": len(points), "pid": os.getpid()}, open(out, "w"))


if __name__ == "__main__":
    main()
