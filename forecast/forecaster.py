"""A Forecaster is a fitted pipeline plus a network: fit on a series, predict its future.

Walk-forward evaluation, generation and retraining all go through :func:`fit`
and :meth:`Forecaster.predict`, so every command sees the same defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from forecast import conformal, pricedist, statpeers
from forecast.config import RunConfig, WindowConfig
from forecast.data.dates import as_datetimes, to_index
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, DataError, shortfall
from forecast.models.base import ForecastNet
from forecast.models.ensemble import SeedEnsemble
from forecast.models.registry import build_model
from forecast.selection import (
    INNER_ORIGINS,
    MEDIAN,
    Choice,
    baseline_forecast,
    baseline_forecasts,
    choose,
    choose_with_peers,
    levels_to_model,
    peer_forecasts,
    peer_history,
    peer_names,
    table,
    widen,
)
from forecast.train import (
    VAL_WINDOWS,
    EpochStats,
    StepStats,
    TrainReport,
    resolve_training,
    to_tensor,
    train_members,
)
from forecast.transforms import SEASONAL, Scaler, TargetPipeline, lost_rows
from forecast.volatility import NoiseModel, noise_model
from forecast.windows import make_windows, n_windows

QUANTILE_LEVELS = (0.05, 0.1, 0.5, 0.9, 0.95)
MIN_TRAIN_WINDOWS = 8
MIN_CALIBRATION_WINDOWS = conformal.MIN_ERRORS  # out-of-sample error rows a point model needs for intervals
SMALL_DATA_WINDOWS = 500  # below this: hidden 32, 1 layer, lr 3e-3 unless asked otherwise
TREND_SHARE = 0.5  # R^2 of a linear trend above which the target is differenced
SEASONAL_STRENGTH = 0.5  # F_s above which auto deseasonalises (seasonal differences)
MIN_SEASONS = 4  # ... when the series spans at least this many seasons
MAX_INPUT_LEN = 336  # a default window never reads more steps (two weeks of hours)
PEER_ORIGINS = 48  # the most validation origins scored when the statistical peers compete
CALIBRATION_ORIGINS = 256  # ... while a chosen net calibrates on up to this many of its own
RESIDUAL_WINDOWS = 20_000  # the most recent windows whose one-step errors a model keeps


if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Forecast:
    """A forecast on the data's own scale and calendar."""

    dates: np.ndarray  # (H,) datetime64, UTC instants when tz is set
    point: np.ndarray  # (H,)
    quantiles: dict[float, np.ndarray] = field(default_factory=dict)  # level -> (H,)
    class_probs: np.ndarray | None = None  # (H, C)
    classes: tuple[str, ...] = ()
    tz: Any = None

    @property
    def index(self) -> "pd.DatetimeIndex":
        return to_index(self.dates, self.tz)

    def columns(self) -> dict[str, list[Any]]:
        """ds, yhat, then q0.05 ... or one column per class probability (no pandas needed)."""
        table: dict[str, list[Any]] = {"ds": as_datetimes(self.dates, self.tz)}
        if self.class_probs is not None:
            table["yhat"] = [self.classes[int(c)] for c in self.point]
            for j, name in enumerate(self.classes):
                table[f"p_{name}"] = self.class_probs[:, j].tolist()
            return table
        table["yhat"] = self.point.tolist()
        for level, values in sorted(self.quantiles.items()):
            table[f"q{level:g}"] = np.asarray(values).tolist()
        return table

    def to_frame(self) -> "pd.DataFrame":
        """The table of :meth:`columns` as a DataFrame with a datetime ``ds`` column."""
        import pandas as pd

        frame = pd.DataFrame(self.columns())
        frame["ds"] = self.index.rename(None)
        return frame


def clip_at_zero(forecast: Forecast) -> Forecast:
    """The forecast with negative point values and bounds raised to zero."""
    from dataclasses import replace

    return replace(forecast, point=np.maximum(forecast.point, 0.0),
                   quantiles={q: np.maximum(v, 0.0) for q, v in forecast.quantiles.items()})


def default_horizon(freq: str | None) -> int:
    """A natural horizon for the calendar: one season for seasonal data, a week for days, one
    day for sub-daily steps (48 half-hours, 24 hours; at most MAX_SUB_DAILY_HORIZON)."""
    from forecast.data.calendar import season_length

    season = season_length(freq)
    if freq and freq.upper().startswith("B"):
        return 5
    if season and 1 < season <= 24:
        return season
    if season and _sub_daily(freq):  # one day of steps (48 half-hours), at most a week of hours
        return min(season, MAX_SUB_DAILY_HORIZON)
    return 5 if not season or season == 1 else 12


MAX_SUB_DAILY_HORIZON = 168


def _sub_daily(freq: str | None) -> bool:
    """A calendar whose step is shorter than a day (hours, minutes, seconds)."""
    import pandas as pd

    try:
        offset = pd.tseries.frequencies.to_offset(freq)
        return bool(pd.Timedelta(offset) < pd.Timedelta(days=1))
    except (ValueError, TypeError):
        return False


