"""The exception hierarchy and its exit codes.

The library raises these; the CLI maps them to one line on stderr and the
exit code below. Messages are one line and say what to do about it.

    code  meaning
    0     success
    1     internal error (a bug: rerun with --debug), or the OS refused (disk full, permissions)
    2     bad command line or config (unknown option, bad value, bad TOML key)
    3     a file, model or series that does not exist
    4     bad data in an input file (dates, numbers, gaps, too short)
    5     a saved model file that is corrupted, unsafe or from a newer version
    6     network failure talking to Yahoo Finance (cached data may be used)
    7     Yahoo Finance rate limit, still refused after retries
    8     unknown or delisted ticker, or no data in the asked range
    9     another `forecast retrain` holds the lock
    10    some series failed during `forecast retrain` (others succeeded)
    130   interrupted by Ctrl-C (`forecast train` first saves the best weights so far,
          unless --no-save-on-interrupt)
"""

from __future__ import annotations


def shortfall(parts: list[str], total: int, fix: str) -> str:
    """'it needs A + B + C = TOTAL; FIX': a too-short message's sum spelled out, so no row of
    it is left unexplained, and what fits (resolve_run's and walkforward.splits' messages)."""
    return f"it needs {' + '.join(parts)} = {total}; {fix}"


class ForecastError(Exception):
    """Base class: every error the CLI turns into a one-line message."""

    exit_code = 1


class ConfigError(ForecastError):
    """A bad option, option combination or config-file key."""

    exit_code = 2


class NotFoundError(ForecastError):
    """A data file, saved model or series that does not exist."""

    exit_code = 3


class DataError(ForecastError):
    """Bad data in an input file; the message names file, column, row and fix."""

    exit_code = 4


class ModelFileError(ForecastError):
    """A saved model that is corrupted, unsafe to load, or of an unknown version."""

    exit_code = 5


class NetworkError(ForecastError):
    """The network failed while talking to Yahoo Finance."""

    exit_code = 6


class RateLimitError(NetworkError):
    """Yahoo Finance kept refusing with a rate limit after retries."""

    exit_code = 7


class TickerError(ForecastError):
    """Unknown or delisted ticker, or an empty answer for the asked range."""

    exit_code = 8


class LockHeldError(ForecastError):
    """Another retrain run holds the lock."""

    exit_code = 9


class PartialFailureError(ForecastError):
    """Some series failed in a multi-series run; the others were saved."""

    exit_code = 10


class Interrupted(ForecastError):
    """Ctrl-C stopped the run (the conventional 128 + SIGINT); the CLI exits with this code."""

    exit_code = 130


EXIT_CODES: dict[str, int] = {
    cls.__name__: cls.exit_code
    for cls in (
        ForecastError,
        ConfigError,
        NotFoundError,
        DataError,
        ModelFileError,
        NetworkError,
        RateLimitError,
        TickerError,
        LockHeldError,
        PartialFailureError,
        Interrupted,
    )
}
