"""Many series of one long-format file: one model per series, or one global model.

``train_all_series`` fits one model per symbol in parallel (forecast.parallel)
and saves each as ``<file>-<symbol>-<model>``. ``fit_global`` fits ONE network
on the windows of every series: each series keeps its own TargetPipeline
(its transform, ``auto`` choosing per series, and a scaler fitted on that series
only), and the network learns which series a window is from through its id::

    windows (N, L, F + 1): inputs scaled by the series' own pipeline ++ the series index
    GlobalNet: index -> one-hot (K columns) or a learned embedding (D columns)
               -> (B, L, F + K) or (B, L, F + D) -> the shared network

One-hot ids for up to ``ONEHOT_MAX`` series (measured: bench/bench_global.py),
a learned ``embedding_dim(K)``-wide embedding above. Windows carry the index, not
the code, so their memory does not grow with the number of series.

A saved global bundle predicts for any of its series: :func:`forecaster_for`
returns an ordinary Forecaster for one series (its pipeline and the shared net
behind :class:`SeriesIdNet`), so predict, rollout and generate work unchanged.
The bundle keeps the shared network's weights under their usual names, the
embedding table (K, D) under ``EMBEDDING_KEY`` and the encoding in ``series_ids``;
bundles saved before the embedding (no ``series_ids``) are one-hot and still load.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from forecast.config import RunConfig, TrainConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, ForecastError, ModelFileError, NotFoundError
from forecast.forecaster import (
    Forecaster,
    choose_transform,
    fit,
    resolve_run,
    split_validation,
)
from forecast.models.base import ForecastNet
from forecast.models.registry import build_model
from forecast.parallel import one_thread, run_jobs
from forecast.threads import threads_for
from forecast.train import EPOCH_BATCHES, EpochStats, TrainReport, seed_everything, train_network
from forecast.transforms import Scaler, TargetPipeline
from forecast.windows import make_windows

GLOBAL_KIND = "global"


def symbols(path: str | Path) -> list[str]:
    """The series of a long-format file; ConfigError when it holds one series only."""
    from forecast.config import DataSpec
    from forecast.data.sources import series_names

    names = series_names(DataSpec(path=str(path)))
    if not names:
        raise ConfigError(f"{path}: no symbol column (one series); --all-series and --global need "
                          "a long-format file with a symbol/ticker column")
    return names


def load_all(run: RunConfig, only: list[str] | None = None) -> list[SeriesData]:
    """Every series of ``run.data.path`` (or the ``only`` ones), read and validated."""
    from forecast.data.sources import load_all as load

    return load(run.data, only)


def model_name(series: SeriesData, model: str, prefix: str | None = None) -> str:
    """``<file>-<symbol>-<model>`` (the prefix replaces the file stem)."""
    from forecast.registry import safe_name

    return safe_name(f"{prefix or Path(series.source).stem}-{series.name}-{model}")


@dataclass(frozen=True)
class SeriesFit:
    """One series' model from ``train_all_series`` (``error`` set when it failed)."""

    symbol: str
    name: str
    rows: int = 0
    path: str | None = None
    seconds: float = 0.0
    epochs: int = 0
    val_loss: float | None = None
    error: str | None = None
    payload: dict[str, Any] | None = None
    chosen: str = ""  # what the fit forecasts with: the network, a baseline, a peer or comb
    kept_initial: bool = False  # training never beat the starting (training-mean) forecast


def fit_payload(job: tuple[SeriesData, RunConfig, str]) -> SeriesFit:
    """Fit one series and return its bundle payload (runs in a worker; never raises)."""
    from forecast.bundle import to_payload

    series, run, name = job
    started = time.perf_counter()
    try:
        with one_thread():  # the same weights with any --jobs or backend
            forecaster = fit(series, run)
    except ForecastError as err:
        return SeriesFit(series.name, name, len(series), error=str(err))
    except Exception as err:  # a bug in one series must not lose the others
        return SeriesFit(series.name, name, len(series),
                         error=f"internal error: {type(err).__name__}: {err}")
    rep = forecaster.report
    return SeriesFit(series.name, name, len(series), None, time.perf_counter() - started,
                     rep.epochs_run if rep else 0, rep.best_val_loss if rep else None,
                     payload=to_payload(forecaster, series, name), chosen=forecaster.chosen.member,
                     kept_initial=bool(rep and rep.kept_initial))


