"""A notebook user's audit of the Python API, plots, --json and models: each test fails on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.errors import ConfigError

SMALL = {"epochs": 1, "hidden": 4, "layers": 1, "device": "cpu"}


def test_a_model_saved_from_a_frame_loads_and_forecasts_the_frame_given(model_home: Path, sample_data: Path) -> None:
    # load() refused it ("pass the data: model.predict(df)") before a model existed to call predict on
    df = pd.read_csv(sample_data / "sktime_airline.csv")
    fitted = forecast.fit(df, horizon=4, **SMALL)
    fitted.save("air")
    loaded = forecast.load("air")
    np.testing.assert_allclose(loaded.predict(df)["yhat"].to_numpy(), fitted.predict()["yhat"].to_numpy(), rtol=1e-10)
    paths = loaded.generate(df, steps=3, paths=2)
    assert len(paths) == 6 and paths["ds"].iloc[0] == pd.Timestamp("1961-01-01")
    with pytest.raises(ConfigError, match="fitted on a DataFrame, which is not saved with it; pass the data"):
        loaded.predict()
