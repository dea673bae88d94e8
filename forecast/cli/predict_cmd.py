"""forecast predict: forecast the next horizon from a saved model."""

from __future__ import annotations

from typing import Annotated

import typer

from forecast.cli import app
from forecast.cli import options as o
from forecast.cli import render


@app.command()
def predict(
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model name or .joblib path (default: the one trained last).")
    ] = None,
    data: Annotated[
        str | None, typer.Option(help="Forecast from this CSV instead of the model's own data source.")
    ] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Also write the forecast to this CSV file.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "cpu",
    model_dir: o.ModelDir = None,
    json_out: o.Json = False,
) -> None:
    """Forecast the next horizon from a saved model, re-reading its data so new rows count.

    Example: forecast predict --model pmdarima_msft-lstm --json
    """
    from forecast import api
    from forecast.outputs import write_table

    result = api.predict(model=model, data=data, model_dir=model_dir, device=device)
    frame = result.forecast.to_frame()
    if output:
        write_table(frame, output)
    if json_out:
        render.print_json(
            {
                "model": result.name,
                "series": result.series.name,
                "target": result.series.target,
                "last_date": result.series.index[-1],
                "last_value": float(result.series.y[-1]),
                "forecast": render.frame_records(frame),
            }
        )
        return
    render.notes(result.series.notes)
    last = result.series.index[-1]
    render.print_table(
        frame,
        title=f"{result.name}: {result.series.target} after {render.format_value(last)} "
        f"(last {render.format_value(float(result.series.y[-1]))})",
    )
    if output:
        render.out.print(f"wrote {output}", highlight=False)
