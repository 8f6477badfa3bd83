"""One HTTP exchange with BingX: sign, send, parse the envelope, map errors.

Reads are retried with back-off on retryable errors; writes never are here (a place-order
retry must go through its clientOrderID), and a write with no answer — or an HTTP 5xx,
which a proxy may send for a request BingX did execute — raises :class:`UnknownOutcome`.
A 100421 (timestamp outside the window) resyncs the clock and is sent once more whatever
the method: BingX refused it, nothing was done. The clock is synced before the first
signed request and again every few minutes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from fleet.bingx.errors import (
    BingxError,
    ListenKeyGone,
    MalformedAnswer,
    RateLimited,
    Retryable,
    TimestampError,
    UnknownOutcome,
    error_for,
    refusal_for,
)
from fleet.bingx.ratelimit import CoolDown, RateBudget
from fleet.bingx.signing import ParamValue, Signer, payload, query
from fleet.ratelimit.retries import retried

# one debug line per exchange call (the caller's correlation id rides along in its context)
_log = logging.getLogger("fleet.bingx")
READ_WAIT_MAX_S = 2.0  # the longest address pause a read waits out before retrying
READ_RETRIES = 3  # attempts of a GET, 0.2 s then 0.4 s apart, jitter taking up to a tenth off
BACKOFF_S = 0.2
BACKOFF_JITTER_S = 0.02
RESYNC_S = 300.0  # the clock is measured again after this long
SERVER_TIME = "/openApi/swap/v2/server/time"


class ServerClock:
    """BingX's clock as seen from here: ``offset_ms`` (server minus local, measured at the
    middle of the round trip) and ``rtt_ms``; shareable by every transport of one host."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.offset_ms = 0
        self.rtt_ms = 0
        self.synced_at: float | None = None  # monotonic seconds of the last measurement
        self.syncs = 0
        self._lock = asyncio.Lock()

    def now_ms(self) -> int:
        """Local time corrected by the measured offset."""
        return int(self.clock() * 1000) + self.offset_ms

    @property
    def stale(self) -> bool:
        return self.synced_at is None or time.monotonic() - self.synced_at > RESYNC_S

    async def sync(self, server_time_ms: Callable[[], Any], *, seen: int | None = None) -> None:
        """Measure the offset again, unless another caller did since the caller saw
        ``seen`` measurements (many requests refused at once resync once)."""
        async with self._lock:
            if seen is not None and self.syncs != seen:
                return
            sent = self.clock()
            server = int(await server_time_ms())
            received = self.clock()
            self.offset_ms = server - int((sent + received) / 2 * 1000)
            self.rtt_ms = int((received - sent) * 1000)
            self.synced_at = time.monotonic()
            self.syncs += 1


def open_session(
    source_address: str | None = None, max_connections: int = 100, timeout_s: float = 10.0
) -> aiohttp.ClientSession:
    """An HTTP connection pool whose requests leave from ``source_address`` (the egress IP
    BingX counts its per-IP limits by); many transports may share one. It keeps no
    cookies: BingX's API authenticates each request by its key and signature, and a cookie
    jar is filtered for every request (and shared by every user of the pool)."""
    local = (source_address, 0) if source_address else None
    connector = aiohttp.TCPConnector(limit=max_connections, local_addr=local)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout_s),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