def train_all_series(
    run: RunConfig,
    *,
    prefix: str | None = None,
    only: list[str] | None = None,
    jobs: int = 1,
    backend: str = "local",
    scheduler: str | None = None,
    model_dir: str | Path | None = None,
) -> list[SeriesFit]:
    """One model per series, fitted in parallel; each saved as a new version and made current."""
    from forecast import paths, registry

    all_series = load_all(run, only)
    work = [(s, replace(run, data=replace(run.data, series=s.name)),
             model_name(s, run.model.name, prefix)) for s in all_series]
    root = paths.models_dir(model_dir)
    done = []
    for result in run_jobs(fit_payload, work, jobs=jobs, name=backend, scheduler=scheduler):
        if result.payload is not None:
            path = registry.publish(root, result.name, result.payload)
            result = replace(result, path=str(path))
        done.append(replace(result, payload=None))
    return done


ONEHOT = "onehot"
EMBEDDING = "embedding"
ID_ENCODINGS = ("auto", ONEHOT, EMBEDDING)
# auto: one-hot ids up to this many series, an embedding above. bench_global (random subsets of
# K = 8 to 1,533 real series): no accuracy winner beyond seed noise either way; one-hot costs the
# same time up to 32 series, 1.3x at 128, 3x at 512, 8x at 1,533 (K input columns per step).
ONEHOT_MAX = 32
EMBEDDING_KEY = "series_ids.embedding"  # the (K, D) table among a bundle's weights
# each series keeps the one-step errors of its most recent windows only (its intervals): on
# 1,533 series, errors on every window took a third of the fit (bench_global)
GLOBAL_RESIDUAL_WINDOWS = 500
# The default batch (32 windows) grows to GLOBAL_BATCH when the series hold more windows than
# an epoch of EPOCH_BATCHES such batches: on 1,533 series 128 gave 1.9x the windows a second of
# 32 and a lower MASE (bench_global). An explicit --batch-size 32 cannot be told from the default.
DEFAULT_BATCH = TrainConfig.__dataclass_fields__["batch_size"].default
GLOBAL_BATCH = 128


def embedding_dim(n_series: int) -> int:
    """Width of the learned id: about sqrt(K), 4 to 16 columns."""
    return int(min(16, max(4, round(n_series ** 0.5))))


def id_encoding(n_series: int, asked: str = "auto") -> tuple[str, int]:
    """(encoding, columns it adds to the network's inputs) for ``n_series`` series."""
    if asked not in ID_ENCODINGS:
        raise ConfigError(f"series ids {asked!r}: choose {', '.join(ID_ENCODINGS)}")
    encoding = asked if asked != "auto" else ONEHOT if n_series <= ONEHOT_MAX else EMBEDDING
    return encoding, n_series if encoding == ONEHOT else embedding_dim(n_series)


