"""BingX WebSockets (API.md §5, §6): gzip frames, Ping/Pong, subscribe/unsubscribe,
automatic reconnect with resubscribe, and a gap signal so the caller can backfill.

A stream never dies quietly: an error in a callback or a frame that is not JSON is logged,
counted and skipped; any failure of the connection reconnects with exponential back-off
(a refused handshake — too many sockets from one address — is not retried every second).
Subscriptions are paced (BingX allows about 10 subscribe requests per second per address)
and their acks are read: a refused topic is recorded with BingX's code."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import msgspec
import websockets
from websockets.asyncio.client import ClientConnection

from fleet.bingx.errors import RATE_CODE
from fleet.bingx.ratelimit import TokenBucket

OnMessage = Callable[[dict[str, Any]], Awaitable[None]]
OnGap = Callable[[int], Awaitable[None]]  # epoch ms of the last message before the gap
CLOSE_TIMEOUT_S = 2.0  # a server that does not answer our close is not waited for longer
MAX_BACKOFF_S = 60.0
SUBSCRIBES_PER_S = 9.0  # BingX: about 10 subscribe requests per second per address
SUBSCRIBE_RETRY_S = 1.0  # a subscription refused with 100410 is asked again after this
LOG = logging.getLogger("fleet.bingx.ws")


LIVE_REST_URL = "https://open-api.bingx.com"
DEMO_REST_URL = "https://open-api-vst.bingx.com"  # VST: demo trading, virtual USDT
_BINGX_WS = {  # API.md's host table: the swap WebSocket is not on the REST host
    "open-api.bingx.com": "wss://open-api-swap.bingx.com/swap-market",
    "open-api-vst.bingx.com": "wss://vst-open-api-ws.bingx.com/swap-market",
}


def swap_ws_url(rest_base_url: str, override: str = "") -> str:
    """The swap WebSocket (market data, and user data with ``?listenKey=``) that goes with
    a REST base URL: BingX's own (live or VST), or ``/swap-market`` on the same host (the
    simulator)."""
    if override:
        return override
    host = urlsplit(rest_base_url).hostname or ""
    if host in _BINGX_WS:
        return _BINGX_WS[host]
    return rest_base_url.replace("http", "ws", 1).rstrip("/") + "/swap-market"


def inflate(frame: bytes | str) -> bytes | str:
    """A server frame's content: a binary frame is a gzip member (API.md §5), inflated by
    zlib in one C call (``gzip.decompress`` reads the header in Python first: 3.5 against
    1.2 µs a frame); text frames are taken as they are. Whatever zlib leaves (a second
    member) goes to ``gzip.decompress``, which reads every member."""
    if isinstance(frame, str):
        return frame
    inflater = zlib.decompressobj(_GZIP)
    try:
        content = inflater.decompress(frame)
    except zlib.error:
        content = b""  # not gzip, or damaged: gzip.decompress says which
    if inflater.unused_data or not inflater.eof:
        # more than one member, a truncated or a damaged one: read, or refused, as before
        return gzip.decompress(frame)
    return content


_GZIP = 16 + zlib.MAX_WBITS  # zlib reads a gzip header and checks its trailer (CRC, size)
_PING = ("Ping", b"Ping")


class _Stream:
    """Connect, read, answer Pings, reconnect forever until closed."""

    def __init__(
        self,
        url: str,
        on_message: OnMessage,
        on_gap: OnGap | None,
        reconnect_delay_s: float,
        source_address: str | None = None,
    ) -> None:
        self.url = url
        # BingX counts sockets per address: a stream leaves from its egress identity's.
        self._local_addr = (source_address, 0) if source_address else None
        self._on_message = on_message
        self._on_gap = on_gap
        self._delay = reconnect_delay_s
        self._connection: ClientConnection | None = None
        self._closed = False
        self.reconnects = 0
        self.last_message_ms = 0
        self.callback_errors = 0
        self.bad_frames = 0
        self.refused_handshakes = 0
        self.down_since: float | None = time.monotonic()  # None while connected

    @property
    def connected(self) -> bool:
        return self._connection is not None

    async def run(self) -> None:
        """Read until :meth:`close`; reconnect after any drop, backing off while failing."""
        first, failures = True, 0
        while not self._closed:
            try:
                async with websockets.connect(
                    self.url,
                    max_size=2**22,
                    close_timeout=CLOSE_TIMEOUT_S,
                    local_addr=self._local_addr,
                    # BingX's frames are gzip already: per-message deflate over them costs
                    # both ends CPU for no byte saved, so it is not offered
                    compression=None,
                ) as connection:
                    self._connection, self.down_since, failures = connection, None, 0
                    await self._on_connect(first)
                    first = False
                    await self._read(connection)
            except websockets.InvalidHandshake as exc:
                self.refused_handshakes += 1
                LOG.warning("websocket handshake refused: %s", exc)
            except (OSError, websockets.ConnectionClosed):
                pass
            except Exception:  # anything else must not end the stream either
                LOG.exception("websocket stream failed; reconnecting")
            self._connection = None
            self.down_since = self.down_since or time.monotonic()
            if not self._closed:
                self.reconnects += 1
                failures += 1
                await asyncio.sleep(min(MAX_BACKOFF_S, self._delay * 2 ** (failures - 1)))

    async def _on_connect(self, first: bool) -> None:
        if not first and self._on_gap is not None:
            await self._guarded(self._on_gap(self.last_message_ms))

    async def _guarded(self, callback: Awaitable[None]) -> None:
        """Run a callback; its failure is logged and counted, never the stream's end."""
        try:
            await callback
        except Exception:
            self.callback_errors += 1
            LOG.exception("websocket callback failed (%d so far)", self.callback_errors)

    async def _read(self, connection: ClientConnection) -> None:
        async for frame in connection:
            try:
                content = inflate(frame)
                if content in _PING:
                    await connection.send("Pong")
                    continue
                message = msgspec.json.decode(content)  # 2x json.loads; invalid: ValueError
                if not isinstance(message, dict):
                    raise TypeError(type(message).__name__)
            except (OSError, EOFError, zlib.error, ValueError, TypeError) as exc:
                self.bad_frames += 1
                LOG.warning("websocket frame skipped (%s): %.80r", exc, frame)
                continue
            if message.get("dataType") or message.get("e"):
                self.last_message_ms = int(time.time() * 1000)
                await self._guarded(self._on_message(message))
            else:
                self._on_reply(message)

    def _on_reply(self, message: dict[str, Any]) -> None:
        """A message that is no data push (a subscription ack)."""

    async def close(self) -> None:
        """Stop for good."""
        self._closed = True
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()


