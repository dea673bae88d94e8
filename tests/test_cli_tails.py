"""The small findings left open by session 10's audits, each pinned on the real commands.

Each test failed before its fix: `generate --seed-from data:` silently seeded from the latest row;
`evaluate` with a model named twice was an internal error, --folds 0 a four-line usage box.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import invoke

TINY = ("--epochs", "2", "--hidden", "8", "--layers", "1", "--batch-size", "128", "--quiet")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> Path:
    """A model folder with airline (monthly dates) as `air` and a step-indexed series (t, y) as `steps`."""
    import forecast.cli.generate_cmd  # noqa: F401  (registers the verb)
    from forecast.cli import main

    root = tmp_path_factory.mktemp("tails")
    air = (sample_data / "sktime_airline.csv").read_text().splitlines()
    steps = root / "steps.csv"
    steps.write_text("t,y\n" + "".join(f"{i},{line.split(',')[1]}\n" for i, line in enumerate(air[1:], 1)))
    for args in ([sample_data / "sktime_airline.csv", "--name", "air"], [steps, "--name", "steps"]):
        try:
            main([str(a) for a in ("train", *args, *TINY, "--model-dir", root)])
        except SystemExit as done:
            assert done.code in (0, None)
    return root


@pytest.mark.parametrize("spec", ["data:", "data: ", ""])
@pytest.mark.parametrize("model, example", [("air", "data:1960-12-01"), ("steps", "data:144")])
def test_seed_from_without_a_date_is_refused(
    capsys: pytest.CaptureFixture[str], models: Path, spec: str, model: str, example: str
) -> None:
    """`--seed-from data:` (a date left out) seeded from the latest row as if it were `data`,
    and an empty --seed-from was 'no such file' (exit 3); both are now a command-line error
    that lists the accepted forms with the series' own last date or step."""
    code, out, err = invoke(capsys, "generate", "--model-dir", models, "--model", model, "--seed-from", spec,
                            "--steps", "3", "--paths", "2", "--json")
    assert code == 2 and out == "" and err.count("\n") == 1, (code, out, err)
    assert example in err and "data (the latest window)" in err and "zeros" in err and "FILE.csv" in err
    assert ("data:STEP" if model == "steps" else "data:DATE") in err


@pytest.fixture(scope="module")
def split_airline(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> Path:
    """Airline's first 120 months (train.csv, a saved model `air` of them in FORECAST_HOME), the 24
    after (test.csv) and the 5 after (short.csv)."""
    import forecast.cli.evaluate_cmd  # noqa: F401  (registers the verbs)
    from forecast.cli import main

    root = tmp_path_factory.mktemp("split")
    header, *rows = (sample_data / "sktime_airline.csv").read_text().splitlines()
    for name, part in (("train", rows[:120]), ("test", rows[120:]), ("short", rows[120:125])):
        (root / f"{name}.csv").write_text("\n".join([header, *part]) + "\n")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FORECAST_HOME", str(root / "home"))
        try:
            main([str(a) for a in ("train", root / "train.csv", "--name", "air", *TINY)])
        except SystemExit as done:
            assert done.code in (0, None)
    return root


def test_evaluate_a_saved_model_on_test_rows_alone(
    capsys: pytest.CaptureFixture[str], split_airline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`evaluate --test FILE --model M` said "no data: give a file (forecast train prices.csv)"
    (exit 2): the saved model knows its data file, as predict --rolling uses it."""
    import json

    monkeypatch.setenv("FORECAST_HOME", str(split_airline / "home"))
    code, out, err = invoke(capsys, "evaluate", "--test", split_airline / "test.csv", "--model", "air",
                            "--models", "autoets", "--json", "--quiet")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["first_train_rows"] == 120 and doc["folds"] == 24 - doc["horizon"] + 1
    assert {"lstm", "autoets", "naive"} <= {m["model"] for m in doc["models"]}  # the saved lstm, as it is
    code, out, err = invoke(capsys, "evaluate", "--test", split_airline / "test.csv")  # neither PATH nor --model
    assert code == 2 and "--model NAME --test TEST.csv" in err and "forecast train" not in err, err


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--models", "lstm,lstm"], 2, "--models lstm,lstm: lstm named twice; name each model once"),
        (["--folds", "0"], 2, "--folds 0: give 1 or more"),
        (["--step", "0"], 2, "--step 0: give 1 or more"),
        (["--folds", "-2", "--step", "0"], 2, "--folds -2: give 1 or more (the walk-forward folds); --step 0"),
        (["--test", "{root}/short.csv"], 4, "5 test rows, fewer than the horizon 12; give at least 12 test rows, "
                                           "or --horizon 5 or less"),
        (["--test", "{root}/test.csv", "--horizon", "30"], 4, "or --horizon 24 or less"),
        (["--test", "{root}/short.csv", "--model", "air"], 4, "give at least 12 test rows (model 'air' forecasts 12"),
        (["--test", "{root}/test.csv", "--model", "air", "--models", "autoets,autoets"], 2, "autoets named twice"),
    ],
)
def test_evaluate_one_line_errors(
    capsys: pytest.CaptureFixture[str], split_airline: Path, monkeypatch: pytest.MonkeyPatch,
    args: list[str], code: int, words: str,
) -> None:
    """Before: lstm,lstm trained twice and ended in 'internal error: ValueError: diebold_mariano' (exit 1);
    --folds 0 and --step 0 were Typer's four-line usage box; a short test file said 'or a smaller
    --horizon' even for a saved model, whose horizon no option changes."""
    monkeypatch.setenv("FORECAST_HOME", str(split_airline / "home"))
    given = [a.format(root=split_airline) for a in args]
    got, out, err = invoke(capsys, "evaluate", split_airline / "train.csv", *given, *TINY[:-1], "--json")
    assert (got, out) == (code, "") and words in err and err.count("\n") == 1, (got, err)