class GlobalNet(ForecastNet):
    """The shared network behind its series-id encoder.

    Its inputs carry the series index as their last column; it becomes the series'
    one-hot code or its learned embedding before the shared network sees it::

        x (B, L, F + 1) -> codes (B, W) -> (B, L, F + W) -> net -> (B, H, P)
    """

    supports_step = False

    def __init__(self, net: ForecastNet, n_series: int, encoding: str) -> None:
        torch.nn.Module.__init__(self)
        self.config, self.head, self.net = net.config, net.head, net
        self.n_series, self.encoding = n_series, encoding
        self.width = id_encoding(n_series, encoding)[1]
        self.embedding = torch.nn.Embedding(n_series, self.width) if encoding == EMBEDDING else None

    # the trainer sets these on the network it trains: the shared network is the one that reads them
    @property
    def tbptt(self) -> int:  # type: ignore[override]
        return int(self.net.tbptt)

    @tbptt.setter
    def tbptt(self, value: int) -> None:
        self.net.tbptt = value

    @property
    def epoch_fraction(self) -> float:  # type: ignore[override]
        return float(self.net.epoch_fraction)

    @epoch_fraction.setter
    def epoch_fraction(self, value: float) -> None:
        self.net.epoch_fraction = value

    def with_ids(self, x: Tensor) -> Tensor:
        index = x[:, 0, -1].round().long()  # (B,)
        if self.embedding is None:
            codes = torch.nn.functional.one_hot(index, self.n_series).to(x.dtype)  # (B, K)
        else:
            codes = self.embedding(index).to(x.dtype)  # (B, D)
        codes = codes[:, None, :].expand(-1, x.shape[1], -1)  # (B, L, W)
        return torch.cat([x[..., :-1], codes], dim=-1)  # (B, L, F + W)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(self.with_ids(x))  # (B, H, P)

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        return self.net.loss(self.with_ids(x), y)

    def weights(self) -> dict[str, np.ndarray]:
        """Plain arrays: the shared network's state under its own names, plus the embedding."""
        out = {k: v.detach().cpu().numpy().copy() for k, v in self.net.state_dict().items()}
        if self.embedding is not None:
            out[EMBEDDING_KEY] = self.embedding.weight.detach().cpu().numpy().copy()
        return out

    def load_weights(self, weights: dict[str, Any]) -> None:
        state = {k: torch.from_numpy(np.asarray(v)) for k, v in weights.items() if k != EMBEDDING_KEY}
        self.net.load_state_dict(state)
        if self.embedding is not None:
            table = torch.from_numpy(np.asarray(weights[EMBEDDING_KEY], dtype=np.float32))
            if tuple(table.shape) != (self.n_series, self.width):
                raise ValueError(f"embedding table {tuple(table.shape)}, expected "
                                 f"{(self.n_series, self.width)}")
            with torch.no_grad():
                self.embedding.weight.copy_(table)


class SeriesIdNet(ForecastNet):
    """The global network seen as one series' network: appends that series' index column."""

    supports_step = False  # encode/step re-feed windows through forward

    def __init__(self, net: GlobalNet, index: int) -> None:
        torch.nn.Module.__init__(self)
        self.config, self.head, self.tbptt, self.net = net.config, net.head, 0, net
        self.index = index

    def with_id(self, x: Tensor) -> Tensor:
        ids = x.new_full((x.shape[0], x.shape[1], 1), float(self.index))  # (B, L, 1)
        return torch.cat([x, ids], dim=-1)  # (B, L, F + 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(self.with_id(x))  # (B, H, P)

    def loss(self, x: Tensor, y: Tensor) -> Tensor:
        return self.net.loss(self.with_id(x), y)


