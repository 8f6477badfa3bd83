"""The strategy's demand mid-run: what the worker takes from the log (``DEMAND_TYPES``),
folded by the one user fold, moves the subscribed streams when a running bot's symbols or
timeframe change, and drops them when the bot stops."""

from decimal import Decimal

import pytest

from fleet.events import AggregateId, AggregateRef, DomainEvent, wrap
from fleet.events.bots import BOT_AGGREGATE, BotPaused, BotStarted, BotStopped
from fleet.events.directory import Directory
from fleet.events.users import USER_AGGREGATE, TradingSettings, TradingSettingsChanged
from fleet.strategy.worker import DEMAND_AGGREGATES, DEMAND_TYPES

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
