"""forecast predict: forecast the next horizon from a saved model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from forecast.cli import app, render
from forecast.cli import options as o

if TYPE_CHECKING:
    from forecast.data.series import SeriesData


@app.command()
def predict(
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model name or .joblib path (default: the one trained last).")
    ] = None,
    data: Annotated[
        str | None, typer.Option(help="Forecast from this CSV instead of the model's own data source.")
    ] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Also write the forecast to this .csv or .parquet file (series, model, target, ds, yhat, q...).")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "cpu",
    explain: Annotated[
        bool, typer.Option("--explain", help="Attention models: show the input dates each step attends to most.")
    ] = False,
    series: Annotated[
        str | None, typer.Option(help="For a global (--global) model: which series to forecast.")
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Forecast this column: the saved model of it, trained on the same file (train FILE --target COL).")
    ] = None,
    horizon: Annotated[
        int | None, typer.Option(min=1, help="Steps to forecast (default: the trained horizon; more are rolled out, without intervals).")
    ] = None,
    plot: Annotated[
        str | None, typer.Option(help="Also draw recent history, the forecast and its 80/90% bands to this .png/.svg/.pdf.")
    ] = None,
    rolling: Annotated[
        bool, typer.Option("--rolling", help="With --data TEST.csv: a forecast from every row of TEST (history joined to the model's own data), one long table.")
    ] = False,
    all_series: Annotated[
        bool, typer.Option("--all-series", help="After train --all-series or --global: every series' forecast, one long table (series, model, target, ds, yhat, q...).")
    ] = False,
    ignore_freq: Annotated[
        bool, typer.Option("--ignore-freq", help="With --data: forecast even if its frequency differs from the model's.")
    ] = False,
    model_dir: o.ModelDir = None,
    json_out: o.Json = False,
    quiet: o.Quiet = False,
) -> None:
    """Forecast the next horizon from a saved model, re-reading its data so new rows count.

    Example: forecast predict --model pmdarima_msft-lstm --json
    """
    render.set_quiet(quiet)
    from forecast import api

    if all_series:
        _all_series(model, model_dir, device, horizon, output, json_out,
                    bool(data or series or plot or explain or target))
        return
    if plot:
        from forecast.forecastplot import check_plot_path

        check_plot_path(plot)
    result = api.predict(model=model, data=data, model_dir=model_dir, device=device, series=series,
                         ignore_freq=ignore_freq, horizon=horizon, rolling=rolling, target=target)
    table = result.rolling or result.forecast.columns()  # no pandas here: it costs ~0.4 s of start-up
    attention = _explain(result, model_dir, device, series) if explain else None
    notes = [*result.series.notes, *result.notes]
    if output or plot:
        from forecast.outputs import check_outputs

        check_outputs({"--output": output, "--plot": plot}, [result.series.source, result.path, data])
    if output:
        import pandas as pd

        from forecast.outputs import identified, write_table

        frame = pd.DataFrame(result.rolling) if result.rolling else result.forecast.to_frame()
        write_table(identified(frame, result.series.name, result.name, result.series.target), output)
    if plot:
        from forecast.forecastplot import plot_forecast

        plot_forecast(plot, result.series, result.forecast, model=result.name)
    if json_out:
        document = {
            "model": result.name,
            "series": result.series.name,
            "target": result.series.target,
            "last_date": result.series.last_date,
            "last_value": _last_value(result.series),
            "forecast": render.column_records(table),
            "notes": notes,
        }
        if attention is not None:
            document["attention"] = attention
        render.print_json(document)
        return
    render.notes(notes)
    last = result.series.last_date
    title = (f"{result.name}: {result.series.target} forecast from each of {len(set(table['cutoff']))} origins"
             if result.rolling else f"{result.name}: {result.series.target} after {render.format_value(last)} "
             f"(last {render.format_value(_last_value(result.series))})")
    shown = table
    if result.rolling:  # the terminal gets the readable columns; --output and --json keep all
        keep = ["cutoff", "step", "ds", "y", "yhat", "q0.1", "q0.9"]
        shown = {k: table[k] for k in keep if k in table and not (k == "step" and max(table[k]) == 1)}
    render.print_columns(shown, title=title)
    if attention is not None:
        _print_attention(attention)
    for verb, written in (("wrote", output), ("plotted", plot)):
        if written:
            render.out.print(f"{verb} {written}", highlight=False)


def _all_series(model: str | None, model_dir: str | None, device: str, horizon: int | None,
                output: str | None, json_out: bool, other_options: bool) -> None:
    """Every series' forecast as one long table: series, ds, yhat, q0.05 ... (tidy, like Nixtla's)."""
    from forecast import api
    from forecast.errors import ConfigError

    if other_options:
        raise ConfigError("--all-series forecasts every series from its own data; drop --data, --series, "
                          "--target, --plot and --explain")
    results = api.predict_all_series(model=model, model_dir=model_dir, device=device, horizon=horizon)
    table: dict[str, list[Any]] = {}
    for result in results:
        columns = result.forecast.columns()
        rows = len(columns["ds"])
        for key, values in {"series": [result.series.name] * rows, "model": [result.name] * rows,
                            "target": [result.series.target] * rows, **columns}.items():
            table.setdefault(key, []).extend(values)
    notes = _series_notes(results)
    if output:
        from forecast.outputs import check_outputs, write_table

        check_outputs({"--output": output}, [p for r in results for p in (r.series.source, r.path)])
        import pandas as pd

        write_table(pd.DataFrame(table), output)
    if json_out:
        render.print_json({"series": [r.series.name for r in results], "forecast": render.column_records(table),
                           "notes": notes, "output": output})
        return
    render.notes(notes)
    shown = {k: v for k, v in table.items() if k not in ("model", "target")}  # the file and JSON keep them
    render.print_columns(shown, title=f"{len(results)} series, {len(results[0].forecast.point)} steps each"
                         if results else "no series")
    if output:
        render.out.print(f"wrote {output}", highlight=False)


def _explain(
    result: Any, model_dir: str | None, device: str, series: str | None
) -> list[dict[str, Any]]:
    """Attention weights of this forecast (the saved model, run once more on the same data)."""
    from forecast import api
    from forecast.models.attention import explain

    _, _, forecaster = api.load_model(str(result.path), model_dir, device, series)
    return explain(forecaster, result.series)


def _print_attention(rows: list[dict[str, Any]]) -> None:
    import pandas as pd

    table = pd.DataFrame(
        {
            "ds": [row["ds"] for row in rows],
            "attends to (weight)": [
                ", ".join(f"{render.format_value(t['ds'])} ({t['weight']:.2f})" for t in row["top"])
                for row in rows
            ],
        }
    )
    render.print_table(table, title="attention: the input dates each forecast step weighs most")


def _last_value(series: "SeriesData") -> float | str:
    """The last observation: its class label for a categorical target."""
    value = float(series.y[-1])
    return series.classes[int(value)] if series.classes else value


def _series_notes(results: list[Any]) -> list[str]:
    """Each series' notes prefixed with its name; a note every series shares once, as
    'all N series: ...' (a global model's 'no intervals' for 1,533 series is one line)."""
    shared = set.intersection(*(set(r.notes) for r in results)) if len(results) > 1 else set()
    common = [f"all {len(results)} series: {n}" for n in dict.fromkeys(n for r in results for n in r.notes)
              if n in shared]
    return common + [f"{r.series.name}: {n}" for r in results for n in r.notes if n not in shared]
