"""forecast generate: sampled continuations of a series from a saved model's seed window."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from forecast.cli import app, render
from forecast.cli import options as o

SEED = "Seed"


class Mode(str, Enum):
    stateful = "stateful"
    window = "window"


class Pad(str, Enum):
    none = "none"
    zeros = "zeros"


@app.command()
def generate(
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model name or .joblib path (default: the one trained last).")
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Continue this column: the saved model of it, trained on the same file (train FILE --target COL).")
    ] = None,
    steps: Annotated[int, typer.Option(help="Values to generate per path (1 to 100,000).")] = 100,
    paths: Annotated[int, typer.Option(help="Sampled paths (1 to 100,000); a batch, so cheap.")] = 1000,
    seed_from: Annotated[
        str | None,
        typer.Option(
            "--seed-from",
            help="zeros, data (the latest window), data:DATE (the window ending then; data:STEP for a "
            "step-indexed series), or FILE.csv[:COLUMN] of levels. Default: data.",
            rich_help_panel=SEED,
        ),
    ] = None,
    seed_values: Annotated[
        str | None, typer.Option("--seed-values", help="Inline seed levels: 101.2,102.5,...", rich_help_panel=SEED)
    ] = None,
    pad: Annotated[
        Pad, typer.Option(help="zeros: pad a seed shorter than the window with zeros (model space).", rich_help_panel=SEED)
    ] = Pad.none,
    random_seed: Annotated[int, typer.Option("--random-seed", help="Sampling seed (same seed, same paths on CPU).")] = 0,
    temperature: Annotated[
        float, typer.Option(help="Noise scale: 1 the model's own, 0 one deterministic path.")
    ] = 1.0,
    mode: Annotated[
        Mode, typer.Option(help="stateful: carry the recurrent state (fast); window: re-feed the last window each step.")
    ] = Mode.stateful,
    threshold: Annotated[
        float | None, typer.Option(help="Report P(ending above / below) this level (default: the seed's last value).")
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the paths (series, model, target, path, step, ds, value) to .csv or .parquet.")
    ] = None,
    plot: Annotated[str | None, typer.Option(help="Write a fan chart to this .png/.svg/.pdf.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "cpu",
    model_dir: o.ModelDir = None,
    json_out: o.Json = False,
    quiet: o.Quiet = False,
) -> None:
    """Generate sampled continuations of the series (or of a seed) by feeding predictions back.

    Example: forecast generate --steps 250 --seed-from data:2016-06-30
    """
    render.set_quiet(quiet)
    from forecast import api, fanchart, rollout
    from forecast.outputs import identified, write_table
    from forecast.threads import threads_for

    if plot:
        fanchart.check_plot_path(plot)
    notes: list[str] = []
    chosen = api.model_for_target(model, target, model_dir, notes)
    name, model_path, forecaster = api.load_model(chosen, model_dir, device)
    own = str((forecaster.extra["payload"].get("data") or {}).get("target") or "")
    if target and own.lower() != target.lower():  # a .joblib path of another column
        from forecast.errors import ConfigError

        raise ConfigError(f"--target {target}: model {name!r} forecasts {own!r}; name a model of that target")
    if model is None and target is None:  # the latest: say so where the file has other targets' models
        from forecast import paths as model_paths

        notes += api.other_targets_note(model_paths.models_dir(model_dir), model_path.parent.name,
                                        forecaster.extra["payload"])
    from forecast.outputs import check_outputs

    seed_file = seed_from.split(":")[0] if seed_from and seed_from.split(":")[0] not in ("zeros", "data") else None
    check_outputs({"--output": output, "--plot": plot}, [model_path, forecaster.run.data.path, seed_file])
    rollout.check_can_generate(forecaster)
    series = api.load_series(forecaster.run.data)
    seed = rollout.resolve_seed(forecaster, series, seed_from, seed_values, pad == Pad.zeros)
    if temperature == 0 and paths > 1:  # deterministic: more paths would be copies of one
        notes.append(f"--temperature 0 gives one deterministic path, so 1 path was generated, not {paths}")
        paths = 1
    with threads_for(forecaster.net, paths):  # paths are the batch: big ones share CPUs
        gen = rollout.generate(
            forecaster, series, seed, steps=steps, paths=paths, temperature=temperature,
            random_seed=random_seed, mode=mode.value,
        )
    summary = fanchart.summarize_generation(gen, threshold)
    if gen.noise:
        notes.append(f"noise: {gen.noise}")
    if output:
        write_table(identified(gen.table(), series.name, name, series.target), output)
    if plot:
        title = f"{name}: {series.target}, {gen.values.shape[0]} paths x {steps} steps from {seed.label}"
        fanchart.plot_generation(plot, gen, series, title=title, threshold=threshold)
    head = {"model": name, "series": series.name, "target": series.target, "seed": seed.label,
            "mode": mode.value, "temperature": temperature, "random_seed": random_seed,
            "last_date": seed.history.index[-1], "output": output, "plot": plot, "noise": gen.noise,
            "notes": notes}
    if json_out:
        render.print_json({**head, **summary})
        return
    render.notes(notes)
    _show(head, summary)


def _show(head: dict[str, Any], summary: dict[str, Any]) -> None:
    """People's view: a thinned table of per-step quantiles and a few lines of stats."""
    import pandas as pd

    rows = summary.get("quantiles") or summary["class_shares"]
    keep = sorted({round(i * (len(rows) - 1) / 9) for i in range(10)})
    render.print_table(
        pd.DataFrame([rows[i] for i in keep]),
        title=f"{head['model']}: {summary['paths']} paths x {summary['steps']} steps of "
        f"{head['target']} after {render.format_value(head['last_date'])} (seed {head['seed']}, {head['mode']})",
    )
    fmt = render.format_value
    if "threshold" in summary:
        end, thr, dd = summary["terminal"], summary["threshold"], summary["max_drawdown"]
        render.out.print(
            f"end: mean {fmt(end['mean'])}, median {fmt(end['q50'])}, 90% in "
            f"[{fmt(end['q05'])}, {fmt(end['q95'])}]; from {fmt(summary['start'])}",
            highlight=False,
        )
        render.out.print(
            f"P(end > {fmt(thr['value'])}) = {thr['p_above']:.3f}, P(end < {fmt(thr['value'])}) = "
            f"{thr['p_below']:.3f}",
            highlight=False,
        )
        pct = dd["kind"] == "fraction"
        show = (lambda v: f"{100 * v:.1f}%") if pct else fmt
        render.out.print(
            f"max drawdown: median {show(dd['q50'])}, 90% in [{show(dd['q05'])}, {show(dd['q95'])}], "
            f"worst {show(dd['max'])}",
            highlight=False,
        )
        risk = summary["risk"]
        show = (lambda v: f"{100 * v:.1f}%") if risk["kind"] == "fraction" else fmt
        render.out.print(
            f"loss by the last step: value-at-risk 95% {show(risk['var95'])}, 99% {show(risk['var99'])}; "
            f"expected shortfall 95% {show(risk['es95'])}, 99% {show(risk['es99'])}",
            highlight=False,
        )
    else:
        shares = ", ".join(f"{k} {v:.2f}" for k, v in summary["terminal"].items())
        render.out.print(f"last step: {shares}", highlight=False)
    for key in ("output", "plot"):
        if head[key]:
            render.out.print(f"wrote {head[key]}", highlight=False)
