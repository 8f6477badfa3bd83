"""Bots started by a test straight on the event log, for the processes that follow them."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import nats
from nats.aio.client import Client

from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.bots import BotStarted
from fleet.events.users import TradingSettings
from fleet.eventstore import EventStore, StreamSpec
from fleet.eventstore.stream import ensure_platform


async def platform_store(nats_url: str, namespace: str) -> tuple[Client, StreamSpec, EventStore]:
    """An admin connection, the namespace's event stream with the platform's other streams
    and buckets ensured, and an EventStore on it; the caller closes the connection."""
    nc = await nats.connect(nats_url)
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    await ensure_platform(nc.jetstream(), spec)
    return nc, spec, EventStore(nc, spec)


async def start_bots(store: EventStore, symbol: str, users: Iterable[str]) -> AggregateRef:
    """A started 1m bot on ``symbol`` for each of ``users``; the signal aggregate they follow."""
    settings = TradingSettings(trading_enabled=True, symbols=(symbol,), timeframe="1m")
    for user in users:
        bot = AggregateRef(type="bot", id=AggregateId(user))
        started = BotStarted(session_id="s", settings=settings, initial_balance=Decimal(1), by="u")
        await store.append(bot, [wrap(started, bot)], expected_version=0)
    return AggregateRef(type="signal", id=AggregateId(f"{symbol}_1m"))
