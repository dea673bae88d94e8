"""Regenerate the golden model bundle and the predictions it must keep making.

    .venv/bin/python tests/golden/make_golden.py

Writes ``lstm_airline_v1.joblib`` (an LSTM, hidden 4, 1 layer, trained 2 epochs
on sample_data/sktime_airline.csv) and ``lstm_airline_v1.json`` (the input
series and the expected forecast). tests/test_persistence.py checks that the
saved file still loads and predicts the same values. Do not regenerate it to
make a failing test pass: a bundle saved by an older forecast must keep
loading. When the format changes on purpose, add a new ``*_v2`` pair beside
this one and keep the old pair.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = "sample_data/sktime_airline.csv"  # relative, so the bundle holds no machine's path
NAME = "lstm_airline_v1"


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import torch

    from forecast.api import load_series
    from forecast.bundle import from_payload, to_payload
    from forecast.config import DataSpec, ModelConfig, RunConfig, TrainConfig
    from forecast.forecaster import fit
    from forecast.persistence import FORMAT_VERSION, load_bundle, save_bundle

    torch.set_num_threads(1)
    spec = DataSpec(path=DATA)
    series = load_series(spec)
    run = RunConfig(
        data=spec,
        model=ModelConfig(name="lstm", hidden=4, layers=1, dropout=0.0),
        train=TrainConfig(epochs=2, seed=0, device="cpu"),
    )
    forecaster = fit(series, run)
    path = save_bundle(to_payload(forecaster, series, "golden-lstm"), HERE / f"{NAME}.joblib")

    loaded = from_payload(load_bundle(path), "cpu")  # expectations come from the saved file
    forecast = loaded.predict(series)
    raw = loaded.raw_output(series)[0, :, 0].double().numpy()  # (H,) model space
    expected = {
        "bundle": path.name,
        "format_version": FORMAT_VERSION,
        "data": DATA,
        "series": {
            "target": series.target,
            "freq": series.freq,
            "ds": [str(d.date()) for d in series.index],
            "y": series.y.tolist(),
        },
        "forecast": {
            "ds": [str(d.date()) for d in forecast.index],
            "yhat": forecast.point.tolist(),
            "model_space": raw.tolist(),
        },
    }
    (HERE / f"{NAME}.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes) and {NAME}.json")


if __name__ == "__main__":
    main()
