"""A notebook user's audit of the Python API, plots, --json and models: each test fails on the code before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_runner import invoke

import forecast
from forecast.errors import ConfigError, DataError

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


def test_models_show_says_which_version_is_current_and_rollback_has_json(
        model_home: Path, sample_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # show listed "versions v0001, v0002" without the current one; rollback had no --json (exit 2)
    for _ in range(2):
        code, _, err = invoke(capsys, "train", sample_data / "statsmodels_co2_weekly.csv", "--name", "co2",
                              "--epochs", "1", "--hidden", "4", "--layers", "1", "-q")
        assert code == 0, err
    code, out, err = invoke(capsys, "models", "rollback", "co2", "--json")
    assert code == 0, err
    assert json.loads(out) == {"model": "co2", "previous": "v0002", "current": "v0001"}
    code, out, _ = invoke(capsys, "models", "show", "co2", "--json")
    shown = json.loads(out)
    assert {k: shown[k] for k in ("model", "current", "series", "target", "horizon")} == {
        "model": "co2", "current": "v0001", "series": "statsmodels_co2_weekly", "target": "co2", "horizon": 12}
    assert shown["chosen"] == shown["forecasts_with"]["member"] and shown["versions"] == ["v0001", "v0002"]
    code, out, _ = invoke(capsys, "models", "show", "co2")
    assert "current     v0001" in out and "1958-03-29 .. 2001-12-29" in out  # weekly dates without 00:00:00
    code, out, _ = invoke(capsys, "models", "list", "--json")
    assert [(r["name"], r["current"]) for r in json.loads(out)] == [("co2", "v0001")]


def test_seasonal_naive_paths_under_slogret_spread_like_its_errors(sample_data: Path) -> None:
    # generate on half-hourly demand whose fit chose seasonal_naive (transform slogret) drew
    # log-ratio errors as MW: q05..q95 of step 1 was 0.04 MW wide around 24,966 MW
    from forecast.selection import baseline_paths
    from forecast.volatility import NoiseModel

    y = pd.read_csv(sample_data / "pmdarima_taylor_halfhourly.csv")["demand_mw"].to_numpy(np.float64)[:1200]
    errors = np.log(y[48:] / y[:-48])[-500:]  # (500,) seasonal naive's one-step errors, slogret space
    paths = baseline_paths("seasonal_naive", y, 4, 400, season=48, errors=errors, transform="slogret",
                           temperature=1.0, seed=0, noise=NoiseModel("bootstrap", float("nan")))  # (400, 4)
    width = np.quantile(paths[:, 0], 0.95) - np.quantile(paths[:, 0], 0.05)
    spread = np.quantile(errors, 0.95) - np.quantile(errors, 0.05)  # a log-ratio: relative width
    assert 0.5 * spread < width / y[-48] < 2 * spread


@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris"])
def test_tz_aware_dates_read_as_their_wall_clock(sample_data: Path, tz: str) -> None:
    # a tz-aware ds (a frame, or a Parquet file) was 'dates that cannot be read ... 1949-01-01+0000'
    df = pd.read_csv(sample_data / "sktime_airline.csv", parse_dates=["Date"])
    naive = forecast.fit(df, horizon=3, **SMALL).predict()
    aware = forecast.fit(df.assign(Date=df["Date"].dt.tz_localize(tz)), horizon=3, **SMALL).predict()
    assert list(aware["ds"]) == list(naive["ds"]) == list(pd.date_range("1961-01-01", periods=3, freq="MS"))
    np.testing.assert_allclose(aware["yhat"].to_numpy(), naive["yhat"].to_numpy(), rtol=1e-10)


def test_fit_keeps_the_notes_the_cli_prints_and_says_what_was_chosen(sample_data: Path) -> None:
    # Model.notes stayed [] (the library never prints, so the fill and the choice were lost)
    # and nothing said that yhat came from a baseline or peer rather than the network
    long = pd.read_csv(sample_data / "sktime_airline.csv").rename(columns={"Date": "ds", "Passengers": "y"})
    long = long.assign(unique_id="air")[["unique_id", "ds", "y"]]
    long.loc[[10, 11], "y"] = np.nan
    fitted = forecast.fit(long, horizon=3, **SMALL)
    member = fitted.chosen["air"]
    assert "filled 2 missing values in y by interpolation (--fill to change)" in fitted.notes
    assert any(n.startswith(f"chose {member}: validation MAE") for n in fitted.notes)
    fitted.predict()
    before = list(fitted.notes)
    fitted.predict()
    assert fitted.notes == before  # a second predict adds no copies


def test_evaluate_plots_svg_like_the_other_verbs(model_home: Path, sample_data: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # train/predict/generate --plot took .svg and .pdf; evaluate alone said "use a .png file name"
    chart = tmp_path / "folds.svg"
    code, _, err = invoke(capsys, "evaluate", sample_data / "sktime_airline.csv", "--models", "lstm", "--folds", "2",
                          "--epochs", "1", "--hidden", "4", "--layers", "1", "--plot", chart, "-q")
    assert code == 0, err
    assert chart.read_text()[:200].lstrip().startswith("<?xml") and "<svg" in chart.read_text()[:2000]
    code, _, err = invoke(capsys, "evaluate", sample_data / "sktime_airline.csv", "--plot", tmp_path / "no" / "x.png")
    assert code == 2 and f"folder {tmp_path / 'no'} does not exist" in err


def test_forecast_chart_names_the_model_as_a_model_and_labels_steps(sample_data: Path) -> None:
    # the title read 'taylor: demand_mw, 48 steps ahead from taylor' (model named like its series),
    # and a step-indexed series had an unlabelled x axis
    from forecast.forecastplot import forecast_figure

    df = pd.read_csv(sample_data / "sktime_airline.csv").assign(Date=lambda d: np.arange(1, len(d) + 1))
    fitted = forecast.fit(df, horizon=3, name="air", **SMALL)
    forecaster, series = fitted.forecasters["air"], fitted.series["air"]
    ax = forecast_figure(series, forecaster.predict(series), model="air").axes[0]
    assert ax.get_title(loc="left").startswith("air: Passengers, 3 steps ahead (model air)")
    assert ax.get_xlabel() == "step"


def test_nixtla_long_frame_with_an_exogenous_column_forecasts_y(shared_data: Path) -> None:
    # unique_id, ds, y plus one more numeric column was 'DataFrame: file has 2 numeric columns
    # (y, volume); pass --target COL', though y is the target of every statsforecast frame
    raw = pd.read_csv(shared_data / "nyse_prices_split_adjusted_4sym.csv")
    long = raw.rename(columns={"symbol": "unique_id", "date": "ds", "close": "y"})[["unique_id", "ds", "y", "volume"]]
    long = long[long["unique_id"].isin(["AAL", "ZION"])].groupby("unique_id").tail(120)
    fitted = forecast.fit(long, horizon=2, **SMALL)
    assert {s.target for s in fitted.series.values()} == {"y"}
    assert sorted(fitted.predict()["unique_id"].unique()) == ["AAL", "ZION"]


def test_predict_on_a_frame_with_series_the_model_lacks_says_so(shared_data: Path) -> None:
    # ZION's rows were dropped without a word: the table just had no ZION
    raw = pd.read_csv(shared_data / "nyse_prices_split_adjusted_4sym.csv")
    long = raw.rename(columns={"symbol": "unique_id", "date": "ds", "close": "y"})[["unique_id", "ds", "y"]]
    long = long[long["unique_id"].isin(["AAL", "ZION"])].groupby("unique_id").tail(120)
    fitted = forecast.fit(long[long["unique_id"] == "AAL"], horizon=2, **SMALL)
    table = fitted.predict(long)
    assert list(table["unique_id"].unique()) == ["AAL"]
    assert "not forecast: no model of series ZION (this model has AAL)" in fitted.notes


def test_models_show_of_a_global_model_lists_its_series_and_no_single_choice(
        model_home: Path, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = pd.read_csv(shared_data / "nyse_prices_split_adjusted_4sym.csv")
    raw.groupby("symbol").tail(120).to_csv(tmp_path / "ny.csv", index=False)
    code, _, err = invoke(capsys, "train", tmp_path / "ny.csv", "--global", "--name", "ny", "--epochs", "1",
                          "--hidden", "4", "--layers", "1", "-q")
    assert code == 0, err
    code, out, err = invoke(capsys, "models", "show", "ny", "--json")
    shown = json.loads(out)
    assert shown["series"] == ["AAL", "DOW", "EQIX", "ZION"] and shown["current"] == "v0001"
    assert shown["chosen"] is None  # chosen per series; forecasts_with is the first series' only


def test_nullable_integer_column_with_a_missing_value_is_filled(sample_data: Path) -> None:
    # a pandas Int64 column holding pd.NA raised TypeError 'boolean value of NA is ambiguous'
    df = pd.read_csv(sample_data / "sktime_airline.csv")
    df["Passengers"] = df["Passengers"].astype("Int64").mask(df.index == 5)
    fitted = forecast.fit(df, horizon=2, **SMALL)
    assert any(n.startswith("filled 1 missing value") for n in fitted.notes)
    # by time between 1949-05-01 (121) and 1949-07-01 (148): 31 of their 61 days
    assert fitted.series["series"].y[5] == pytest.approx(121 + (148 - 121) * 31 / 61)


@pytest.mark.parametrize(("options", "message"), [
    ({"horizon": 2.0}, "horizon=2.0: must be an integer"),
    ({"horizon": "2"}, "horizon='2': must be an integer"),
    ({"epochs": "1"}, "epochs='1': must be an integer"),
])
def test_an_option_of_the_wrong_type_is_a_config_error(sample_data: Path, options: dict[str, object],
                                                       message: str) -> None:
    # these reached the fit and raised TypeError ('slice indices must be integers', "'>' not supported")
    df = pd.read_csv(sample_data / "sktime_airline.csv")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        forecast.fit(df, **{**SMALL, "horizon": 2, **options})


def test_numpy_integers_are_integers(sample_data: Path) -> None:
    df = pd.read_csv(sample_data / "sktime_airline.csv")
    assert len(forecast.fit(df, **{**SMALL, "epochs": np.int64(1)}, horizon=np.int64(2)).predict()) == 2


def test_repeated_columns_and_an_index_kept_as_a_column(sample_data: Path) -> None:
    # a repeated column was AttributeError "'DataFrame' object has no attribute 'str'";
    # set_index('Date', drop=False) was pandas' ValueError 'cannot insert Date, already exists'
    df = pd.read_csv(sample_data / "sktime_airline.csv", parse_dates=["Date"])
    with pytest.raises(DataError, match="column 'Passengers' appears 2 times; rename or drop the copies"):
        forecast.fit(pd.concat([df, df["Passengers"]], axis=1), horizon=2, **SMALL)
    both = forecast.fit(df.set_index("Date", drop=False), horizon=2, **SMALL).predict()
    assert both["ds"].iloc[0] == pd.Timestamp("1961-01-01")


def _step_model(sample_data: Path) -> "forecast.Model":
    df = pd.read_csv(sample_data / "sktime_airline.csv").assign(Date=lambda d: np.arange(1, len(d) + 1))
    return forecast.fit(df, horizon=3, name="air", **SMALL)  # a step-indexed series: t = 1..144


def test_generate_chart_of_a_step_series_draws_the_fan_after_the_history(sample_data: Path) -> None:
    # the history sat at x = 124..144 and the fan at the epoch (step 144 as 144 ns after 1970)
    from forecast import rollout
    from forecast.fanchart import generation_figure

    fitted = _step_model(sample_data)
    forecaster, series = fitted.forecasters["air"], fitted.series["air"]
    seed = rollout.resolve_seed(forecaster, series, None, None, False)
    gen = rollout.generate(forecaster, series, seed, steps=6, paths=20, random_seed=0)
    ax = generation_figure(gen, series, title="t").axes[0]
    lines = {line.get_label(): line.get_xdata() for line in ax.lines}
    history, median = lines["history"], lines["median"]
    assert list(history)[-1] == 144 and list(median) == list(range(144, 151)) and ax.get_xlabel() == "step"


def test_backtest_chart_of_a_step_series_labels_steps_not_1970(sample_data: Path) -> None:
    # the fold-cutoff axis read step 134 as day 134 of 1970: ticks '15, 17, ... 1970-May'
    from matplotlib.dates import ConciseDateFormatter

    from forecast.plots import backtest_figure

    df = pd.read_csv(sample_data / "sktime_airline.csv").assign(Date=lambda d: np.arange(1, len(d) + 1))
    result = forecast.evaluate(df, "lstm", folds=2, horizon=5, **SMALL)
    bottom = backtest_figure(result.backtest).axes[1]
    assert not isinstance(bottom.xaxis.get_major_formatter(), ConciseDateFormatter)
    assert bottom.get_xlabel() == "fold cutoff (step)"


def test_cli_predict_of_a_model_fitted_on_a_frame_asks_for_its_data(model_home: Path, sample_data: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # 'error: no data: give a file (forecast train prices.csv) or --ticker SYMBOL', about a trained model
    forecast.fit(pd.read_csv(sample_data / "sktime_airline.csv"), horizon=2, **SMALL).save("nb")
    code, _, err = invoke(capsys, "predict", "--model", "nb")
    assert code == 2 and "model 'nb' was fitted on a pandas DataFrame, which is not saved with it; give its data: " \
        "--data FILE" in err
    code, out, err = invoke(capsys, "predict", "--model", "nb", "--data", sample_data / "sktime_airline.csv", "--json")
    assert code == 0 and len(json.loads(out)["forecast"]) == 2, err


def test_models_show_without_a_current_pointer_says_none_as_list_does(
        model_home: Path, sample_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        assert invoke(capsys, "train", sample_data / "sktime_airline.csv", "--name", "air", "--epochs", "1",
                      "--hidden", "4", "--layers", "1", "-q")[0] == 0
    (model_home / "models" / "air" / "CURRENT").unlink()  # a save interrupted before its pointer
    code, out, _ = invoke(capsys, "models", "show", "air", "--json")
    assert code == 0 and json.loads(out)["current"] == "none (newest: v0002)"
    code, out, _ = invoke(capsys, "models", "list", "--json")
    assert json.loads(out)[0]["current"] == "none (newest: v0002)"
