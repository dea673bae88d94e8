"""The Python API for notebooks: pandas DataFrames in and out, the CLI's defaults and errors.

    import forecast
    model = forecast.fit(df, model="lstm", horizon=12)     # df: ds + a value column, or unique_id, ds, y
    model.predict()                                       # DataFrame: unique_id, ds, yhat, q0.05 ... q0.95
    board = forecast.evaluate(df, models=["lstm", "gru"], folds=4)
    board.to_frame()                                      # one row per model and baseline
    model.save("airline")                                 # the same bundle `forecast predict --model airline` reads
    forecast.load("airline").generate(steps=24, paths=100)

A frame is read by the same validation as every file (forecast.data.frame): the date column
by name or content, the target as the CLI chooses it, missing values filled the same way,
and the same errors, raised as ForecastError subclasses (forecast.errors) instead of exit codes.
Options are the CLI's option names in snake_case (``input_len``, ``hidden``, ``epochs``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.config import DataSpec, RunConfig
from forecast.data.series import SeriesData
from forecast.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from forecast.forecaster import Forecaster

_DATA_OPTIONS = ("target", "features", "date_column", "dayfirst", "fill", "freq", "calendar")
SOURCE = "<DataFrame>"


def read_frame(df: "pd.DataFrame | pd.Series", *, name: str = "series", **data: Any) -> list[SeriesData]:
    """Every series of a DataFrame (one, or one per ``unique_id``/symbol value), validated like a file.

    A Series or a frame with a DatetimeIndex is taken with its index as the dates.
    """
    import pandas as pd

    from forecast.data.frame import series_from_cells, symbols_in
    from forecast.data.parquet import as_cells

    if isinstance(df, pd.Series):
        df = df.to_frame(df.name if df.name is not None else name)
    if not isinstance(df, pd.DataFrame):
        raise ConfigError(f"expected a pandas DataFrame or Series, got {type(df).__name__}")
    kept = [n for n in df.index.names if n is not None and n not in df.columns]  # set_index(drop=False): once
    if isinstance(df.index, pd.DatetimeIndex) and not set(df.index.names) & set(df.columns) or kept:
        df = df.reset_index()  # dates (or ids) kept in the index
    else:
        df = df.reset_index(drop=True)  # row numbers (a concat's repeated ones too) are not data
    names = [str(c).strip() for c in df.columns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DataError(f"DataFrame: column {twice[0]!r} appears {names.count(twice[0])} times; "
                        "rename or drop the copies")
    unknown = set(data) - set(_DATA_OPTIONS)
    if unknown:
        raise ConfigError(f"unknown data option(s) {', '.join(sorted(unknown))}; use {', '.join(_DATA_OPTIONS)}")
    names = {str(c).strip() for c in df.columns}
    if data.get("target") is None and "y" in names and names & {"ds", "unique_id"}:
        data = {**data, "target": "y"}  # Nixtla's long format: y is the target beside exogenous columns
    spec = DataSpec(**{k: (tuple(v) if k == "features" else v) for k, v in data.items() if v is not None})
    raw = as_cells(df, "DataFrame")
    ids = symbols_in(raw, spec, "DataFrame")
    if not ids:
        return [series_from_cells(raw, spec, "DataFrame", source=SOURCE, name=name)]
    return [series_from_cells(raw, replace(spec, series=i), "DataFrame", source=SOURCE, name=name) for i in ids]


def _run(model: str, options: dict[str, Any]) -> RunConfig:
    """The CLI's RunConfig builder, types, choices and ranges; an unknown option is an error, never ignored."""
    import difflib

    from forecast.schema import build_run_config, keys_for

    known = keys_for("train")
    typed = {}
    for name, value in options.items():
        key = known.get(name)
        if key is None:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; options: {', '.join(sorted(known))}"
            raise ConfigError(f"unknown option {name!r}{hint}")
        value = typed[name] = _typed(name, key.kind, value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and (
            (key.low is not None and value < key.low) or (key.high is not None and value > key.high)
        ):
            bounds = f">= {key.low:g}" if key.high is None else f"between {key.low:g} and {key.high:g}"
            raise ConfigError(f"{name}={value!r}: must be {bounds}")
    return build_run_config({**typed, "model": model}, label=lambda key: key)


def _typed(name: str, kind: str, value: Any) -> Any:
    """``value`` as the option's type (numpy scalars too), or a ConfigError: horizon=2.0 or
    epochs="3" reached the fit as a float or a string and failed there with a TypeError."""
    from forecast.schema import of_kind

    if value is None:
        return None
    ok, value = of_kind(value, kind)
    if ok:
        return value
    words = {"int": "an integer", "float": "a number", "bool": "True or False", "str": "a string",
             "list": "a list of strings"}
    raise ConfigError(f"{name}={value!r}: must be {words.get(kind, kind)}")


@dataclass
class Model:
    """Fitted forecasters, one per series (``unique_id``), or one global network for all of them."""

    forecasters: dict[str, "Forecaster"]
    series: dict[str, SeriesData]
    name: str | None = None
    global_model: Any = None  # forecast.multiseries.GlobalModel when fitted with global_model=True
    notes: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return list(self.forecasters)

    @property
    def chosen(self) -> dict[str, str]:
        """What forecasts each series (``yhat``): the network, or the baseline, statistical peer
        or combination that beat it on the validation tail (the CLI's --json ``chosen``)."""
        return {uid: f.chosen.member for uid, f in self.forecasters.items()}

    def predict(self, df: "pd.DataFrame | None" = None, *, horizon: int | None = None) -> "pd.DataFrame":
        """The next horizon of every series: unique_id, ds, yhat (and q0.05 ... q0.95 or class
        probabilities). With ``df``, forecast after the end of that data instead of the training data."""
        import pandas as pd

        from forecast.api import forecast_steps

        new = {s.name: s for s in self._read_like(df)} if df is not None else self._own_data()
        frames = []
        for uid, forecaster in self.forecasters.items():
            if uid not in new:
                continue
            said: list[str] = []
            forecast = forecast_steps(forecaster, new[uid], horizon, f"model for {uid!r}", said)
            self._note(uid, said)
            frames.append(forecast.to_frame().assign(unique_id=uid))
        if not frames:
            raise ConfigError(f"no series of this model in the frame (model has {', '.join(self.ids)})")
        strangers = [uid for uid in new if uid not in self.forecasters]
        if strangers:  # a frame's new ids are not forecast: say so, as statsforecast would fail on them
            shown = ", ".join(strangers[:10]) + (f" and {len(strangers) - 10} more" if len(strangers) > 10 else "")
            note = f"not forecast: no model of series {shown} (this model has {', '.join(self.ids[:10])})"
            if note not in self.notes:
                self.notes.append(note)
        out = pd.concat(frames, ignore_index=True)
        return out[["unique_id", *[c for c in out.columns if c != "unique_id"]]]

    def _note(self, uid: str, lines: Iterable[str]) -> None:
        """Keep what the CLI would print (a library never prints), once, named by series when several."""
        for line in lines:
            text = f"{uid}: {line}" if len(self.forecasters) > 1 else line
            if text not in self.notes:
                self.notes.append(text)

    def _own_data(self) -> dict[str, SeriesData]:
        """The training data; a loaded model fitted on a frame has none (frames are not saved)."""
        missing = [uid for uid in self.forecasters if uid not in self.series]
        if missing:
            raise ConfigError(f"model {self.name or missing[0]!r} was fitted on a DataFrame, which is not "
                              "saved with it; pass the data: model.predict(df) or model.generate(df=df, ...)")
        return self.series

    def _read_like(self, df: "pd.DataFrame") -> list[SeriesData]:
        """``df`` read for the columns the model was trained on (its target, features, fill)."""
        uid, forecaster = next(iter(self.forecasters.items()))
        spec = forecaster.run.data
        own = self.series.get(uid)
        if own is not None:
            target, features = own.target, list(own.features)
        else:  # a loaded model: what its bundle remembers of the data
            payload = forecaster.extra.get("payload") or {}
            info = payload.get("data") if isinstance(payload.get("data"), dict) else {}
            info = info.get(uid) if payload.get("kind") == "global" else info
            info = info if isinstance(info, dict) else {}
            target, features = info.get("target") or spec.target, list(info.get("features") or spec.features)
        return read_frame(df, name=uid, target=target, features=features or None, fill=spec.fill,
                          calendar=spec.calendar)

    def generate(self, df: "pd.DataFrame | None" = None, *, steps: int, paths: int = 100,
                 unique_id: str | None = None, seed_from: str | None = None, temperature: float = 1.0,
                 random_seed: int = 0) -> "pd.DataFrame":
        """Sampled continuations (path, step, ds, value), each prediction fed back as the next input;
        with ``df``, continuing that data instead of the training data."""
        from forecast import rollout

        uid = unique_id or self.ids[0]
        if uid not in self.forecasters:
            raise ConfigError(f"no series {uid!r} in this model (it has {', '.join(self.ids)})")
        data = {s.name: s for s in self._read_like(df)} if df is not None else self._own_data()
        if uid not in data:
            raise ConfigError(f"no series {uid!r} in the frame (model has {', '.join(self.ids)})")
        forecaster, series = self.forecasters[uid], data[uid]
        rollout.check_can_generate(forecaster)
        seed = rollout.resolve_seed(forecaster, series, seed_from, None, False)
        gen = rollout.generate(forecaster, series, seed, steps=steps, paths=paths, temperature=temperature,
                               random_seed=random_seed)
        return gen.table()

    def save(self, name: str | None = None, model_dir: str | Path | None = None) -> list[str]:
        """Save as new versions in the models folder (the CLI's bundles); returns the model names."""
        from forecast import paths, registry
        from forecast.bundle import to_payload
        from forecast.multiseries import to_global_payload

        root = paths.models_dir(model_dir)
        base = registry.check_name(name) if name else registry.safe_name(self.name or "notebook")
        if self.global_model is not None:
            registry.publish(root, base, to_global_payload(self.global_model, list(self.series.values()), base))
            return [base]
        names, data = [], self._own_data()
        for uid, forecaster in self.forecasters.items():
            model_name = base if len(self.forecasters) == 1 else registry.safe_name(f"{base}-{uid}")
            registry.publish(root, model_name, to_payload(forecaster, data[uid], model_name))
            names.append(model_name)
        return names


def fit(
    df: "pd.DataFrame | pd.Series",
    model: str = "lstm",
    *,
    horizon: int | None = None,
    global_model: bool = False,
    name: str = "series",
    **options: Any,
) -> Model:
    """Fit on a DataFrame with the CLI's defaults (one model per series, or one global network)."""
    from forecast.forecaster import fit as fit_one

    data = {k: options.pop(k) for k in list(options) if k in _DATA_OPTIONS}
    all_series = read_frame(df, name=name, **data)
    run = _run(model, {**options, "horizon": horizon, **data})
    if global_model:
        from forecast.multiseries import fit_global

        model_obj = fit_global(all_series, run)
        fitted = Model({s.name: model_obj.forecaster(s.name) for s in all_series},
                       {s.name: s for s in all_series}, name, model_obj)
    else:
        fitted = Model({s.name: fit_one(s, run) for s in all_series}, {s.name: s for s in all_series}, name)
    for s in all_series:  # how the data was read, and what forecasts it (the CLI's train notes)
        forecaster = fitted.forecasters[s.name]
        kept = forecaster.report is not None and forecaster.report.kept_initial
        fitted._note(s.name, [*s.notes, forecaster.chosen.note(), *(
            ["no epoch beat the training-mean forecast by 1% on the validation tail: the network learned "
             "nothing"] if kept else [])])
    return fitted


def load(model: str, model_dir: str | Path | None = None) -> Model:
    """A saved model (a name from `forecast models list`, or a .joblib path), with its data re-read."""
    from forecast import api

    _, path, first = api.load_model(model, model_dir, series=api.first_global_series(model, model_dir))
    payload = first.extra["payload"]
    if payload.get("kind") == "global":
        names = list(payload.get("data") or {})
        loaded = {n: api.load_model(str(path), model_dir, series=n)[2] for n in names}
    else:
        loaded = {str((payload.get("data") or {}).get("name") or path.parent.name): first}
    series = {uid: own for uid, f in loaded.items() if (own := _own_series(f)) is not None}
    return Model(loaded, series, str(payload.get("name") or model))


def _own_series(forecaster: "Forecaster") -> SeriesData | None:
    """The data a loaded model was trained on, re-read from its file or ticker; None for a
    frame (not saved with the model: predict(df) and generate(df=...) take it then)."""
    from forecast.api import load_series

    spec = forecaster.run.data
    if spec.path in (None, SOURCE) and not spec.ticker:
        return None
    return load_series(spec)


@dataclass(frozen=True)
class Evaluation:
    """A walk-forward evaluation: the leaderboard and the long fold table it was scored from."""

    leaderboard: Any  # forecast.leaderboard.Leaderboard
    backtest: Any  # forecast.walkforward.Backtest

    def to_frame(self) -> "pd.DataFrame":
        """One row per model and baseline, best first (the CLI's leaderboard)."""
        return self.leaderboard.scores.copy()

    @property
    def forecasts(self) -> "pd.DataFrame":
        """The long table: fold, cutoff, ds, y, yhat, model (and quantiles)."""
        return self.backtest.table.copy()


def evaluate(
    df: "pd.DataFrame | pd.Series",
    models: Sequence[str] | str = ("lstm",),
    *,
    folds: int = 5,
    horizon: int | None = None,
    step: int | None = None,
    unique_id: str | None = None,
    name: str = "series",
    **options: Any,
) -> Evaluation:
    """Walk-forward evaluation of ``models`` beside the simple baselines, on one series."""
    from forecast.leaderboard import leaderboard
    from forecast.walkforward import backtest

    data = {k: options.pop(k) for k in list(options) if k in _DATA_OPTIONS}
    all_series = read_frame(df, name=name, **data)
    if len(all_series) > 1 and unique_id is None:
        raise ConfigError(f"the frame holds {len(all_series)} series; pick one with unique_id= "
                          f"({', '.join(s.name for s in all_series[:10])})")
    series = next((s for s in all_series if unique_id in (None, s.name)), None)
    if series is None:
        raise ConfigError(f"no series {unique_id!r} in the frame")
    names = [models] if isinstance(models, str) else list(models)
    walk = {k: options.pop(k) for k in ("window", "train_size", "refit_every", "warm_start", "jobs", "season")
            if k in options}
    run = _run(names[0] if names else "lstm", {**options, **data})
    bt = backtest(series, run, models=names, folds=folds, horizon=horizon, step=step, **walk)
    return Evaluation(leaderboard(bt), bt)


def generate(model: Model | str, *, steps: int, paths: int = 100, **kwargs: Any) -> "pd.DataFrame":
    """Sampled continuations of a fitted or saved model: path, step, ds, value."""
    fitted = load(model) if isinstance(model, str) else model
    return fitted.generate(steps=steps, paths=paths, **kwargs)


__all__: Iterable[str] = ["fit", "load", "evaluate", "generate", "read_frame", "Model", "Evaluation"]
