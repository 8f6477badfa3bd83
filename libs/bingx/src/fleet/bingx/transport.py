"""One HTTP exchange with BingX: sign, send, parse the envelope, map errors.

Reads are retried with back-off on retryable errors; writes never are here (a place-order
retry must go through its clientOrderID), and a write with no answer raises
:class:`UnknownOutcome`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from fleet.bingx.errors import BingxError, Retryable, UnknownOutcome, error_for
from fleet.bingx.ratelimit import RateBudget
from fleet.bingx.signing import ParamValue, Signer, payload, query

READ_RETRIES = 3
BACKOFF_S = 0.2


class Transport:
    """Signed and public requests to one BingX base URL."""

    def __init__(
        self,
        base_url: str,
        signer: Signer | None,
        *,
        http: httpx.AsyncClient | None = None,
        budget: RateBudget | None = None,
        recv_window_ms: int = 5000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http or httpx.AsyncClient(base_url=base_url, timeout=10.0)
        self._signer = signer
        self._budget = budget
        self._recv_window_ms = recv_window_ms
        self._clock = clock
        self.clock_offset_ms = 0

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    def now_ms(self) -> int:
        """Local time corrected by the measured offset to BingX's clock."""
        return int(self._clock() * 1000) + self.clock_offset_ms

    async def public(self, path: str, params: Mapping[str, ParamValue] | None = None) -> Any:
        """An unsigned GET (market data), retried on transient errors."""
        return await self._with_retries(lambda: self._send("GET", path, dict(params or {}), False))

    async def signed(
        self, method: str, path: str, params: Mapping[str, ParamValue] | None = None
    ) -> Any:
        """A signed request; GETs are retried, writes are not."""

        def request() -> Any:
            return self._send(method, path, dict(params or {}), True)

        if method == "GET":
            return await self._with_retries(request)
        return await request()

    async def _with_retries(self, request: Callable[[], Any]) -> Any:
        for attempt in range(READ_RETRIES):
            try:
                return await request()
            except Retryable:
                if attempt == READ_RETRIES - 1:
                    raise
                await asyncio.sleep(BACKOFF_S * 2**attempt)
        raise AssertionError("unreachable")

    async def _send(self, method: str, path: str, params: dict[str, ParamValue], sign: bool) -> Any:
        if self._budget is not None:
            await self._budget.acquire(f"{path}:{method}")
        headers: dict[str, str] = {}
        url = path
        if sign:
            url, headers = await self._signed_url(path, params)
        elif params:
            url = f"{path}?{query(params)}"
        try:
            response = await self._http.request(method, url, headers=headers)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            if method == "GET":
                raise Retryable(f"{type(exc).__name__} on {path}") from exc
            raise UnknownOutcome(f"no answer to {method} {path}: {type(exc).__name__}") from exc
        return _unwrap(response, method, path)

    async def _signed_url(
        self, path: str, params: dict[str, ParamValue]
    ) -> tuple[str, dict[str, str]]:
        if self._signer is None:
            raise BingxError(f"{path} needs a signer (an API key)")
        params = {**params, "timestamp": self.now_ms(), "recvWindow": self._recv_window_ms}
        signature = await self._signer.sign(payload(params))
        return f"{path}?{query(params, signature.signature)}", {"X-BX-APIKEY": signature.api_key}


def _unwrap(response: httpx.Response, method: str, path: str) -> Any:
    if response.status_code == 504 and method != "GET":
        raise UnknownOutcome(f"HTTP 504 on {method} {path}: the request may have executed")
    if response.status_code >= 500:
        raise Retryable(f"HTTP {response.status_code} on {path}", None, response.status_code)
    try:
        body = response.json()
    except ValueError as exc:
        raise BingxError(
            f"HTTP {response.status_code}: not JSON", None, response.status_code
        ) from exc
    if not isinstance(body, dict) or "code" not in body:
        return body  # bare objects: listenKey, apiPermissions
    code = int(body["code"])
    if code != 0:
        raise error_for(code, str(body.get("msg", "")), response.status_code)
    return body.get("data", body)
