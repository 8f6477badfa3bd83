"""Routine skips go to the telemetry stream, every other decision to the trader's account
in the log; a telemetry stream that refuses them stops no order; an executor that takes a
trader over reads them back and does not decide those signals again."""

import asyncio
from decimal import Decimal

import pytest

from fleet.events import AggregateId, AggregateRef
from fleet.events.trading import OrderAccepted, SignalEvaluated
from fleet.eventstore import EventStore
from fleet.eventstore.stream import TelemetrySpec, ensure_telemetry_stream

from .conftest import REGISTRY, TraderKeys, Trading, eventually, metric

pytestmark = pytest.mark.e2e
MAX_AGE_S = 5  # signals older than this are skipped as stale (a skip the log keeps)


@pytest.fixture(scope="module")
def executor_overrides() -> dict[str, str]:
    return {"FLEET_MAX_SIGNAL_AGE_S": str(MAX_AGE_S)}


async def in_log(trading: Trading, keys: TraderKeys, signal_id: str) -> list[SignalEvaluated]:
    events = await trading.events("account", keys.user_id)
    return [e for e in events if isinstance(e, SignalEvaluated) and e.signal_id == signal_id]


async def in_telemetry(trading: Trading, keys: TraderKeys, signal_id: str) -> list[SignalEvaluated]:
    telemetry = EventStore(trading.nc, TelemetrySpec.beside(trading.store.spec).as_log())
    ref = AggregateRef(type="account", id=AggregateId(keys.user_id))
    found = [REGISTRY.decode(e) for e in await telemetry.load(ref)]
    return [e for e in found if isinstance(e, SignalEvaluated) and e.signal_id == signal_id]


async def accepted(trading: Trading, keys: TraderKeys) -> bool:
    events = await trading.events("account", keys.user_id)
    return any(isinstance(e, OrderAccepted) for e in events)


async def test_routine_skips_go_to_telemetry_and_the_rest_to_the_log(trading: Trading) -> None:
    keys = await trading.trader(risk_per_trade=Decimal(1))
    quiet = await trading.signal("BTC-USDT", "none")
    [skip] = await eventually(lambda: in_telemetry(trading, keys, quiet))
    assert (skip.decision, skip.code) == ("skip", "no_cross")
    assert await in_log(trading, keys, quiet) == []

    entry = await trading.signal("BTC-USDT", "up")
    [decided] = await eventually(lambda: in_log(trading, keys, entry))
    assert decided.decision == "entry" and decided.intents
    assert await in_telemetry(trading, keys, entry) == []
    await eventually(lambda: accepted(trading, keys))


async def test_a_telemetry_stream_that_refuses_stops_no_order(trading: Trading) -> None:
    holder = await trading.trader(risk_per_trade=Decimal(1))
    await trading.signal("BTC-USDT", "up")
    await eventually(lambda: accepted(trading, holder))
    spec = TelemetrySpec.beside(trading.store.spec)
    lost_before = await metric(trading.executor, "executor_telemetry_lost_total")
    await trading.nc.jetstream().delete_stream(spec.name)  # every publish now fails
    try:
        newcomer = await trading.trader(risk_per_trade=Decimal(1))
        # one signal: a routine skip for the holder (holding, lost), an entry for the newcomer
        again = await trading.signal("BTC-USDT", "up")
        await eventually(lambda: accepted(trading, newcomer))

        async def lost() -> bool:
            now = await metric(trading.executor, "executor_telemetry_lost_total")
            return now > lost_before

        await eventually(lost)
        assert await in_log(trading, holder, again) == []  # nowhere, and nothing waited
        exit_signal = await trading.signal("BTC-USDT", "down")  # the holder still trades
        [closing] = await eventually(lambda: in_log(trading, holder, exit_signal))
        assert closing.decision == "exit"
    finally:
        await ensure_telemetry_stream(trading.nc.jetstream(), spec)


async def test_a_restarted_executor_does_not_decide_a_skipped_signal_again(
    trading: Trading,
) -> None:
    keys = await trading.trader(risk_per_trade=Decimal(1))
    quiet = await trading.signal("BTC-USDT", "none")
    await eventually(lambda: in_telemetry(trading, keys, quiet))
    await asyncio.sleep(MAX_AGE_S + 1)  # decided again now, it would be a stale skip
    await asyncio.to_thread(trading.restart_executor, kill=False)  # reads the last 15 min
    later = await trading.signal("BTC-USDT", "none")
    await eventually(lambda: in_telemetry(trading, keys, later))
    await asyncio.sleep(1)  # the replay of the older signal, had there been one
    assert await in_log(trading, keys, quiet) == []
    assert len(await in_telemetry(trading, keys, quiet)) == 1
