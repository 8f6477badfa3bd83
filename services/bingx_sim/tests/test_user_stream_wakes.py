"""An idle user stream sleeps until its next Ping or its key's lapse, never on a beat."""

import asyncio
import gzip
import json
import math
import time
from decimal import Decimal
from typing import Any

import pytest

from fleet.bingx_sim.api import ws
from fleet.bingx_sim.clock import SimClock
from fleet.bingx_sim.domain.market import Market, PricePath
from fleet.bingx_sim.state import SimState

pytestmark = pytest.mark.unit
T0 = 1_700_000_000_000


class Socket:
    """What the pusher sends, inflated."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, Any]] = []

    async def send_bytes(self, data: bytes) -> None:
        text = gzip.decompress(data).decode()
        self.sent.append((time.monotonic(), text if text == "Ping" else json.loads(text)))


def a_state_with_a_key(ttl_s: float) -> tuple[SimState, str]:
    state = SimState(SimClock(1.0, T0), Market({"BTC-USDT": PricePath("BTC-USDT", 1, T0)}))
    account = state.accounts.create(Decimal(100), ["read", "trade"], [])
    key = "k" * 64
    state.accounts.by_listen_key[key] = account
    state.listen_key_touched[key] = time.monotonic()
    state.listen_key_ttl_s = ttl_s
    return state, key


async def pushed_for(
    seconds: float, state: SimState, key: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Socket, int]:
    """What an idle stream sent in ``seconds``, and how often it waited for an event."""
    waits = 0
    waiting = ws._next

    async def counted(queue: asyncio.Queue[dict[str, Any]], wait_s: float) -> Any:
        nonlocal waits
        waits += 1
        return await waiting(queue, wait_s)

    monkeypatch.setattr(ws, "_next", counted)
    socket, queue = Socket(), asyncio.Queue[dict[str, Any]]()
    pusher = asyncio.create_task(
        ws._push_account(socket, state, key, queue, ws.Heartbeat(strict=False))  # type: ignore[arg-type]
    )
    await asyncio.wait([pusher], timeout=seconds)
    pusher.cancel()
    return socket, waits


async def test_an_idle_stream_waits_once_until_its_ping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ws, "PING_EVERY_S", 3.0)
    state, key = a_state_with_a_key(3600)
    socket, waits = await pushed_for(2.2, state, key, monkeypatch)
    assert socket.sent == []  # no Ping due yet, no event
    assert waits == 1  # one wait, not one a second


async def test_pings_keep_their_beat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ws, "PING_EVERY_S", 0.3)
    state, key = a_state_with_a_key(3600)
    socket, waits = await pushed_for(1.15, state, key, monkeypatch)
    assert [text for _, text in socket.sent] == ["Ping"] * 3  # at 0.3, 0.6 and 0.9 s
    assert waits == 4  # one wait before each Ping, one after the last


async def test_a_lapsing_key_is_told_when_it_lapses(monkeypatch: pytest.MonkeyPatch) -> None:
    state, key = a_state_with_a_key(0.4)
    started = time.monotonic()
    socket, _ = await pushed_for(3.0, state, key, monkeypatch)
    [(at, expired)] = socket.sent
    assert expired["e"] == "listenKeyExpired" and expired["listenKey"] == key
    assert 0.35 < at - started < 0.9  # at its lapse, not at a beat (1 s) or a Ping (5 s)


def test_when_a_key_lapses() -> None:
    state, key = a_state_with_a_key(60)
    now = state.listen_key_touched[key]
    assert state.listen_key_lapses_in(key, now + 10) == pytest.approx(50)
    assert state.listen_key_lapses_in(key, now + 70) == 0.0
    assert state.listen_key_lapses_in("never given a lifetime", now) == math.inf
    state.expired_listen_keys.add(key)
    assert state.listen_key_lapses_in(key, now) == 0.0
