"""The small findings left open by session 10's audits, each pinned on the real commands.

Each test failed before its fix: `generate --seed-from data:` silently seeded from the latest row.
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