def default_input_len(freq: str | None, horizon: int, n_rows: int) -> int:
    """Two seasons (at least 20 steps and twice the horizon), capped by the data length and by
    MAX_INPUT_LEN (two seasons of one-minute data would be 2,880 recurrent steps a window).
    A season longer than MAX_INPUT_LEN (minutes, seconds) cannot be seen in a window anyway: the
    seasonal transform carries it (a difference at lag m, anchored on the last m levels, chosen
    for a strong season), so the window holds the recent steps: the horizon, at least 20 (168
    for one-minute data: its recurrent cost a step is half of 336's; issue 15)."""
    from forecast.data.calendar import season_length

    season = season_length(freq) or 1
    if season > MAX_INPUT_LEN:
        wanted = min(MAX_INPUT_LEN, max(20, horizon))
    else:
        wanted = min(MAX_INPUT_LEN, max(2 * season if season > 1 else 0, 20, 2 * horizon))
    cap = max(2, (n_rows - horizon) // 3)
    return int(min(wanted, cap))


def trend_share(y: np.ndarray) -> float:
    """R^2 of a straight line through the series: how much of its variance is trend."""
    t = np.arange(len(y), dtype=np.float64)
    if len(y) < 3 or np.std(y) == 0:
        return 0.0
    r = np.corrcoef(t, y)[0, 1]
    return float(r * r) if np.isfinite(r) else 0.0


def choose_transform(series: SeriesData) -> str:
    """auto: log returns for positive prices or trending positive series, diff for other
    trending series, levels otherwise.

    A network on scaled levels cannot forecast outside the range it was trained on, so a
    series whose straight-line trend explains over half its variance is differenced.
    """
    y = series.y
    price_like = series.price_like
    trending = trend_share(y) > TREND_SHARE
    if (price_like or trending) and np.all(y > 0):
        return "logret"
    return "diff" if trending else "level"


def season_of(series: SeriesData) -> int:
    """The season m of the series' calendar (1 when it has none)."""
    from forecast.data.calendar import season_length

    return int(season_length(series.freq) or 1)


def seasonal_strength(y: np.ndarray, season: int) -> float:
    """Hyndman's F_s on a classical decomposition: 1 - Var(remainder) / Var(season + remainder),
    trend = centred moving average over one season, season = mean detrended value per phase."""
    m = season
    if m <= 1 or len(y) < 3 * m:
        return 0.0
    kernel = np.ones(m + 1) / m if m % 2 == 0 else np.ones(m) / m
    if m % 2 == 0:
        kernel[0] = kernel[-1] = 0.5 / m  # the 2 x m moving average
    trend = np.convolve(y, kernel, mode="valid")  # (T - 2 * (len // 2),)
    half = len(kernel) // 2
    detrended = y[half : half + len(trend)] - trend
    phase = (np.arange(len(detrended)) + half) % m
    profile = np.array([detrended[phase == k].mean() for k in range(m)])
    remainder = detrended - profile[phase]
    total = np.var(detrended)
    return float(max(0.0, 1.0 - np.var(remainder) / total)) if total > 0 else 0.0


def choose_seasonal(series: SeriesData, season: int) -> str | None:
    """auto on a seasonal series: seasonal log differences for a positive series, seasonal
    differences otherwise, when the season explains at least SEASONAL_STRENGTH of the
    detrended variance and the series spans at least MIN_SEASONS seasons; else None."""
    y = series.y
    if season <= 1 or len(y) < MIN_SEASONS * season or seasonal_strength(y, season) < SEASONAL_STRENGTH:
        return None
    return "slogret" if np.all(y > 0) else "sdiff"


def resolve_run(run: RunConfig, series: SeriesData) -> RunConfig:
    """Fill every None in the configs from the data; check the data is long enough."""
    categorical = bool(series.classes)
    horizon = run.window.horizon or default_horizon(series.freq)
    transform = run.window.transform
    season = season_of(series)
    if transform == "auto":
        transform = "level" if categorical else choose_seasonal(series, season) or choose_transform(series)
    if categorical and transform != "level":
        raise ConfigError(f"--transform {transform}: a categorical target takes --transform level")
    input_len = run.window.input_len or default_input_len(series.freq, horizon, len(series))
    head = "class" if categorical else run.model.head
    if head == "class" and not categorical:
        raise ConfigError(
            f"--head class needs a categorical target; {series.target!r} is numeric"
        )
    window = WindowConfig(input_len, horizon, transform, run.window.scaler)  # type: ignore[arg-type]
    lost = lost_rows(transform, season)
    windows = n_windows(len(series) - lost, input_len, horizon)
    small = windows < SMALL_DATA_WINDOWS  # a smaller, faster-learning net for short series
    train = resolve_training(
        replace(run.train, lr=(3e-3 if small else 1e-3) if run.train.lr is None else run.train.lr), windows,
        input_len,
    )
    model = replace(
        run.model,
        head=head,
        hidden=run.model.hidden or (32 if small else 64),
        layers=run.model.layers or (1 if small else 2),
        n_features=(len(series.classes) or 1) + len(series.features),  # one-hot past classes
        horizon=horizon,
        n_classes=len(series.classes),
        seeds=run.model.seeds or default_seeds(head, windows),
    )
    available = n_windows(len(series) - lost, input_len, horizon)
    if available < MIN_TRAIN_WINDOWS:
        need = input_len + horizon + MIN_TRAIN_WINDOWS - 1 + lost
        used = f" + {lost} row{'s' if lost > 1 else ''} the {transform} transform uses up" if lost else ""
        longest, furthest = len(series) - need + input_len, len(series) - need + horizon  # what would fit
        fix = (f"use --input-len {longest} or less, a smaller --horizon, or more data" if longest >= 2
               else f"use --horizon {furthest} or less with --input-len {input_len}, or more data"
               if furthest >= 1 else "use more data")
        parts = [f"input length {input_len}", f"horizon {horizon}",
                 f"{MIN_TRAIN_WINDOWS - 1} rows for {MIN_TRAIN_WINDOWS} training windows{used}"]
        raise DataError(f"{series.source}: series {series.name!r} has {len(series)} rows, too short: "
                        f"{shortfall(parts, need, fix)}")
    return replace(run, window=window, model=model, train=train)


@dataclass
class Forecaster:
    """A trained network with the pipeline that feeds it."""

    run: RunConfig
    pipeline: TargetPipeline
    net: ForecastNet
    residuals: np.ndarray  # model-space one-step errors on training windows
    report: TrainReport | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # model-space errors (N_val, H) of the point forecast on the validation windows, which
    # the weights were not trained on: the intervals of a point model; empty when too few
    calibration: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # what the fit forecasts with (the net or a simple baseline) and the validation scores
    # that decided it: plain data (selection.Choice.as_dict), saved in the bundle
    choice: dict[str, Any] = field(default_factory=dict)
    # conformal levels fitted on ``calibration`` (conformal.calibrate): plain data, saved
    conformal: dict[str, Any] = field(default_factory=dict)

    @property
    def chosen(self) -> Choice:
        return Choice.from_dict(self.choice, self.run.model.name)

    @property
    def baseline(self) -> str | None:
        """The simple baseline or statistical peer this model forecasts (and generates) with, or
        None when it uses its network (alone, or in the equal-weight combination)."""
        chosen = self.chosen
        return chosen.member if chosen.kind in ("baseline", "peer", "median") else None

    def noise(self) -> NoiseModel:
        """How generated paths draw one-step errors (forecast.volatility), tested on the longest
        time-ordered run of them: a net's training residuals, a chosen member's step errors."""
        if self.baseline is None:
            return noise_model(self.residuals)
        return noise_model(max(self.residuals, self.step_errors(), key=len))  # a baseline's: residuals

    def step_errors(self) -> np.ndarray:
        """One-step model-space errors to bootstrap in rollouts: (R,). Out of sample (the
        validation windows) where the model is calibrated, else the training windows'."""
        return self.calibration[:, 0] if len(self.calibration) else self.residuals

    @property
    def input_len(self) -> int:
        assert self.run.window.input_len is not None
        return self.run.window.input_len

    def model_inputs(self, series: SeriesData) -> np.ndarray:
        """The scaled window that forecasts past the end: (1, L, F)."""
        needed = self.input_len + self.pipeline.rows_lost
        if len(series) < needed:
            raise DataError(
                f"{series.source}: {len(series)} rows, but this model reads the last {needed}; "
                "give it a longer history"
            )
        scaled, _ = self.pipeline.to_model_space(series.x[-needed:], series.source)
        return scaled[None, -self.input_len :, :].astype(np.float32)

    def raw_output(self, series: SeriesData) -> torch.Tensor:
        """Head output for the window past the end of ``series``: (1, H, P)."""
        device = next(self.net.parameters()).device
        with torch.no_grad():
            return self.net(to_tensor(self.model_inputs(series), device))

    def predict(self, series: SeriesData, n_samples: int = 400) -> Forecast:
        """Forecast the horizon after the last row of ``series``; a series that has never been
        negative is never forecast negative (its point and bounds are clipped at zero)."""
        forecast = self._predict(series, n_samples)
        if forecast.class_probs is None and len(series) and float(np.nanmin(series.y)) >= 0:
            forecast = clip_at_zero(forecast)
        return forecast

    def _predict(self, series: SeriesData, n_samples: int) -> Forecast:
        if self.baseline is not None or self.chosen.kind == "comb":
            return self._predict_baseline(series)
        out = self.raw_output(series)  # (1, H, P)
        dates = series.future_dates(out.shape[1])
        last = self.pipeline.anchor(series.y)  # the last level (last m levels when seasonal)
        z = self.net.head.point(out).cpu().double().numpy()[0]  # (H,) model space
        point = self.pipeline.to_levels(z, last)
        if self.pipeline.categorical:
            probs = torch.softmax(out[0], dim=-1).cpu().double().numpy()  # (H, C)
            return Forecast(dates, point, class_probs=probs, classes=series.classes, tz=series.tz)
        paths = self._interval_paths(out, z, last, n_samples, series)  # (S, H) levels, or None
        quantiles = {} if paths is None else self._quantiles(paths, series, point)
        return Forecast(dates, point, quantiles, tz=series.tz)

    def _quantiles(self, paths: np.ndarray, series: SeriesData, point: np.ndarray) -> dict[float, np.ndarray]:
        """QUANTILE_LEVELS of level paths (S, H): draws of a probabilistic head; else conformal
        bounds for calibration paths, which a price fit's distribution (forecast.pricedist: a
        Student-t with GARCH volatility, or the mean of it and the bounds) replaces where its
        fit chose it, from the rows of ``series`` and the point forecast (H,)."""
        if self.net.head.probabilistic and self.baseline is None:  # draws of the head itself
            return {q: np.quantile(paths, q, axis=0) for q in QUANTILE_LEVELS}
        bounds = conformal.quantiles(paths, self.conformal, QUANTILE_LEVELS)
        return pricedist.predict_quantiles(self.choice.get("distribution") or {}, series.y, point,
                                           QUANTILE_LEVELS, bounds)

    def _predict_baseline(self, series: SeriesData) -> Forecast:
        """The chosen baseline, peer or combination from every row of ``series``; intervals from its own
        validation errors (model space, like the net's)."""
        horizon = int(self.run.window.horizon or 1)
        categorical = self.pipeline.categorical
        point = self._member_point(series, horizon)
        dates = series.future_dates(horizon)
        if categorical:
            probs = np.zeros((horizon, len(series.classes)))  # (H, C): the baseline is certain
            probs[np.arange(horizon), np.rint(point).astype(int)] = 1.0
            return Forecast(dates, point, class_probs=probs, classes=series.classes, tz=series.tz)
        quantiles: dict[float, np.ndarray] = {}
        last = self.pipeline.anchor(series.y)
        z = levels_to_model(self.pipeline, point[None, :], np.asarray(last)[None, ...])  # (1, H)
        if z is not None and len(self.calibration) >= MIN_CALIBRATION_WINDOWS:
            paths = self.pipeline.to_levels(z + self._calibration_rows(series)[:, :horizon], last)  # (N, H)
            quantiles = self._quantiles(paths, series, point)
        return Forecast(dates, point, quantiles, tz=series.tz)

    def _member_point(self, series: SeriesData, horizon: int) -> np.ndarray:
        """The chosen non-net member's point forecast (H,) from every row of ``series``: a
        baseline; a statistical peer refit on the series (statsforecast, ~0.04 s on monthly
        data; AutoARIMA and AutoETS run what their fit saved, _saved_members); the
        median of the peers; or the mean of the net's forecast and the peers'."""
        chosen = self.chosen
        if chosen.kind == "baseline":
            return baseline_forecast(chosen.member, series.y, horizon, chosen.season,
                                     self.pipeline.categorical)
        if not statpeers.available():
            raise ConfigError(f"this model forecasts with {chosen.member}, which needs statsforecast; "
                              f"install it with: {statpeers.INSTALL}")
        names = chosen.peers
        recent = series.y[-peer_history(chosen.season):]  # the rows the peers were validated on [issue 15]
        members = [statpeers.forecast(n, recent, horizon, chosen.season, member=True,
                                      saved=(self.choice.get("fitted") or {}).get(n))[0]
                   for n in names]
        if chosen.kind == "median":
            return np.median(members, axis=0)
        if chosen.kind == "comb":
            z = self.net.head.point(self.raw_output(series)).cpu().double().numpy()[0]  # (H,)
            members.append(self.pipeline.to_levels(z, self.pipeline.anchor(series.y)))
        return np.mean(members, axis=0)

    def _calibration_rows(self, series: SeriesData) -> np.ndarray:
        """The calibration rows (N, H) at the local volatility of the end of ``series``: each
        row times its factor to the end-of-training scale, times (s_now / s_fit) ** power
        (conformal.rows_at_origins); as saved when the state has no scale (older bundles)."""
        rows, mult = conformal.rows_at_origins(self.calibration, self.conformal, series.y,
                                               np.array([len(series.y)]))
        return rows * mult[0]

    def _interval_paths(
        self, out: torch.Tensor, z: np.ndarray, last: Any, n_samples: int, series: SeriesData
    ) -> np.ndarray | None:
        """Level paths the quantiles come from: draws of a probabilistic head, or the point
        forecast z (H,) plus each calibration error row; None for an uncalibrated point model."""
        if self.net.head.probabilistic:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.run.train.seed)
                gen = torch.Generator(device=out.device).manual_seed(self.run.train.seed)
                draws = self.net.head.sample(out.expand(n_samples, -1, -1), gen, 1.0)  # (S, H)
            return self.pipeline.to_levels(draws.cpu().double().numpy(), last)
        if len(self.calibration) >= MIN_CALIBRATION_WINDOWS:
            rows = self._calibration_rows(series)[:, : len(z)]
            return self.pipeline.to_levels(z[None, :] + rows, last)  # (N, H)
        return None


