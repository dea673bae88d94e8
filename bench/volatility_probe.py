"""bench/interval_probe.py with the price distribution's calls timed too (bench only).

    python -m bench.volatility_probe TIMES_FILE evaluate FILE ARGS...

Adds forecast.pricedist's fit, choice and predictive quantiles to the seconds spent on
intervals, and writes how many fits chose each distribution (forecast.pricedist.KINDS:
conformal, blend, Student-t) as three more numbers to TIMES_FILE; every choice's per-origin
quantile scores and origins go to TIMES_FILE.choices.json, so a rule for the choice
(forecast.pricedist.pick) can be replayed on them without refitting.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bench import interval_probe
from forecast import pricedist

CHOSEN = dict.fromkeys(pricedist.KINDS, 0)
CHOICES: list[dict[str, Any]] = []


def counted(state: dict[str, Any]) -> dict[str, Any]:
    if state:
        CHOSEN[state["kind"]] += 1
    return state


def main() -> int:
    import json

    fit, choose, predict, pick = pricedist.fit, pricedist.choose, pricedist.predict_quantiles, pricedist.pick

    def recorded(each: dict, origins: Any, horizon: int) -> str:
        kind = pick(each, origins, horizon)
        CHOICES.append({"each": {k: [float(v) for v in each[k]] for k in each},
                        "origins": [int(o) for o in origins], "horizon": int(horizon), "kind": kind})
        return kind

    pricedist.pick = recorded
    pricedist.fit = interval_probe.timed(fit)
    pricedist.choose = interval_probe.timed(lambda *a, **k: counted(choose(*a, **k)))
    pricedist.predict_quantiles = interval_probe.timed(predict)
    code = interval_probe.main()
    out = Path(sys.argv[1])
    out.write_text(out.read_text().strip() + "".join(f" {CHOSEN[k]}" for k in pricedist.KINDS) + "\n")
    Path(f"{out}.choices.json").write_text(json.dumps(CHOICES))
    return code


if __name__ == "__main__":
    sys.exit(main())
