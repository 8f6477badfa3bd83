"""Bad input on the trading path: each a clear event with its reason, nothing retried and
nothing left half-recorded (no open intent, no pending order)."""

import asyncio
from decimal import Decimal

import pytest

from fleet.events import AggregateId
from fleet.events.catalog import domain_registry
from fleet.events.trading import OrderAccepted, OrderRejected, SignalEvaluated
from fleet.eventstore import Repository
from fleet.executor.domain.account import TradingAccount
from fleet.testing.signals import price_of, publish, signal_at

from .conftest import Trading, eventually, intents_in

pytestmark = pytest.mark.e2e


async def settled(trading: Trading, user_id: str) -> TradingAccount:
    accounts = Repository(trading.store, domain_registry(), TradingAccount)
    account = await accounts.load(AggregateId(user_id))
    assert account.open_intents == [] and account.orders == {}  # nothing half-recorded
    return account


async def test_an_unknown_symbol_is_a_skip_with_its_reason_and_no_order(
    trading: Trading,
) -> None:
    keys = await trading.trader(risk_per_trade=Decimal(1), symbols=("BTC-USDT", "NOPE-USDT"))
    await publish(trading.store, signal_at(Decimal(100), "up", symbol="NOPE-USDT"))

    async def decided() -> list[SignalEvaluated]:
        events = await trading.events("account", keys.user_id)
        return [e for e in events if isinstance(e, SignalEvaluated)]

    [decision] = await eventually(decided)
    assert decision.decision == "skip" and decision.code == "unknown_symbol"
    assert "NOPE-USDT" in decision.reason
    await asyncio.sleep(3)  # three reconcile cycles: nothing is retried
    events = await trading.events("account", keys.user_id)
    assert (
        intents_in(events) == [] and len([e for e in events if isinstance(e, SignalEvaluated)]) == 1
    )
    assert (await trading.account_state(keys))["orders"] == []
    await settled(trading, keys.user_id)


async def test_orders_pass_bingx_precision_check_when_it_refuses_instead_of_truncating(
    trading: Trading,
) -> None:
    """With the simulator refusing (110425) an off-step quantity or an off-tick price, stop
    included, Fleet's entry is accepted: every figure it sends is on the instrument's grid."""
    keys = await trading.trader(risk_per_trade=Decimal("1.37"))
    await trading.sim_api("POST", "/sim/modes", {"apiKey": keys.api_key, "precision": "reject"})
    close = await price_of(trading.sim.url, "BTC-USDT")
    stop_distance = close * Decimal("0.0123456789")  # far off BTC's 0.1 tick
    await publish(trading.store, signal_at(close, "up", stop_distance=stop_distance))

    async def outcome() -> list[OrderAccepted | OrderRejected]:
        events = await trading.events("account", keys.user_id)
        return [e for e in events if isinstance(e, OrderAccepted | OrderRejected)]

    [answer] = await eventually(outcome)
    assert isinstance(answer, OrderAccepted), answer


async def test_an_order_refused_for_margin_is_one_rejection_with_bingx_reason(
    trading: Trading,
) -> None:
    """Sized at the whole balance (10 % risk, a stop 0.1 % away, leverage 1): BingX wants
    the fee on top and refuses (101204). One rejection with its code and message, no retry,
    nothing open, no order at BingX."""
    keys = await trading.trader(risk_per_trade=Decimal(10), leverage=1)
    close = await price_of(trading.sim.url, "BTC-USDT")
    stop_distance = (close * Decimal("0.001")).quantize(Decimal("0.1"))
    await publish(trading.store, signal_at(close, "up", stop_distance=stop_distance))

    async def outcome() -> list[OrderAccepted | OrderRejected]:
        events = await trading.events("account", keys.user_id)
        return [e for e in events if isinstance(e, OrderAccepted | OrderRejected)]

    [answer] = await eventually(outcome)
    assert isinstance(answer, OrderRejected), answer
    assert answer.bingx_code == 101204 and "margin" in answer.message.lower()
    await asyncio.sleep(3)  # three reconcile cycles: not sent again
    events = await trading.events("account", keys.user_id)
    assert len(intents_in(events)) == 1 and len(await outcome()) == 1
    assert (await trading.account_state(keys))["positions"] == []
    await settled(trading, keys.user_id)
