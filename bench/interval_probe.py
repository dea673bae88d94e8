"""Run the forecast CLI in this process with the conformal calls timed (bench only).

    python -m bench.interval_probe TIMES_FILE evaluate FILE ARGS...

Writes the seconds spent on intervals (forecaster._conformal in every fit: the chosen member's
errors at rolling origins, their rescaling and the conformal levels; in every prediction the
rescaled calibration rows and conformal.quantiles) to TIMES_FILE, so the benchmark can say
what the intervals add to `forecast evaluate`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forecast import conformal

SPENT = [0.0]


def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[0] += time.perf_counter() - start
    return wrapper


def main() -> int:
    out, argv = Path(sys.argv[1]), sys.argv[2:]
    from forecast import forecaster

    conformal.quantiles = timed(conformal.quantiles)
    forecaster._conformal = timed(forecaster._conformal)
    forecaster.Forecaster._calibration_rows = timed(forecaster.Forecaster._calibration_rows)
    from forecast.cli import main as cli_main

    start = time.perf_counter()
    code: Any = 0
    try:
        cli_main(argv)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    total = time.perf_counter() - start
    out.write_text(f"{SPENT[0]} {total}\n")
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
