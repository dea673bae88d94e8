"""forecast: time-series forecasting with recurrent neural networks, from the terminal."""

__version__ = "0.1.0"