def training_windows(
    pipeline: TargetPipeline, series: SeriesData, run: RunConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Model-space windows of the whole training series: X (N, L, F), Y (N, H)."""
    inputs, targets = pipeline.to_model_space(series.x, series.source)
    assert run.window.input_len is not None and run.window.horizon is not None
    return make_windows(inputs, targets, run.window.input_len, run.window.horizon)


def split_validation(n: int, horizon: int, fraction: float) -> tuple[slice, slice]:
    """Time-ordered split of n windows: a validation tail, a gap of horizon-1 windows before it."""
    n_val = int(n * fraction) if n >= 20 else 0
    end_train = n - n_val - (horizon - 1)
    if n_val == 0 or end_train < MIN_TRAIN_WINDOWS:  # too few windows for an honest tail
        return slice(0, n), slice(n, n)
    return slice(0, end_train), slice(n - n_val, n)


@dataclass
class _Candidate:
    """One trained net of a fit, with the windows it was trained and validated on."""

    name: str
    run: RunConfig
    pipeline: TargetPipeline
    net: ForecastNet
    report: TrainReport
    x: np.ndarray  # (N, L, F) model-space windows (strided views)
    y: np.ndarray  # (N, H)
    val_part: slice


def fit(
    series: SeriesData,
    run: RunConfig,
    *,
    on_epoch: Callable[[EpochStats], None] | None = None,
    init_from: Forecaster | None = None,
    on_step: Callable[[StepStats], bool] | None = None,
) -> Forecaster:
    """Resolve defaults, fit the pipeline on ``series`` (the training part), train, and keep
    whichever of the trained net and the simple baselines does best on the validation
    windows (:func:`_floor`, which also takes several nets: a second net on the non-seasonal
    transform competing with the seasonal one did not pay on the tuning set, geometric mean
    1.236 against 1.228 at twice the time, so one net is trained)."""
    run = resolve_run(run, series)
    if init_from is not None:  # warm start: as many nets as the earlier weights hold
        run = replace(run, model=replace(run.model, seeds=len(_member_states(init_from.net))))
    trained = run
    if init_from is not None:  # warm start: the transform the earlier weights were trained on
        trained = replace(run, window=replace(run.window, transform=init_from.pipeline.transform))
    candidate = _train_one(series, trained, run.model.name, on_epoch, init_from, on_step)
    run = replace(run, model=replace(run.model, seeds=candidate.run.model.seeds))  # fewer if interrupted
    forecaster = _floor(series, run, [candidate])
    return forecaster if init_from is not None else _refit(series, forecaster, candidate, on_step)


REFIT_WINDOWS = SMALL_DATA_WINDOWS  # a chosen net with fewer windows is refit on all of them


def _refit(series: SeriesData, forecaster: Forecaster, candidate: _Candidate,
           on_step: Callable[[StepStats], bool] | None) -> Forecaster:
    """The chosen net (alone or in ``comb``) retrained on every window, the validation tail
    included, for the epochs early stopping chose on that tail: the tail picks the epoch count
    and the member, then the net learns from the newest rows too. Short series only (under
    REFIT_WINDOWS windows), where the tail and the gap of horizon - 1 windows before it hold a
    large share of the windows, and the newest ones (Airline's first fold: 18 of 61), and where
    training is a small part of a fit. Kept as validated: a net that kept its starting weights,
    a probabilistic or class head, no validation tail, a warm start, an interrupted refit
    (whose report then says interrupted).

    Airline protocol, the net alone (bench/net_lab.py), fold seeds 0..3: validated net 0.868 /
    0.814 / 0.850 / 0.852 (mean 0.846), refit 0.695 / 0.656 / 0.661 / 0.650 (mean 0.665); trained
    on every window for the full epoch budget instead (no tail at all) 0.796 mean. The calibration
    rows stay the validated net's tail errors (out of sample); the one-step residuals are the
    refit net's."""
    report = candidate.report
    if (forecaster.chosen.kind not in ("net", "comb") or report.kept_initial or report.interrupted
            or report.best_epoch < 1 or series.classes or forecaster.net.head.probabilistic
            or candidate.val_part.stop <= candidate.val_part.start or len(candidate.x) >= REFIT_WINDOWS):
        return forecaster
    run = candidate.run
    train = replace(run.train, epochs=report.best_epoch, patience=0)
    one = replace(run.model, seeds=1)
    nets, again = train_members(lambda: build_model(one), len(_member_states(candidate.net)), candidate.x,
                                candidate.y, candidate.x[:0], candidate.y[:0], train, on_step=on_step)
    if again.interrupted:  # Ctrl-C: the validated net, said interrupted (train exits 130)
        return replace(forecaster, report=replace(report, interrupted=True, seconds=report.seconds + again.seconds))
    net = nets[0] if len(nets) == 1 else SeedEnsemble.of(run.model, nets)
    recent = slice(max(0, len(candidate.x) - RESIDUAL_WINDOWS), len(candidate.x))
    residuals = forecaster.residuals
    if forecaster.chosen.kind == "net":  # a member's step errors stay the comb's own
        residuals = point_errors(net, candidate.x[recent], candidate.y[recent])[:, 0].copy()
    return replace(forecaster, net=net, residuals=residuals,
                   report=replace(report, seconds=report.seconds + again.seconds, refit_windows=len(candidate.x)))


SEEDS_SMALL, SEEDS_LARGE = 1, 1  # nets in the default seed ensemble, under / over SMALL_DATA_WINDOWS


def default_seeds(head: str, windows: int) -> int:
    """How many seeds the net averages when --seeds is not given: SEEDS_SMALL under
    SMALL_DATA_WINDOWS training windows, SEEDS_LARGE above; one net for a probabilistic or class
    head (whose raw parameters would be averaged, not their distributions). Measured on the
    tuning set (docs/benchmarks.md "Tuning set"): three seeds on the short series scored worse
    than one (qcement 1.337 -> 1.521, h02 1.005 -> 1.065; the ensemble that learned where one
    seed kept its starting weights won near-ties into `comb`), while on half-hourly demand, the
    series the net wins on its tail and lost the test, three seeds moved 0.810 -> 0.610 (seasonal
    naive 0.606) at 2.4x the time, since a long series' training is most of its fit (elecdemand
    20 of 30 s a fold); two seeds there: 0.692 at 1.9x (gold 1.849 -> 1.874, the rest unchanged).
    On the held-out files two seeds made seattle_temp_max worse (0.697 -> 0.732, naive 0.600) and
    left tata, nyse_eqix and msft as they were (7 files not run), and gasoline's evaluate took
    2.3x: a tuning-set gain, not yet one on series it was not tuned on, at twice the time. So the
    default stays one net on long series too (SEEDS_LARGE 1); `--seeds K` asks for K."""
    if head != "point":
        return 1
    return SEEDS_SMALL if windows < SMALL_DATA_WINDOWS else SEEDS_LARGE


def _member_states(net: ForecastNet) -> list[dict[str, torch.Tensor]]:
    """The weights of each net of a seed ensemble, or of the one net."""
    if isinstance(net, SeedEnsemble):
        return [member.state_dict() for member in net.members]
    return [net.state_dict()]


def _train_one(
    series: SeriesData, run: RunConfig, name: str,
    on_epoch: Callable[[EpochStats], None] | None, init_from: Forecaster | None,
    on_step: Callable[[StepStats], bool] | None = None,
) -> _Candidate:
    pipeline = TargetPipeline(
        transform=run.window.transform,
        scaler=Scaler(run.window.scaler),
        categorical=bool(series.classes),
        season=season_of(series) if run.window.transform in SEASONAL else 1,
        n_classes=len(series.classes),
    ).fit(series.x, series.source)
    x, y = training_windows(pipeline, series, run)
    train_part, val_part = split_validation(len(x), run.model.horizon, run.train.val_fraction)
    one = replace(run.model, seeds=1)
    nets, report = train_members(
        lambda: build_model(one), run.model.seeds or 1, x[train_part], y[train_part], x[val_part],
        y[val_part], run.train, starts=None if init_from is None else _member_states(init_from.net),
        on_epoch=on_epoch, on_step=on_step)  # warm start: each net continues from its earlier weights
    net = nets[0] if len(nets) == 1 else SeedEnsemble.of(run.model, nets)
    run = replace(run, model=replace(run.model, seeds=len(nets)))
    return _Candidate(name, run, pipeline, net, report, x, y, val_part)


def _origins(c: _Candidate) -> np.ndarray:
    """Level rows where the candidate's validation windows start forecasting (exclusive ends)."""
    assert c.run.window.input_len is not None
    return np.arange(c.val_part.start, c.val_part.stop) + c.run.window.input_len + c.pipeline.rows_lost


def anchors(pipeline: TargetPipeline, y: np.ndarray, origins: np.ndarray) -> np.ndarray:
    """What to_levels continues from at each origin: (N,), or (N, m) for a seasonal transform."""
    depth = max(1, pipeline.rows_lost)
    return np.asarray(pipeline.anchor(np.stack([y[o - depth : o] for o in origins])))


def _floor(series: SeriesData, recipe: RunConfig, candidates: list[_Candidate]) -> Forecaster:
    """The nets against the simple baselines on the same validation origins (selection.py):
    the Forecaster of the winner, with the choice (scores and all), the chosen member's
    model-space validation errors (N_val, H) for intervals (empty under
    MIN_CALIBRATION_WINDOWS) and its one-step errors (R,) for rollouts; for a price fit, also the
    distribution its intervals use (forecast.pricedist, in the choice). The Forecaster keeps
    the resolved ``recipe`` (what a refit repeats); its pipeline says which transform won."""
    first = candidates[0]
    run, categorical = first.run, bool(series.classes)
    horizon, season = run.model.horizon, season_of(series)
    tails = [_origins(c) for c in candidates]
    if all(len(t) for t in tails):  # windows no weights trained on: the origins all tails share
        origins, where = tails[0][-min(len(t) for t in tails) :], "validation tail"
        # a long series: evenly spaced ones, the last included (fewer when the statistical
        # peers are scored too: each origin runs each peer forward over the history)
        most = PEER_ORIGINS if _peers_apply(series, candidates, run) else VAL_WINDOWS
        if len(origins) > most:
            origins = origins[np.linspace(0, len(origins) - 1, most).round().astype(int)]
    else:
        assert run.window.input_len is not None
        origins = np.arange(max(0, len(first.x) - INNER_ORIGINS), len(first.x)) + (
            run.window.input_len + first.pipeline.rows_lost)
        where = "inner origins"
    nets: dict[str, np.ndarray | None] = {}
    errors: dict[str, np.ndarray] = {}
    for c in candidates:
        idx = origins - c.run.window.input_len - c.pipeline.rows_lost  # its windows at those origins
        errors[c.name] = point_errors(c.net, c.x[idx], c.y[idx])  # (N, H) model space
        if where == "validation tail" and not (series.price_like and c.report.kept_initial):
            nets[c.name] = c.pipeline.to_levels(c.y[idx] - errors[c.name], anchors(c.pipeline, series.y, origins))
        else:
            nets[c.name] = None
    # a probabilistic head is asked for its distribution, and no validation (val_fraction 0) for
    # the net as trained: both keep the (first) net, and the scores still say how it compares
    keep_net = run.train.keep_net or (first.net.head.probabilistic and not categorical) or (
        where == "inner origins" and run.train.val_fraction <= 0)
    if where == "validation tail" and _peers_apply(series, candidates, run):
        assert run.window.input_len is not None  # widened origins keep two seasons before them
        wide = widen(origins, max(2 * season, run.window.input_len, 2 * horizon))
        choice, forecasts = choose_with_peers(series.y, origins, wide, horizon, season, nets,
                                              price_like=series.price_like, keep_net=keep_net)
    else:
        choice, forecasts = choose(series.y, origins, horizon, season, categorical, nets, where,
                                   keep_net=keep_net, price_like=series.price_like)
    saved = choice.as_dict() | _saved_members(series, choice)
    winner = next((c for c in candidates if c.name == choice.member), first)
    pipeline, net = winner.pipeline, winner.net
    if choice.kind == "net":
        calibrated = not net.head.probabilistic and not categorical
        calibration = errors[winner.name] if calibrated else np.zeros((0, 0))
        tail = _origins(winner)
        if calibrated and where == "validation tail" and len(origins) < min(len(tail), CALIBRATION_ORIGINS):
            # the peers were scored at fewer origins (each runs forward from every one): the
            # net's own errors at up to CALIBRATION_ORIGINS of its validation windows
            tail = tail[np.linspace(0, len(tail) - 1, min(len(tail), CALIBRATION_ORIGINS)).round().astype(int)]
            idx = tail - winner.run.window.input_len - winner.pipeline.rows_lost
            calibration = point_errors(net, winner.x[idx], winner.y[idx])
        recent = slice(max(0, len(winner.x) - RESIDUAL_WINDOWS), len(winner.x))  # one-step errors
        residuals = point_errors(net, winner.x[recent], winner.y[recent])[:, 0].copy()
    else:  # a baseline, a statistical peer or the combination: its errors as a point model's
        z = levels_to_model(pipeline, forecasts[choice.member], anchors(pipeline, series.y, origins))
        idx = origins - run.window.input_len - pipeline.rows_lost
        member_errors = winner.y[idx] - z if z is not None and not categorical else np.zeros((0, horizon))
        calibration, residuals = member_errors, member_errors[:, 0].copy()
        if choice.kind == "baseline" and not categorical:  # a long time-ordered run for generate
            residuals = _baseline_step_errors(series, winner, choice, residuals)
        if categorical:  # (forecast, actual) first-step classes: what generate draws from
            truth = np.stack([series.y[o : o + horizon] for o in origins])
            saved["pairs"] = np.stack([forecasts[choice.member][:, 0], truth[:, 0]], axis=1)
    calibration, state = _conformal(series, winner, choice, calibration,
                                    "net validation tail" if where == "validation tail" else where, origins)
    if (series.price_like and pipeline.transform == "logret" and state and choice.member in forecasts
            and (not choice.anchor or choice.statistical_pick() == choice.anchor)):  # pricedist.py
        saved["distribution"] = pricedist.for_fit(series.y, origins, forecasts[choice.member], pipeline,
                                                  calibration, state, QUANTILE_LEVELS)
    return Forecaster(recipe, pipeline, net, residuals, winner.report, calibration=calibration,
                      choice=saved, conformal=state)


def _baseline_step_errors(series: SeriesData, c: _Candidate, choice: Choice, fallback: np.ndarray) -> np.ndarray:
    """A chosen baseline's model-space one-step errors (R,) at the last RESIDUAL_WINDOWS window
    origins, in time order (0.03 s for naive to 0.15 s for log_drift over 20,000, quiet machine):
    out of sample at every origin (a baseline fits nothing), so
    generate's volatility test (Forecaster.noise) sees clustering that the calibration rows,
    each divided by its origin's local volatility, no longer show. ``fallback`` where the
    transform cannot map the forecasts (a level <= 0 under log changes)."""
    idx = np.arange(max(0, len(c.x) - RESIDUAL_WINDOWS), len(c.x))  # (R,) windows
    origins = idx + (c.run.window.input_len or 0) + c.pipeline.rows_lost
    levels = baseline_forecasts(choice.member, series.y, origins, 1, choice.season, False)  # (R, 1)
    z = levels_to_model(c.pipeline, levels, anchors(c.pipeline, series.y, origins))
    return fallback if z is None else c.y[idx, 0] - z[:, 0]


def _saved_members(series: SeriesData, choice: Choice) -> dict[str, Any]:
    """What predictions need of the chosen statistical members beyond the rows they are given
    (statpeers.fitted: AutoARIMA's orders and coefficients, AutoETS's form), fitted on the rows
    a prediction from the end of training reads, so each prediction does not search again (at
    every origin of `predict --rolling`: tests/test_online_aci.py's rolling test spent 50 of its
    60 s in AutoARIMA's search). Empty where none is chosen or none can fit: predictions then
    search, as they did before."""
    rows = series.y[-peer_history(choice.season):]
    saved = {}
    for name in (n for n in statpeers.SAVED if n in choice.peers):
        try:
            saved[name] = statpeers.fitted(name, rows, choice.season)
        except DataError:
            pass
    return {"fitted": saved} if saved else {}


PEER_CAL_ORIGINS = 120  # rolling calibration origins of a statistical peer (a forward pass each)


def _conformal(series: SeriesData, winner: _Candidate, choice: Choice, errors: np.ndarray,
               where: str, origins: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """The calibration rows (N, H) and conformal state of the chosen member, from errors at
    time-ordered origins (N,) that no choice or early stopping looked at: a member that refits
    at every origin (a baseline; a statistical peer or the peers' median, refit before each
    of conformal.PEER_REFITS runs of origins) at up to conformal.MAX_ORIGINS rolling origins
    ending at the last training window; the net or the combination, whose validation errors
    chose it and early-stopped it, borrows such a member's rolling errors
    (:func:`_borrowed_errors`); a net without a validation tail its
    last training windows (in sample, said so). Each row is rescaled to the local volatility at
    the end of the series (conformal.rescale), and a prediction to its own origin's
    (:meth:`Forecaster._calibration_rows`)."""
    pipeline, net, horizon = winner.pipeline, winner.net, winner.run.model.horizon
    if pipeline.categorical or (choice.kind == "net" and net.head.probabilistic):
        return np.zeros((0, 0)), {}
    assert winner.run.window.input_len is not None
    last = len(winner.x) - 1 + winner.run.window.input_len + pipeline.rows_lost
    own = choice.kind in ("baseline", "peer") or (choice.kind == "median" and conformal.BORROW != "reference")
    if own:
        more, at = _rolling_member_errors(series, pipeline, choice.kind, choice.member, choice.season,
                                          horizon, last, choice.members)
        own = len(more) > len(errors) or (choice.kind == "median" and len(more) >= conformal.MIN_ERRORS)
        if own:
            errors, origins, where = more, at, f"{choice.member} at recent origins"
    if not own and choice.kind not in ("baseline", "peer") and where == "net validation tail":
        errors, origins, where = _borrowed_errors(series, winner, choice, errors, where, origins, last)
    if choice.kind == "net" and (len(errors) < conformal.MIN_ERRORS or where == "inner origins"):
        recent = slice(max(0, len(winner.x) - conformal.MAX_ORIGINS), len(winner.x))
        errors, where = point_errors(net, winner.x[recent], winner.y[recent]), "training windows (in sample)"
        origins = np.arange(recent.start, recent.stop) + winner.run.window.input_len + pipeline.rows_lost
    log = pipeline.transform in ("logret", "slogret")
    window = conformal.scale_window(season_of(series))
    # the rows stay as measured (generate bootstraps their first step, clusters and all); the
    # state keeps each row's factor to the end-of-series scale and the scale itself
    factors, s_end = conformal.row_factors(np.asarray(origins)[: len(errors)], series.y, window, log,
                                           conformal.SCALE_POWER)
    state = conformal.calibrate(errors * factors[:, None], pipeline.transform, pipeline.season,
                                QUANTILE_LEVELS, where, origins=np.asarray(origins)[: len(errors)])
    if state and conformal.SCALE_POWER:
        state["scale"] = [float(window), float(log), s_end, float(conformal.SCALE_POWER)]
        state["row_scale"] = factors.astype(np.float64)
    return (errors, state) if state else (np.zeros((0, 0)), {})


def _rolling_member_errors(series: SeriesData, pipeline: TargetPipeline, kind: str, member: str,
                           season: int, horizon: int, last: int,
                           members: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Model-space errors (N, H) at rolling origins (N,) ending at ``last`` of a member that
    refits at every origin: a baseline at up to conformal.MAX_ORIGINS; a statistical peer
    (fit once before the first origin, run forward at each: out of sample) or the median of
    the peers ``members`` (each so) at up to PEER_CAL_ORIGINS, each with at least a third of
    the rows (and two seasons) before it."""
    if kind == "baseline":
        return conformal.baseline_errors(pipeline, series.y, member, season, horizon, last)
    at = conformal.baseline_origins(pipeline, series.y, season, horizon, last, PEER_CAL_ORIGINS)
    at = at[at >= max(len(series.y) // 3, 2 * max(season, 1) + 2, 10)]
    if len(at) < conformal.MIN_ERRORS:
        return np.zeros((0, horizon)), at[:0]
    if kind == "median":
        each = [_refit_forecasts(n, series.y, at, horizon, season) for n in members]
        fitted = [f for f in each if f is not None]
        forecasts = np.median(np.stack(fitted), axis=0) if len(fitted) >= 2 else None  # (N, H)
    else:
        forecasts = _refit_forecasts(member, series.y, at, horizon, season)
    errors = conformal.member_errors(pipeline, series.y, forecasts, at, horizon)
    return errors, at[: len(errors)]


def _refit_forecasts(name: str, y: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray | None:
    """Peer ``name`` at time-ordered origins (N,): (N, H) levels, refit before each of
    conformal.PEER_REFITS equal runs of origins and run forward within it (None where a fit
    fails). A prediction refits the peer on every row, so errors of one fit on the first
    third of the series, run forward over the rest, overstate its misses later on (Airline's
    first 90 rows, the median: mean |error| at step 12 over the last third of the origins 0.46
    with one fit, 0.37 with a refit every 10 origins; bench/interval_lab.py, tuning half:
    one fit 5.8 / 3.7 points of coverage error, 4 runs 5.0 / 3.3, 12 runs 5.1 / 3.3)."""
    runs = [part for part in np.array_split(origins, max(1, min(conformal.PEER_REFITS, len(origins)))) if len(part)]
    parts = [peer_forecasts(name, y, part, horizon, season) for part in runs]
    return None if any(p is None for p in parts) else np.concatenate(parts)  # type: ignore[arg-type]


def _borrowed_errors(series: SeriesData, winner: _Candidate, choice: Choice, errors: np.ndarray,
                     where: str, origins: np.ndarray, last: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Calibration rows for a chosen net or combination: its n validation errors chose it and
    early-stopped the net, so they are optimistic (walk-forward, 12 series: a net calibrated on
    them covered 0.38 / 0.69 at 80 / 90%). Instead: the rolling-origin errors of the
    reference, the best-scoring member that refits at every origin (a baseline or a
    statistical peer), mirrored (+-e: the chosen member's bias is unknown, so its band is
    symmetric and as wide as the reference's misses, bias included); for the combination
    (conformal.BORROW "own") the closest member instead, the median of its peers, unmirrored
    (most of the comb is those peers, bias included); times the chosen / reference
    validation MAE ratio r shrunk towards 1: (n r + SHRINK) / (n + SHRINK) (a net that looked 4x
    better on 8 windows gets 0.8x the reference's spread, on 300 windows 0.28x). Its own
    errors when there is no reference. Returns the rows ((2N, H) mirrored, (N, H) not), their
    origins and where."""
    peers = set(peer_names(choice.season, series.price_like))
    honest = set(table(False)) | (peers if conformal.BORROW != "baselines" else set())
    references = {k: v for k, v in choice.scores.items() if k in honest}
    closest = (choice.kind == "comb" and conformal.BORROW in ("own", "own_mirror")
               and len(choice.members) >= 2 and MEDIAN in choice.scores)
    if closest:  # the comb's statistical part: the median of its peers
        references = {MEDIAN: choice.scores[MEDIAN]}
    if not references or choice.member not in choice.scores:
        return errors, origins, where
    best = min(references, key=lambda k: references[k])
    ratio = choice.scores[choice.member] / references[best] if references[best] > 0 else 1.0
    n, k = len(errors), conformal.SHRINK
    ratio = (n * ratio + k) / (n + k)
    kind = "median" if best == MEDIAN else "peer" if best in peers else "baseline"
    base, at = _rolling_member_errors(series, winner.pipeline, kind, best, choice.season,
                                      winner.run.model.horizon, last, choice.members)
    if len(base) < conformal.MIN_ERRORS:
        return errors, origins, where
    if closest and conformal.BORROW == "own":
        return ratio * base, at, f"{best} at recent origins x {ratio:.2f}, the {choice.member} / its validation MAE"
    mirrored = np.empty((2 * len(base), base.shape[1]))  # (2N, H): e_t, -e_t, in time order
    mirrored[0::2], mirrored[1::2] = base, -base
    return (ratio * mirrored, np.repeat(at, 2),
            f"+-{best} at recent origins x {ratio:.2f}, the {choice.member} / its validation MAE")


def _peers_apply(series: SeriesData, candidates: list[_Candidate], run: RunConfig) -> bool:
    """Whether the statistical peers and the combination are candidates of this fit: with
    statsforecast installed, for a numeric target, one net with a point head (a probabilistic
    head keeps the net) and a validation tail (val_fraction > 0)."""
    return (statpeers.available() and not series.classes and len(candidates) == 1
            and not candidates[0].net.head.probabilistic and run.train.val_fraction > 0)


def point_errors(net: ForecastNet, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Model-space errors of the point forecast on windows x (N, L, F), y (N, H): (N, H)."""
    device = next(net.parameters()).device
    errors = []
    with torch.no_grad():
        for start in range(0, len(x), 1024):
            out = net(to_tensor(x[start : start + 1024], device))  # (b, H, P)
            errors.append(y[start : start + 1024] - net.head.point(out).cpu().double().numpy())
    return np.concatenate(errors).astype(np.float64) if errors else np.zeros((0, y.shape[1]))


def one_step_residuals(net: ForecastNet, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Model-space errors of the first forecast step on the training windows: (N,)."""
    return point_errors(net, x, y)[:, 0].copy()