class Transport:
    """Signed and public requests to one BingX base URL."""

    def __init__(  # noqa: PLR0913 - keyword-only knobs with defaults
        self,
        base_url: str,
        signer: Signer | None,
        *,
        budget: RateBudget | None = None,
        recv_window_ms: int = 5000,
        clock: Callable[[], float] = time.time,
        timeout_s: float = 10.0,
        source_address: str | None = None,
        max_connections: int = 100,
        session: aiohttp.ClientSession | None = None,
        in_flight: asyncio.Semaphore | None = None,
        pacer: RateBudget | None = None,
        server_clock: ServerClock | None = None,
    ) -> None:
        # aiohttp rather than httpx: at 32 concurrent requests httpx's pool reached ~240
        # orders/s here, aiohttp ~2,500 (bench/bingx_sim.py); executors fan out to many
        # users at once. ``source_address`` picks the egress IP (rate limits are per IP).
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._source_address = source_address
        self._max_connections = max_connections
        # A shared ``session`` (one pool per egress address for many accounts) stays open
        # on close(): its owner closes it.
        self._session: aiohttp.ClientSession | None = session
        self._owns_session = session is None
        # Requests wait for the budget first, then for a place in flight, and only then
        # are stamped and signed: a signed request never queues long enough to outlive
        # BingX's recvWindow (shared with other transports of the same pool).
        self._in_flight = in_flight
        # ``pacer`` re-spaces requests at the door, once signed: time spent between the
        # budget and the send (a log append, a signature) varies, and requests granted
        # evenly could otherwise arrive bunched and overflow BingX's sliding windows.
        self._pacer = pacer
        self._signer = signer
        self._budget = budget
        self._recv_window_ms = recv_window_ms
        self.server_clock = server_clock or ServerClock(clock)

    @property
    def clock_offset_ms(self) -> int:
        return self.server_clock.offset_ms

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or (self._session.closed and self._owns_session):
            self._session = open_session(
                self._source_address, self._max_connections, self._timeout.total or 10.0
            )
        return self._session

    async def close(self) -> None:
        """Close the HTTP connection pool (unless it was shared with this transport)."""
        if self._session is not None and self._owns_session:
            await self._session.close()

    def now_ms(self) -> int:
        """Local time corrected by the measured offset to BingX's clock."""
        return self.server_clock.now_ms()

    async def sync_clock(self, *, seen: int | None = None) -> int:
        """Measure BingX's clock now (offset and round trip from ``/server/time``)."""

        async def server_time_ms() -> int:
            data = await self.public(SERVER_TIME)
            return int(data["serverTime"])

        await self.server_clock.sync(server_time_ms, seen=seen)
        return self.server_clock.offset_ms

    async def public(self, path: str, params: Mapping[str, ParamValue] | None = None) -> Any:
        """An unsigned GET (market data), retried on transient errors."""
        return await self._with_retries(lambda: self._send("GET", path, dict(params or {}), False))

    async def signed(
        self, method: str, path: str, params: Mapping[str, ParamValue] | None = None
    ) -> Any:
        """A signed request; GETs are retried, writes are not."""

        async def request() -> Any:
            if self.server_clock.stale:
                await self.sync_clock(seen=self.server_clock.syncs)
            seen = self.server_clock.syncs
            try:
                return await self._send(method, path, dict(params or {}), True)
            except TimestampError:
                await self.sync_clock(seen=seen)
                return await self._send(method, path, dict(params or {}), True)

        if method == "GET":
            return await self._with_retries(request)
        return await request()

    async def _with_retries(self, request: Callable[[], Any]) -> Any:
        return await retried(
            request,
            _worth_reading_again,
            attempts=READ_RETRIES,
            first_pause_s=BACKOFF_S,
            jitter_s=BACKOFF_JITTER_S,
        )

    async def _send(self, method: str, path: str, params: dict[str, ParamValue], sign: bool) -> Any:
        if self._budget is not None:
            await self._budget.acquire(f"{path}:{method}")
        try:
            if self._in_flight is None:
                return await self._exchange(method, path, params, sign)
            async with self._in_flight:
                return await self._exchange(method, path, params, sign)
        except RateLimited as exc:
            if exc.cool_down_s > 0 and isinstance(self._budget, CoolDown):
                await self._budget.cool_down(exc.cool_down_s)
            raise

    async def _exchange(
        self, method: str, path: str, params: dict[str, ParamValue], sign: bool
    ) -> Any:
        headers: dict[str, str] = {}
        url = path
        if sign:
            url, headers = await self._signed_url(path, params)
        elif params:
            url = f"{path}?{query(params)}"
        if self._pacer is not None:
            await self._pacer.acquire(f"{path}:{method}")
        try:
            async with self._http().request(
                method, self._base_url + url, headers=headers
            ) as answer:
                _log.debug(
                    "bingx request", extra={"method": method, "path": path, "status": answer.status}
                )
                return _unwrap(answer.status, await answer.read(), method, path)
        except (TimeoutError, aiohttp.ClientError) as exc:
            if method == "GET":
                raise Retryable(f"{type(exc).__name__} on {path}") from exc
            raise UnknownOutcome(f"no answer to {method} {path}: {type(exc).__name__}") from exc

    async def _signed_url(
        self, path: str, params: dict[str, ParamValue]
    ) -> tuple[str, dict[str, str]]:
        if self._signer is None:
            raise BingxError(f"{path} needs a signer (an API key)")
        params = {**params, "timestamp": self.now_ms(), "recvWindow": self._recv_window_ms}
        signature = await self._signer.sign(payload(params))
        return f"{path}?{query(params, signature.signature)}", {"X-BX-APIKEY": signature.api_key}


def _unwrap(status: int, raw: bytes, method: str, path: str) -> Any:
    if status >= 500 and method != "GET":
        raise UnknownOutcome(f"HTTP {status} on {method} {path}: it may have executed")
    if status >= 500:
        raise Retryable(f"HTTP {status} on {path}", None, status)
    if status == 404 and path.endswith("/userDataStream"):
        raise ListenKeyGone("listenKey unknown or expired", None, 404)
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        refusal = refusal_for(status, path)
        if refusal is not None:
            raise refusal from exc
        raise MalformedAnswer(f"HTTP {status} on {path}: not JSON", None, status) from exc
    if body is None:
        if status == 200:
            return None  # listenKey keep-alive and delete answer 200 with an empty body
        raise refusal_for(status, path) or MalformedAnswer(f"HTTP {status}: empty", None, status)
    if not isinstance(body, dict) or "code" not in body:
        return body  # bare objects: listenKey, apiPermissions
    code = int(body["code"])  # an int, or "0" as text on some endpoints (API.md §3.1)
    if code != 0:
        raise error_for(code, str(body.get("msg", "")), status)
    return body.get("data", body)


def _worth_reading_again(exc: Exception) -> bool:
    """A retryable refusal, except one that pauses the whole address for long (a 429, a
    ban, a 100410 naming its end): the caller learns that at once instead of waiting out
    the cool-down. A short pause is waited out by the budget."""
    return isinstance(exc, Retryable) and getattr(exc, "cool_down_s", 0) <= READ_WAIT_MAX_S
