"""Replay recorded Yahoo chart answers to yfinance, offline (a test helper).

The fixtures (../shared/data/yahoo_fixtures/chart-*.json) hold real answers of
Yahoo's v8 chart endpoint. :class:`YahooReplay` patches
``yfinance.data.YfData.get`` and ``cache_get`` to answer from them:

- a chart request for a symbol with fixtures gets the fixture of the same
  interval whose range overlaps the request, cut to the requested
  ``[period1, period2)`` the way Yahoo would (no bars left: Yahoo's real empty
  shape); the time-zone probe (``range=1d``) gets a fixture's metadata;
- any other symbol gets Yahoo's 404 answer for an unknown ticker (chart and
  quoteSummary), as does every symbol in ``unknown``;
- ``rate_limit=n`` raises ``YFRateLimitError`` for the first n requests (-1: all);
  ``offline=True`` raises a curl_cffi ``ConnectionError`` for every request,
  ``error=exc`` raises ``exc`` for every request.

Anything else that would leave the process (another URL, ``YfData.post``, the
real request path, a socket connect) raises :class:`UnexpectedRequest`, a
BaseException so that yfinance's ``except Exception`` cannot swallow it.
"""

from __future__ import annotations

import copy
import json
import socket
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, unquote, urlparse

CHART_PATH = "/v8/finance/chart/"
UNKNOWN_CHART = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}


class UnexpectedRequest(BaseException):
    """A request the replay does not serve: a test must never reach the network."""


class FakeResponse:
    """What yfinance reads from a response: status_code, url, text, json()."""

    def __init__(self, body: dict[str, Any], status: int = 200, url: str = "") -> None:
        self.status_code = status
        self.url = url
        self._body = body
        self.text = json.dumps(body)

    def json(self) -> dict[str, Any]:
        return copy.deepcopy(self._body)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            from yfinance._http import HTTPError

            raise HTTPError(f"HTTP Error {self.status_code} for url {self.url}", response=self)


def _fixture_range(request_url: str) -> tuple[str, str, int, int]:
    """(symbol, interval, period1, period2) of a recorded request."""
    parsed = urlparse(request_url)
    query = parse_qs(parsed.query)
    symbol = unquote(parsed.path.rsplit("/", 1)[-1])
    return symbol, query["interval"][0], int(query["period1"][0]), int(query["period2"][0])


