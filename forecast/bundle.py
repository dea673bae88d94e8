"""A Forecaster to and from a plain-data payload (what persistence.py writes)."""

from __future__ import annotations

import platform
from dataclasses import asdict, fields
from datetime import datetime, timezone
from typing import Any

import numpy as np
import torch

from forecast import __version__, pricedist, statpeers
from forecast.config import run_config_from_dict, to_dict
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, ModelFileError
from forecast.forecaster import Forecaster
from forecast.models.registry import build_model
from forecast.selection import Choice, check_choice
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
        "calibration": forecaster.calibration.astype(np.float64),
        "choice": dict(forecaster.choice),
        "conformal": _plain_conformal(forecaster.conformal),
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
        calibration = np.asarray(payload.get("calibration", np.zeros((0, 0))), dtype=np.float64)
        choice = payload.get("choice") or {}  # none in bundles saved before the floor: the net
        if not isinstance(choice, dict):
            raise ValueError("the saved choice is not a table")
        check_choice(Choice.from_dict(choice, run.model.name), run.model.name)  # exactly known
        pricedist.check(choice.get("distribution"))  # a price fit's Student-t or conformal
        statpeers.check_fitted(choice.get("fitted"))  # the statistical members' saved fits
        state = _plain_conformal(payload.get("conformal") or {})  # none before conformal intervals
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError, ConfigError) as err:
        # ConfigError: a network this version does not have (a newer forecast saved it)
        raise ModelFileError(
            f"model {payload.get('name', '?')!r} does not match this forecast version's "
            f"networks ({type(err).__name__}: {str(err).splitlines()[0][:120]}); retrain it"
        ) from None
    net.to(torch.device(device)).eval()
    return Forecaster(run, pipeline, net, residuals, _train_report(payload), {"payload": payload},
                      calibration, choice, state)


def _plain_conformal(state: dict[str, Any]) -> dict[str, Any]:
    """The conformal state as plain data: levels (Q,), taus (Q, H) float array, n, gamma, where."""
    if not state:
        return {}
    taus = np.asarray(state["taus"], dtype=np.float64)
    levels = [float(q) for q in state["levels"]]
    if taus.ndim != 2 or len(taus) != len(levels):
        raise ValueError("conformal levels and taus disagree")
    out = {"levels": levels, "taus": taus, "gamma": float(state.get("gamma", 0.0)),
           "n": int(state.get("n", 0)), "where": str(state.get("where", ""))}
    if state.get("scale") is not None:  # [window, log, scale at fit end, power]: rescaled predictions
        out["scale"] = [float(v) for v in state["scale"]]
        out["row_scale"] = np.asarray(state.get("row_scale", ()), dtype=np.float64)  # (N,) per row
    return out


def _train_report(payload: dict[str, Any]) -> TrainReport | None:
    """The saved training report; None when a bundle from another version lacks a field.

    Keys this version does not know are dropped, so bundles from newer minor
    versions (and the golden bundle in tests) keep loading.
    """
    report = payload.get("report")
    if not isinstance(report, dict) or not report:
        return None
    known = {f.name for f in fields(TrainReport)}
    kept = {k: v for k, v in report.items() if k in known}
    try:
        if isinstance(kept.get("history"), list):  # saved as lists of [train, val]
            kept["history"] = [tuple(item) for item in kept["history"]]
        return TrainReport(**kept)
    except TypeError:
        return None