@dataclass
class GlobalModel:
    """One network for many series, each with its own pipeline."""

    run: RunConfig  # model.n_features = F + W (W: the id's columns, K one-hot or D embedded)
    names: tuple[str, ...]  # series ids, in index order
    pipelines: dict[str, TargetPipeline]
    net: GlobalNet
    residuals: dict[str, np.ndarray]
    report: TrainReport | None = None
    choices: dict[str, dict[str, Any]] = field(default_factory=dict)  # series -> Choice.as_dict()

    def index(self, name: str) -> int:
        """Position of a series (exact name, else case-insensitive); NotFoundError otherwise."""
        matches = [n for n in self.names if n == name] or [
            n for n in self.names if n.lower() == name.lower()]
        if not matches:
            raise NotFoundError(f"this global model knows no series {name!r}; it predicts for "
                                f"{', '.join(self.names)} (pick one with --series)")
        return self.names.index(matches[0])

    def forecaster(self, name: str, extra: dict[str, Any] | None = None) -> Forecaster:
        """An ordinary Forecaster for one series (predict, rollout and generate work)."""
        k = self.index(name)
        symbol = self.names[k]
        n_features = self.run.model.n_features - self.net.width
        run = replace(self.run, data=replace(self.run.data, series=symbol),
                      window=replace(self.run.window, transform=self.pipelines[symbol].transform),
                      model=replace(self.run.model, n_features=n_features))
        view = SeriesIdNet(self.net, k).to(next(self.net.parameters()).device)
        return Forecaster(run, self.pipelines[symbol], view, self.residuals[symbol], self.report,
                          dict(extra or {}), choice=dict(self.choices.get(symbol, {})))

    def chosen_counts(self) -> dict[str, int]:
        """How many series forecast with each member (the net, or a baseline that beat it)."""
        counts: dict[str, int] = {}
        for name in self.names:
            member = str(self.choices.get(name, {}).get("member", self.run.model.name))
            counts[member] = counts.get(member, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _series_windows(series: SeriesData, k: int, run: RunConfig,
                    pipeline: TargetPipeline) -> tuple[np.ndarray, np.ndarray]:
    """One series' windows with its index column: X (N, L, F + 1) float32, Y (N, H)."""
    inputs, targets = pipeline.to_model_space(series.x, series.source)
    ids = np.full((len(inputs), 1), float(k))
    assert run.window.input_len is not None and run.window.horizon is not None
    x, y = make_windows(np.hstack([inputs, ids]), targets, run.window.input_len, run.window.horizon)
    return x.astype(np.float32), y.astype(np.float32)


def global_run(all_series: list[SeriesData], run: RunConfig, id_columns: int | None = None) -> RunConfig:
    """Resolve the window on the shortest series (``auto`` stays: each series picks its own
    transform), the network's size and the training schedule on the windows of all series
    (an epoch of 1,000 series is not one of the shortest). The network's inputs gain
    ``id_columns`` (default: one-hot, one per series)."""
    from forecast.forecaster import SMALL_DATA_WINDOWS
    from forecast.train import resolve_training
    from forecast.windows import n_windows

    if any(s.classes for s in all_series):
        raise ConfigError("--global supports numeric targets only; train categorical series "
                          "with --all-series")
    resolved = resolve_run(run, min(all_series, key=len))
    window = replace(resolved.window, transform=run.window.transform)
    assert window.input_len is not None and window.horizon is not None
    windows = sum(n_windows(len(s), window.input_len, window.horizon) for s in all_series)
    small = windows < SMALL_DATA_WINDOWS
    lr = (3e-3 if small else 1e-3) if run.train.lr is None else run.train.lr
    batch = run.train.batch_size
    if batch == DEFAULT_BATCH and windows > EPOCH_BATCHES * GLOBAL_BATCH:
        batch = GLOBAL_BATCH  # an epoch of the step budget would see a sliver of the windows
    train = resolve_training(replace(run.train, lr=lr, batch_size=batch), windows)
    width = len(all_series) if id_columns is None else id_columns
    model = replace(resolved.model, seeds=run.model.seeds or 1,  # one net unless asked: trained as one module
                    hidden=run.model.hidden or (32 if small else 64),
                    layers=run.model.layers or (1 if small else 2),
                    n_features=resolved.model.n_features + width)
    return replace(resolved, window=window, model=model, train=train)


def series_transform(run: RunConfig, series: SeriesData) -> str:
    """The series' own transform under ``auto`` (log returns for prices), else the one asked."""
    return choose_transform(series) if run.window.transform == "auto" else run.window.transform


def fit_global(all_series: list[SeriesData], run: RunConfig, *,
               on_epoch: Callable[[EpochStats], None] | None = None,
               ids: str = "auto") -> GlobalModel:
    """One network on every series' windows, each series scaled by its own pipeline; ``ids``:
    how the network tells series apart (auto, onehot, embedding)."""
    names = tuple(s.name for s in all_series)
    if len(set(names)) != len(names) or len(names) < 2:
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        raise ConfigError(f"--global needs two or more distinct series, got {shown}")
    encoding, width = id_encoding(len(names), ids)
    run = global_run(all_series, run, width)
    pipelines, parts = {}, []
    for k, series in enumerate(all_series):
        pipeline = TargetPipeline(series_transform(run, series), Scaler(run.window.scaler))
        pipelines[series.name] = pipeline.fit(series.x, series.source)
        x, y = _series_windows(series, k, run, pipeline)
        train, val = split_validation(len(x), run.model.horizon, run.train.val_fraction)
        parts.append((x, y, train, val))
    x_train = np.concatenate([x[train] for x, _, train, _ in parts])  # (N, L, F + 1)
    y_train = np.concatenate([y[train] for _, y, train, _ in parts])  # (N, H)
    x_val = np.concatenate([x[val] for x, _, _, val in parts])
    y_val = np.concatenate([y[val] for _, y, _, val in parts])
    seed_everything(run.train.seed)
    net = GlobalNet(build_model(run.model), len(names), encoding)
    with threads_for(net, run.train.batch_size):  # forecast.threads: work, machine and load decide
        report = train_network(net, x_train, y_train, x_val, y_val, run.train, on_epoch=on_epoch)
        recent = [slice(max(0, len(x) - GLOBAL_RESIDUAL_WINDOWS), len(x)) for x, _, _, _ in parts]
        val = [np.arange(len(x))[v] for x, _, _, v in parts]
        errors = _errors_in_one_pass(net, [(p[0][r], p[1][r]) for p, r in zip(parts, recent)]
                                     + [(p[0][i], p[1][i]) for p, i in zip(parts, val)])
        residuals = {n: e[:, 0].copy() for n, e in zip(names, errors[: len(parts)])}  # one-step errors
        choices = {s.name: series_choice(s, net, pipelines[s.name], p, run, e)
                   for s, p, e in zip(all_series, parts, errors[len(parts):])}
    return GlobalModel(run, names, pipelines, net, residuals, report, choices)


def _errors_in_one_pass(net: GlobalNet, pieces: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """forecaster.point_errors of every (x (n, L, F), y (n, H)) piece, in batches across pieces:
    one forward pass per 1,024 windows instead of one per series (1,533 series, idle machine: the per-series
    residual passes took 2.2 s of a 14.6 s fit; the whole fit took 12.9 s after this change)."""
    from forecast.forecaster import point_errors

    sizes = [len(x) for x, _ in pieces]
    if not sum(sizes):
        return [np.zeros((0, net.config.horizon)) for _ in pieces]
    x = np.concatenate([x for x, _ in pieces])  # (sum n, L, F)
    y = np.concatenate([y for _, y in pieces])  # (sum n, H)
    return np.split(point_errors(net, x, y), np.cumsum(sizes)[:-1])


MIN_SERIES_ORIGINS = 3  # fewer validation windows of a series cannot tell the net from a baseline


def series_choice(series: SeriesData, net: GlobalNet, pipeline: TargetPipeline,
                  part: tuple[np.ndarray, np.ndarray, slice, slice], run: RunConfig,
                  errors: np.ndarray | None = None) -> dict[str, Any]:
    """The floor for one series of a global model: the global net against the simple baselines
    (naive, seasonal naive, drift, mean) on that series' own validation windows, which the net
    never trained on (selection.choose: the net is used only if its MAE is lower). Without
    MIN_SERIES_ORIGINS such windows the net is kept and the choice says so (empty: the net).
    ``errors``: the net's errors on those windows when already computed."""
    from forecast.forecaster import anchors, point_errors, season_of
    from forecast.selection import choose

    x, y, _, val = part
    idx = np.arange(len(x))[val]  # (N,) the series' validation windows
    if len(idx) < MIN_SERIES_ORIGINS:
        return {}
    assert run.window.input_len is not None
    origins = idx + run.window.input_len + pipeline.rows_lost  # the row each window forecasts from
    if errors is None:  # (N, H) model space; fit_global passes them, computed for all series at once
        errors = point_errors(net, x[idx], y[idx])
    levels = pipeline.to_levels(y[idx] - errors, anchors(pipeline, series.y, origins))  # (N, H)
    choice, _ = choose(series.y, origins, run.model.horizon, season_of(series), False,
                       {run.model.name: levels})
    return choice.as_dict()


def to_global_payload(model: GlobalModel, all_series: list[SeriesData], name: str) -> dict[str, Any]:
    """Plain data like bundle.to_payload, with a pipeline, residuals and data info per series."""
    from forecast.bundle import data_info, to_payload

    first = all_series[0].name
    base = Forecaster(model.run, model.pipelines[first], model.net.net, model.residuals[first],
                      model.report)
    payload = to_payload(base, all_series[0], name)
    del payload["pipeline"]  # a global bundle has one per series (and needs multiseries to load)
    payload.update({
        "kind": GLOBAL_KIND, "series": list(model.names), "weights": model.net.weights(),
        "series_ids": {"encoding": model.net.encoding, "columns": model.net.width},
        "pipelines": {n: p.state() for n, p in model.pipelines.items()},
        "residuals": {n: r.astype(np.float64) for n, r in model.residuals.items()},
        "choices": model.choices,
        "data": {s.name: data_info(s) for s in all_series},
    })
    return payload


def from_global_payload(payload: dict[str, Any], device: str = "cpu") -> GlobalModel:
    """Rebuild a GlobalModel from a loaded bundle payload."""
    from forecast.bundle import _train_report
    from forecast.config import run_config_from_dict

    try:
        run = run_config_from_dict(payload["run"])
        names = tuple(str(n) for n in payload["series"])
        ids = payload.get("series_ids") or {"encoding": ONEHOT}  # none before the embedding: one-hot
        net = GlobalNet(build_model(run.model), len(names), str(ids["encoding"]))
        net.load_weights(payload["weights"])
        pipelines = {n: TargetPipeline.from_state(payload["pipelines"][n]) for n in names}
        residuals = {n: np.asarray(payload["residuals"][n], dtype=np.float64) for n in names}
        choices = _checked_choices(payload.get("choices") or {}, names, run.model.name)
    except (KeyError, TypeError, ValueError, RuntimeError, ConfigError) as err:
        raise ModelFileError(f"global model {payload.get('name', '?')!r} is damaged or from another "
                             f"forecast version ({type(err).__name__}); retrain it") from None
    net.to(torch.device(device)).eval()
    return GlobalModel(run, names, pipelines, net, residuals, _train_report(payload), choices)


def _checked_choices(raw: Any, names: tuple[str, ...], net_name: str) -> dict[str, dict[str, Any]]:
    """A bundle's per-series choices, exactly: known series, the net or a simple baseline
    (anything else is a damaged or crafted file: ValueError)."""
    from forecast.selection import Choice, table

    allowed = {(net_name, "net"), *((b, "baseline") for b in table(False))}
    if not isinstance(raw, dict) or not set(raw) <= set(names):
        raise ValueError("choices")
    out = {}
    for name, data in raw.items():
        choice = Choice.from_dict(data, net_name)
        if (choice.member, choice.kind) not in allowed:
            raise ValueError("choices")
        out[str(name)] = choice.as_dict()
    return out


def is_global(payload: dict[str, Any]) -> bool:
    return payload.get("kind") == GLOBAL_KIND


def forecaster_for(payload: dict[str, Any], series: str | None, device: str = "cpu") -> Forecaster:
    """The Forecaster of one series of a global bundle (``--series`` picks it)."""
    model = from_global_payload(payload, device)
    if not series:
        raise ConfigError(f"model {payload.get('name')!r} is a global model of "
                          f"{len(model.names)} series; pick one with --series "
                          f"({', '.join(model.names[:10])})")
    return model.forecaster(series, {"payload": payload})


def train_global(run: RunConfig, *, name: str | None = None, only: list[str] | None = None,
                 model_dir: str | Path | None = None,
                 on_epoch: Callable[[EpochStats], None] | None = None) -> tuple[str, Path, GlobalModel]:
    """Read every series, fit one global model, save it as a new version and make it current."""
    from forecast import paths, registry

    all_series = load_all(run, only)
    stem = Path(all_series[0].source).stem
    name = registry.check_name(name) if name else registry.safe_name(f"{stem}-global-{run.model.name}")
    model = fit_global(all_series, run, on_epoch=on_epoch)
    root = paths.models_dir(model_dir)
    path = registry.publish(root, name, to_global_payload(model, all_series, name))
    return name, path, model


__all__ = ["symbols", "load_all", "train_all_series", "fit_global", "train_global", "GlobalModel",
           "GlobalNet", "SeriesIdNet", "id_encoding", "embedding_dim", "ONEHOT_MAX",
           "forecaster_for", "from_global_payload", "to_global_payload", "is_global",
           "SeriesFit"]