def load_fixtures(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """symbol -> recorded chart answers (with their interval and range)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("chart-*.json")):
        record = json.loads(path.read_text())
        symbol, interval, p1, p2 = _fixture_range(record["request"]["url"])
        found.setdefault(symbol, []).append(
            {"file": path.name, "interval": interval, "p1": p1, "p2": p2,
             "body": record["response"]["bodyJson"]}
        )
    return found


def cut(body: dict[str, Any], p1: int | None, p2: int | None) -> dict[str, Any]:
    """The chart answer holding only bars and events with p1 <= t < p2."""
    body = copy.deepcopy(body)
    result = body["chart"]["result"][0]
    stamps = result.get("timestamp") or []
    keep = [i for i, t in enumerate(stamps) if (p1 is None or t >= p1) and (p2 is None or t < p2)]
    if not keep:
        result.pop("timestamp", None)
        result.pop("events", None)
        result["indicators"] = {"quote": [{}]}
        return body
    result["timestamp"] = [stamps[i] for i in keep]
    for block in result["indicators"].values():
        for series in block:
            for key, values in series.items():
                series[key] = [values[i] for i in keep]
    for kind, events in (result.get("events") or {}).items():
        result["events"][kind] = {
            k: v for k, v in events.items()
            if (p1 is None or v["date"] >= p1) and (p2 is None or v["date"] < p2)
        }
    return body


class YahooReplay:
    """Context manager serving recorded Yahoo answers to yfinance; see the module doc."""

    def __init__(
        self,
        fixtures: Path,
        *,
        unknown: tuple[str, ...] = (),
        rate_limit: int = 0,
        offline: bool = False,
        error: BaseException | None = None,
        edit: Any = None,
    ) -> None:
        self.fixtures = load_fixtures(fixtures)
        self.unknown = {s.upper() for s in unknown}
        self.rate_limit = rate_limit
        self.offline = offline
        self.error = error  # raised for every request (e.g. a timeout)
        self.edit = edit  # optional callable(symbol, body) -> body, to alter answers
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._patches: list[Any] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._old_tz_dir: str | None = None

    # -- serving ---------------------------------------------------------
    def chart_requests(self, symbol: str | None = None) -> list[dict[str, Any]]:
        """The params of chart requests for price ranges (not the tz probe)."""
        out = []
        for url, params in self.requests:
            if CHART_PATH in url and "period1" in params:
                if symbol is None or url.rsplit("/", 1)[-1] == symbol:
                    out.append(params)
        return out

    def _answer(self, url: str, params: dict[str, Any] | None) -> FakeResponse:
        params = dict(params or {})
        self.requests.append((url, params))
        if self.rate_limit:
            from yfinance.exceptions import YFRateLimitError

            self.rate_limit -= 1 if self.rate_limit > 0 else 0
            raise YFRateLimitError()
        if self.error is not None:
            raise self.error
        if self.offline:
            from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError

            raise CurlConnectionError("Failed to connect to query2.finance.yahoo.com port 443")
        parsed = urlparse(url)
        if not parsed.netloc.endswith("finance.yahoo.com"):
            raise UnexpectedRequest(f"replay: unexpected host in {url}")
        symbol = unquote(parsed.path.rsplit("/", 1)[-1]).upper()
        if parsed.path.startswith("/v10/finance/quoteSummary/"):
            return self._quote_summary(symbol, url)
        if not parsed.path.startswith(CHART_PATH):
            raise UnexpectedRequest(f"replay: no recorded answer for {url} {params}")
        records = self.fixtures.get(symbol)
        if not records or symbol in self.unknown:
            return FakeResponse(UNKNOWN_CHART, 404, url)
        if "range" in params:  # the time-zone probe reads only the metadata
            return FakeResponse(records[-1]["body"], 200, url)
        p1, p2 = params.get("period1"), params.get("period2")
        interval = params.get("interval", "1d")
        same = [r for r in records if r["interval"] == interval] or records
        overlapping = [r for r in same if (p2 is None or r["p1"] < p2) and (p1 is None or r["p2"] > p1)]
        record = (overlapping or same)[0]
        body = cut(record["body"], p1, p2)
        if self.edit is not None:
            body = self.edit(symbol, body)
        return FakeResponse(body, 200, url)

    def _quote_summary(self, symbol: str, url: str) -> FakeResponse:
        if symbol in self.fixtures and symbol not in self.unknown:
            raise UnexpectedRequest(f"replay: quoteSummary for known {symbol} is not recorded")
        body = {"quoteSummary": {"result": None, "error": {
            "code": "Not Found", "description": f"Quote not found for symbol: {symbol}"}}}
        return FakeResponse(body, 404, url)

    # -- patching --------------------------------------------------------
    def __enter__(self) -> "YahooReplay":
        import yfinance as yf
        from yfinance import cache as yf_cache
        from yfinance.data import YfData

        replay = self

        def get(self_: Any, url: str, params: Any = None, timeout: Any = 30) -> FakeResponse:
            return replay._answer(url, params)

        def refuse(*args: Any, **kwargs: Any) -> None:
            raise UnexpectedRequest(f"replay: a request left the replay: {args[1:2]} {kwargs}")

        def no_socket(self_: Any, address: Any, *args: Any) -> None:
            raise UnexpectedRequest(f"replay: socket connect to {address}")

        self._tmp = tempfile.TemporaryDirectory(prefix="yf-tz-")
        self._old_tz_dir = yf_cache._TzDBManager.get_location()
        yf.set_tz_cache_location(self._tmp.name)
        yf_cache._TzCacheManager._tz_cache = None  # yfinance binds its tz cache once
        self._patches = [
            mock.patch.object(YfData, "get", get),
            mock.patch.object(YfData, "cache_get", get),
            mock.patch.object(YfData, "post", refuse),
            mock.patch.object(YfData, "_make_request", refuse),
            mock.patch.object(socket.socket, "connect", no_socket),
        ]
        for patch in self._patches:
            patch.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        import yfinance as yf

        for patch in reversed(self._patches):
            patch.stop()
        self._patches = []
        if self._old_tz_dir is not None:
            from yfinance import cache as yf_cache

            yf.set_tz_cache_location(self._old_tz_dir)
            yf_cache._TzCacheManager._tz_cache = None
        if self._tmp is not None:
            self._tmp.cleanup()
