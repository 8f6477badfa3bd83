"""BingX WebSockets (API.md §5, §6): gzip frames, Ping/Pong, subscribe/unsubscribe,
automatic reconnect with resubscribe, and a gap signal so the caller can backfill."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

OnMessage = Callable[[dict[str, Any]], Awaitable[None]]
OnGap = Callable[[int], Awaitable[None]]  # epoch ms of the last message before the gap
CLOSE_TIMEOUT_S = 2.0  # a server that does not answer our close is not waited for longer


def swap_ws_url(rest_base_url: str, override: str = "") -> str:
    """The swap WebSocket (market data, and user data with ``?listenKey=``) that goes with
    a REST base URL: BingX's own, or ``/swap-market`` on the same host (the simulator)."""
    if override:
        return override
    if "open-api.bingx.com" in rest_base_url:
        return "wss://open-api-swap.bingx.com/swap-market"
    return rest_base_url.replace("http", "ws", 1).rstrip("/") + "/swap-market"


def decode(frame: bytes | str) -> str:
    """A server frame as text (binary frames are gzip; text frames are taken as they are)."""
    return gzip.decompress(frame).decode() if isinstance(frame, bytes) else frame


class _Stream:
    """Connect, read, answer Pings, reconnect forever until closed."""

    def __init__(
        self, url: str, on_message: OnMessage, on_gap: OnGap | None, reconnect_delay_s: float
    ) -> None:
        self.url = url
        self._on_message = on_message
        self._on_gap = on_gap
        self._delay = reconnect_delay_s
        self._connection: ClientConnection | None = None
        self._closed = False
        self.reconnects = 0
        self.last_message_ms = 0

    async def run(self) -> None:
        """Read until :meth:`close`; reconnect after any drop."""
        first = True
        while not self._closed:
            try:
                async with websockets.connect(
                    self.url, max_size=2**22, close_timeout=CLOSE_TIMEOUT_S
                ) as connection:
                    self._connection = connection
                    await self._on_connect(first)
                    first = False
                    await self._read(connection)
            except (OSError, websockets.ConnectionClosed, websockets.InvalidHandshake):
                pass
            self._connection = None
            if not self._closed:
                self.reconnects += 1
                await asyncio.sleep(self._delay)

    async def _on_connect(self, first: bool) -> None:
        if not first and self._on_gap is not None:
            await self._on_gap(self.last_message_ms)

    async def _read(self, connection: ClientConnection) -> None:
        async for frame in connection:
            text = decode(frame)
            if text == "Ping":
                await connection.send("Pong")
                continue
            message = json.loads(text)
            if message.get("dataType") or message.get("e"):
                self.last_message_ms = int(time.time() * 1000)
                await self._on_message(message)

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
    ) -> None:
        super().__init__(url, on_message, on_gap, reconnect_delay_s)
        self.topics: set[str] = set()

    async def _on_connect(self, first: bool) -> None:
        for topic in sorted(self.topics):
            await self._request("sub", topic)
        await super()._on_connect(first)

    async def _request(self, kind: str, topic: str) -> None:
        if self._connection is not None:
            body = {"id": str(uuid.uuid4()), "reqType": kind, "dataType": topic}
            await self._connection.send(json.dumps(body))

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
    ) -> None:
        super().__init__(f"{ws_url}?listenKey={listen_key}", on_message, on_gap, reconnect_delay_s)
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
