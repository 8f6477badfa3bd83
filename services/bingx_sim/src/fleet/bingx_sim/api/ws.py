"""``/swap-market``: the market WebSocket, or the user-data stream with ``?listenKey=``.

Every server frame is binary gzip JSON (or gzip ``Ping``); the client answers ``Pong``.
Kline pushes repeat the forming candle; like BingX, nothing marks a candle's end, and its
final state is pushed before the first push of the next one only with ``--final-push``
(API.md §5.3).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zlib
from dataclasses import dataclass
from typing import Any

import msgspec
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from fleet.bingx_sim.domain.contracts import spec_for
from fleet.bingx_sim.domain.limits import Window
from fleet.bingx_sim.domain.market import quantise, trades
from fleet.bingx_sim.state import SimState
from fleet.events.timeframes import INTERVAL_MINUTES

router = APIRouter()
PING_EVERY_S = 5.0
SOCKETS_PER_ADDRESS = 60  # strict: BingX's ~60 WebSocket connections per IP (API.md §5.4)
TOPICS_PER_SOCKET = 200  # 80403 beyond (API.md §3.3, §5.4)
SUBSCRIBES_PER_S = 10  # strict: per client address (API.md §5.4); beyond, refused 100410
MISSED_PONGS = 2  # strict: a socket whose last two Pings went unanswered is closed (§5.1)


@dataclass
class Heartbeat:
    """Pings sent since the client's last Pong."""

    strict: bool
    unanswered: int = 0

    def pong(self) -> None:
        self.unanswered = 0

    async def ping(self, ws: WebSocket) -> bool:
        """Send a Ping; ``False`` (socket closed) when the client stopped answering."""
        if self.strict and self.unanswered >= MISSED_PONGS:
            await ws.close(code=1008, reason="no Pong")
            return False
        self.unanswered += 1
        await send(ws, "Ping")
        return True


PRICE_TOPICS = {"trade", "lastPrice", "markPrice"}


async def send(ws: WebSocket, message: dict[str, Any] | str) -> None:
    data = message.encode() if isinstance(message, str) else msgspec.json.encode(message)
    await ws.send_bytes(gzipped(data))


def gzipped(data: bytes) -> bytes:
    """A gzip member, as BingX sends each frame, its bytes stored rather than deflated.

    Any gzip reader inflates it, and a client that does not inflate fails on it as on
    BingX's own frames (a binary gzip header). Deflating cost 11 us a frame against 2 us
    (a 330-byte order update), a tenth of the simulator's CPU per order in
    ``bench/fanout.py``, for bytes that only cross the loopback."""
    packer = zlib.compressobj(0, zlib.DEFLATED, _GZIP, _SMALL_MEMORY)
    return packer.compress(data) + packer.flush()


_GZIP = 16 + 9  # 16: a gzip header and trailer (9: the smallest window; nothing deflated)
_SMALL_MEMORY = 1


@router.websocket("/swap-market")
async def swap_market(ws: WebSocket) -> None:
    state: SimState = ws.app.state.sim
    address = ws.client.host if ws.client else ""
    crowded = state.strict and state.sockets_by_address.get(address, 0) >= SOCKETS_PER_ADDRESS
    if crowded or time.monotonic() < state.faults.refuse_websockets_until:
        state.refused_sockets += crowded
        await ws.close(code=1008)  # before accept: the handshake is refused with HTTP 403
        return
    await ws.accept()
    state.sockets.add(ws)
    count = state.sockets_by_address[address] = state.sockets_by_address.get(address, 0) + 1
    state.peak_sockets_by_address[address] = max(
        count, state.peak_sockets_by_address.get(address, 0)
    )
    listen_key = ws.query_params.get("listenKey")
    try:
        if listen_key is not None:
            await _user_stream(ws, state, listen_key)
        else:
            await _market_stream(ws, state)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        state.sockets.discard(ws)
        state.sockets_by_address[address] -= 1


async def _market_stream(ws: WebSocket, state: SimState) -> None:
    topics: dict[str, int] = {}  # topic -> open time of the candle last pushed
    heartbeat = Heartbeat(state.strict)
    pusher = asyncio.create_task(_push_klines(ws, state, topics, heartbeat))
    try:
        while True:
            text = await ws.receive_text()
            if text == "Pong":
                heartbeat.pong()
                continue
            await _handle_request(ws, state, topics, text)
    finally:
        for topic in topics:
            state.subscriptions[topic] -= 1
        pusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pusher


async def _handle_request(
    ws: WebSocket, state: SimState, topics: dict[str, int], text: str
) -> None:
    try:
        request = json.loads(text)
        topic, kind = str(request["dataType"]), request["reqType"]
    except (ValueError, KeyError, TypeError):
        await send(
            ws, {"id": "", "code": 80014, "msg": "invalid request", "dataType": "", "data": None}
        )
        return
    address = ws.client.host if ws.client else ""
    if state.strict and not state.subscribe_windows.setdefault(
        address, Window(1_000, SUBSCRIBES_PER_S)
    ).admit(int(time.monotonic() * 1000)):
        await send(
            ws,
            {
                "id": request.get("id", ""),
                "code": 100410,
                "msg": "too many subscribe requests",
                "dataType": "",
                "data": None,
            },
        )
        return
    symbol, _, stream = topic.partition("@")
    interval = stream.removeprefix("kline_")
    if (
        not state.market.has(symbol)
        or not stream.startswith("kline_")
        or interval not in INTERVAL_MINUTES
    ):
        await send(
            ws,
            {
                "id": request.get("id", ""),
                "code": 80015,
                "msg": f"unsupported dataType {topic}",
                "dataType": "",
                "data": None,
            },
        )
        return
    if kind == "sub" and topic not in topics and len(topics) >= TOPICS_PER_SOCKET:
        await send(
            ws,
            {
                "id": request.get("id", ""),
                "code": 80403,
                "msg": f"more than {TOPICS_PER_SOCKET} topics on one connection",
                "dataType": "",
                "data": None,
            },
        )
        return
    if kind == "sub" and topic not in topics:
        topics[topic] = 0
        state.subscriptions[topic] = state.subscriptions.get(topic, 0) + 1
    elif kind != "sub" and topic in topics:
        topics.pop(topic)
        state.subscriptions[topic] -= 1
    await send(
        ws, {"id": request.get("id", ""), "code": 0, "msg": "", "dataType": "", "data": None}
    )


