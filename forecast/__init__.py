"""forecast: time-series forecasting with recurrent neural networks, from the terminal.

The Python API (DataFrames in and out) loads on first use, so `forecast --help` stays light:
``forecast.fit``, ``forecast.load``, ``forecast.evaluate``, ``forecast.generate`` (see
forecast/notebook.py).
"""

from typing import Any

__version__ = "0.1.0"

_API = ("fit", "load", "evaluate", "generate", "read_frame", "Model", "Evaluation")


def __getattr__(name: str) -> Any:
    if name in _API:
        from forecast import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
