"""The strategy's demand mid-run: what the worker takes from the log (``DEMAND_TYPES``),
folded by the one user fold, moves the subscribed streams when a running bot's symbols or
timeframe change, and drops them when the bot stops."""

import asyncio
import contextlib
import uuid
from decimal import Decimal
from typing import Any, cast

import pytest

from fleet.bus.loops import Loops
from fleet.events import AggregateId, AggregateRef, DomainEvent, wrap
from fleet.events.bots import BOT_AGGREGATE, BotPaused, BotStarted, BotStopped
from fleet.events.directory import Directory
from fleet.events.users import USER_AGGREGATE, TradingSettings, TradingSettingsChanged
from fleet.eventstore import EventStore
from fleet.strategy.settings import StrategySettings
from fleet.strategy.worker import DEMAND_AGGREGATES, DEMAND_TYPES, StrategyWorker

pytestmark = pytest.mark.unit

AT_START = TradingSettings(trading_enabled=True, symbols=("BTC-USDT",), timeframe="5m")


def follow(demand: Directory, aggregate_type: str, event: DomainEvent) -> None:
    envelope = wrap(event, AggregateRef(type=aggregate_type, id=AggregateId("u1")))
    if aggregate_type not in DEMAND_AGGREGATES:  # the worker's subject filter
        return
    if envelope.type in DEMAND_TYPES:  # as the worker filters the log
        demand.apply(envelope.aggregate.id, event)


def test_streams_follow_settings_changed_while_the_bot_runs() -> None:
    demand = Directory()
    follow(demand, USER_AGGREGATE, TradingSettingsChanged(settings=AT_START))
    assert demand.streams == set()
    started = BotStarted(session_id="s", settings=AT_START, initial_balance=Decimal(1), by="u1")
    follow(demand, BOT_AGGREGATE, started)
    assert demand.streams == {("BTC-USDT", "5m")}
    moved = AT_START.model_copy(update={"symbols": ("ETH-USDT", "SOL-USDT"), "timeframe": "1h"})
    follow(demand, USER_AGGREGATE, TradingSettingsChanged(settings=moved))
    assert demand.streams == {("ETH-USDT", "1h"), ("SOL-USDT", "1h")}
    follow(demand, BOT_AGGREGATE, BotPaused(reason="by hand", by="u1"))
    assert demand.streams == {("ETH-USDT", "1h"), ("SOL-USDT", "1h")}  # paused: still evaluated
    follow(demand, BOT_AGGREGATE, BotStopped(reason="done", by="u1", flatten=False))
    assert demand.streams == set()


class FlakyLive:
    """The live loop's ``want``: REST history unavailable at first, then fine."""

    def __init__(self) -> None:
        self.failures_left = 1
        self.wanted: set[tuple[str, str]] = set()

    async def want(self, streams: set[tuple[str, str]]) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("REST history unavailable")
        self.wanted = set(streams)


@pytest.mark.integration
async def test_a_demand_that_failed_to_apply_is_applied_after_the_restart(
    event_store: EventStore,
) -> None:
    """The demand is derived from the bots' and users' state: a failed ``want`` fails the
    follower, the supervisor restarts it, the refold applies the whole demand again (it
    was lost until the next change)."""
    worker = StrategyWorker(StrategySettings())
    worker.store = event_store
    live = FlakyLive()
    worker.active, worker._live = True, cast(Any, live)
    user = AggregateId("u" + uuid.uuid4().hex[:8])
    started = BotStarted(session_id="s", settings=AT_START, initial_balance=Decimal(1), by=user)
    settings = TradingSettingsChanged(settings=AT_START)
    for kind, event in [(USER_AGGREGATE, settings), (BOT_AGGREGATE, started)]:
        ref = AggregateRef(type=kind, id=user)
        await event_store.append(ref, [wrap(event, ref)], None)
    loops = Loops(first_pause_s=0.05)
    task = loops.start("demand follower under test", worker._follow_demand)
    try:
        for _ in range(100):
            if live.wanted:
                break
            await asyncio.sleep(0.05)
        assert live.wanted == {("BTC-USDT", "5m")} and live.failures_left == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