class MarketStream(_Stream):
    """Market data: subscriptions survive reconnects; ``on_gap`` is called after each one."""

    def __init__(
        self,
        url: str,
        on_message: OnMessage,
        *,
        on_gap: OnGap | None = None,
        reconnect_delay_s: float = 1.0,
        source_address: str | None = None,
        pace: TokenBucket | None = None,
    ) -> None:
        """``pace``: subscribe requests' bucket, shared by the sockets of one address."""
        super().__init__(url, on_message, on_gap, reconnect_delay_s, source_address)
        self.topics: set[str] = set()
        self.refused: dict[str, int] = {}  # topic -> BingX's code (80015, 80403, ...)
        self._pending: dict[str, str] = {}  # request id -> topic, until acked
        self._pace = pace or TokenBucket(SUBSCRIBES_PER_S, 1.0)
        self._subscribing: asyncio.Task[None] | None = None
        self._retries: set[asyncio.Task[None]] = set()

    async def _on_connect(self, first: bool) -> None:
        # The subscriptions go out paced (100 topics take 11 s) BESIDE the reading: read
        # only after them, a socket answered no Ping and read no push for that long, and
        # BingX (or the simulator) dropped it, so a large symbol list never got through.
        self._pending.clear()
        if self._subscribing is not None:
            self._subscribing.cancel()
        self._subscribing = asyncio.create_task(
            self._subscribe_all(self._connection, sorted(self.topics))
        )
        await super()._on_connect(first)

    async def _subscribe_all(self, connection: ClientConnection | None, topics: list[str]) -> None:
        for topic in topics:
            if self._connection is not connection:
                return  # a reconnect subscribes again
            if topic in self.topics:
                await self._request("sub", topic)

    async def _request(self, kind: str, topic: str) -> None:
        if self._connection is not None:
            await self._pace.take()
            ident = str(uuid.uuid4())
            self._pending[ident] = topic
            body = {"id": ident, "reqType": kind, "dataType": topic}
            with contextlib.suppress(websockets.ConnectionClosed):
                await self._connection.send(json.dumps(body))

    @property
    def unacknowledged(self) -> int:
        """Requests sent on this connection that BingX has not answered yet."""
        return len(self._pending)

    def _on_reply(self, message: dict[str, Any]) -> None:
        topic = self._pending.pop(str(message.get("id", "")), None)
        code = message.get("code") or 0
        if topic is None or str(code) == "0":
            return
        if str(code) == str(RATE_CODE) and topic in self.topics:
            # too many subscriptions from this address this second (another socket of it,
            # the last connection's in the same window): asked again, not given up
            LOG.warning("subscription to %s refused for now (100410); asking again", topic)
            self._retries.add(asyncio.create_task(self._again(topic)))
            return
        self.refused[topic] = int(code) if str(code).isdigit() else -1
        LOG.error("subscription to %s refused: %s (code %s)", topic, message.get("msg"), code)

    async def _again(self, topic: str) -> None:
        try:
            await asyncio.sleep(SUBSCRIBE_RETRY_S)
            if topic in self.topics:
                await self._request("sub", topic)
        finally:
            self._retries.discard(asyncio.current_task())

    async def close(self) -> None:
        for task in [self._subscribing, *self._retries]:
            if task is not None:
                task.cancel()
        await super().close()

    async def subscribe(self, topic: str) -> None:
        """Subscribe now (if connected) and after every reconnect."""
        if topic not in self.topics:
            self.topics.add(topic)
            await self._request("sub", topic)

    async def unsubscribe(self, topic: str) -> None:
        if topic in self.topics:
            self.topics.discard(topic)
            await self._request("unsub", topic)


class UserStream(_Stream):
    """Account and order events of one account; keeps its listenKey alive."""

    def __init__(  # noqa: PLR0913 - keyword-only tuning knobs with defaults
        self,
        ws_url: str,
        listen_key: str,
        on_message: OnMessage,
        keep_alive: Callable[[str], Awaitable[None]],
        *,
        keep_alive_s: float = 1800.0,
        reconnect_delay_s: float = 1.0,
        on_gap: OnGap | None = None,
        source_address: str | None = None,
    ) -> None:
        super().__init__(
            f"{ws_url}?listenKey={listen_key}",
            on_message,
            on_gap,
            reconnect_delay_s,
            source_address,
        )
        self.listen_key = listen_key
        self._keep_alive = keep_alive
        self._keep_alive_s = keep_alive_s

    async def run(self) -> None:
        refresher = asyncio.create_task(self._refresh())
        try:
            await super().run()
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self._keep_alive_s)
            with contextlib.suppress(Exception):
                await self._keep_alive(self.listen_key)
