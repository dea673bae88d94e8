"""A Forecaster to and from a plain-data payload (what persistence.py writes)."""

from __future__ import annotations

import platform
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

import numpy as np
import torch

from forecast import __version__
from forecast.config import run_config_from_dict, to_dict
from forecast.data.series import SeriesData
from forecast.errors import ModelFileError
from forecast.forecaster import Forecaster
from forecast.models.registry import build_model
from forecast.train import TrainReport
from forecast.transforms import TargetPipeline


def data_info(series: SeriesData) -> dict[str, Any]:
    """What a model remembers of its training data."""
    return {
        "source": series.source,
        "name": series.name,
        "target": series.target,
        "features": list(series.features),
        "freq": series.freq,
        "classes": list(series.classes),
        "fingerprint": series.fingerprint(),
        "n_rows": len(series),
        "first_date": str(series.index[0]),
        "last_date": str(series.index[-1]),
    }


def to_payload(forecaster: Forecaster, series: SeriesData, name: str) -> dict[str, Any]:
    """Plain data: configs, weights as float arrays, pipeline, data, metrics, versions."""
    weights = {k: v.detach().cpu().numpy().copy() for k, v in forecaster.net.state_dict().items()}
    report = asdict(forecaster.report) if forecaster.report else {}
    report["history"] = [[t, v] for t, v in report.get("history", [])]
    return {
        "name": name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run": to_dict(forecaster.run),
        "weights": weights,
        "pipeline": forecaster.pipeline.state(),
        "residuals": forecaster.residuals.astype(np.float64),
        "data": data_info(series),
        "report": report,
        "metrics": dict(forecaster.extra.get("metrics", {})),
        "versions": {
            "forecast": __version__,
            "torch": str(torch.__version__),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }


def from_payload(payload: dict[str, Any], device: str = "cpu") -> Forecaster:
    """Rebuild the Forecaster on ``device`` (CUDA-trained weights load on CPU)."""
    try:
        run = run_config_from_dict(payload["run"])
        net = build_model(run.model)
        state = {k: torch.from_numpy(np.asarray(v)) for k, v in payload["weights"].items()}
        net.load_state_dict(state)
        pipeline = TargetPipeline.from_state(payload["pipeline"])
        residuals = np.asarray(payload.get("residuals", np.zeros(0)), dtype=np.float64)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise ModelFileError(
            f"model {payload.get('name', '?')!r} does not match this forecast version's "
            f"networks ({type(err).__name__}: {str(err).splitlines()[0][:120]}); retrain it"
        ) from None
    net.to(torch.device(device)).eval()
    report = payload.get("report") or {}
    train_report = TrainReport(**report) if report else None
    return Forecaster(run, pipeline, net, residuals, train_report, {"payload": payload})