async def _push_klines(
    ws: WebSocket, state: SimState, topics: dict[str, int], heartbeat: Heartbeat
) -> None:
    since_ping, every = 0.0, state.push_interval_s
    while True:
        await asyncio.sleep(every)
        since_ping += every
        if since_ping >= PING_EVERY_S:
            since_ping = 0.0
            if not await heartbeat.ping(ws):
                return
        if state.faults.garbage_frames > 0 and topics:
            state.faults.garbage_frames -= 1
            await send(ws, "<html>502 Bad Gateway</html>")
        if time.monotonic() < state.faults.market_silent_until:
            continue  # an illiquid market: the socket stays open, nothing is pushed
        for topic in list(topics):
            await _push_topic(ws, state, topics, topic)


async def _push_topic(ws: WebSocket, state: SimState, topics: dict[str, int], topic: str) -> None:
    symbol, _, stream = topic.partition("@")
    if stream in PRICE_TOPICS:
        await send(ws, _price_push(state, topic, symbol, stream))
        return
    interval = stream.removeprefix("kline_")
    now = state.clock.now_ms()
    [current] = state.market.klines(symbol, interval, now, None, None, 1)
    last = topics.get(topic, 0)
    if state.final_push and last and current.open_ms > last:  # the closed one's final state
        for bar in state.market.klines(symbol, interval, now, last, current.open_ms - 1, 1):
            await send(ws, _kline_push(topic, symbol, bar))
    topics[topic] = current.open_ms
    await send(ws, _kline_push(topic, symbol, current))


def _price_push(state: SimState, topic: str, symbol: str, stream: str) -> dict[str, Any]:
    now, price = state.clock.now_ms(), str(state.mark(symbol))
    if stream == "trade":
        [row] = trades(state.market, symbol, now, 1)
        return {
            "code": 0,
            "dataType": topic,
            "data": [
                {
                    "q": f"{float(str(row['qty'])):.4f}",
                    "p": price,
                    "T": now,
                    "m": row["isBuyerMaker"],
                    "s": symbol,
                }
            ],
        }
    event = "lastPriceUpdate" if stream == "lastPrice" else "markPriceUpdate"
    key = "c" if stream == "lastPrice" else "p"
    return {"code": 0, "dataType": topic, "data": {"e": event, "E": now, "s": symbol, key: price}}


def _kline_push(topic: str, symbol: str, bar: Any) -> dict[str, Any]:
    decimals = spec_for(symbol).price_precision
    return {
        "code": 0,
        "dataType": topic,
        "s": symbol,
        "data": [
            {
                "o": str(quantise(bar.open, decimals)),
                "h": str(quantise(bar.high, decimals)),
                "l": str(quantise(bar.low, decimals)),
                "c": str(quantise(bar.close, decimals)),
                "v": f"{bar.volume:.4f}",
                "T": bar.open_ms,
            }
        ],
    }


async def _user_stream(ws: WebSocket, state: SimState, listen_key: str) -> None:
    account = state.accounts.by_listen_key.get(listen_key)
    if account is None:
        await ws.close(code=4004, reason="unknown listenKey")
        return
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    state.user_streams.setdefault(account.api_key, []).append(queue)
    heartbeat = Heartbeat(state.strict)
    pusher = asyncio.create_task(_push_account(ws, state, listen_key, queue, heartbeat))
    try:
        while True:  # read too: the client's Pongs, and its close (answered at once)
            if await ws.receive_text() == "Pong":
                heartbeat.pong()
    finally:
        state.user_streams[account.api_key].remove(queue)
        pusher.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await pusher


async def _next(queue: asyncio.Queue[dict[str, Any]], wait_s: float) -> dict[str, Any] | None:
    """The next event, or None after ``wait_s`` (a burst is taken without a timer)."""
    try:
        async with asyncio.timeout(wait_s):
            return await queue.get()
    except TimeoutError:
        return None


async def _push_account(
    ws: WebSocket,
    state: SimState,
    listen_key: str,
    queue: asyncio.Queue[dict[str, Any]],
    heartbeat: Heartbeat,
) -> None:
    """Events as they come, a Ping every 5 s; once the key lapses, ``listenKeyExpired`` and
    nothing more (the socket stays open, as BingX's does, API.md §6.3)."""
    last_ping = time.monotonic()
    while True:
        # Woken by an event, the next Ping or the key's lapse: no timer beats in between
        # (1,000 idle streams woke 1,000 times a second when this waited 1 s).
        now = time.monotonic()
        wait = min(last_ping + PING_EVERY_S - now, state.listen_key_lapses_in(listen_key, now))
        event = queue.get_nowait() if not queue.empty() else await _next(queue, max(wait, 0.0))
        if state.listen_key_expired(listen_key):
            now = state.clock.now_ms()
            await send(ws, {"e": "listenKeyExpired", "E": now, "listenKey": listen_key})
            return
        if event is not None:
            await send(ws, event)
        if time.monotonic() - last_ping >= PING_EVERY_S:
            last_ping = time.monotonic()
            if not await heartbeat.ping(ws):
                return
