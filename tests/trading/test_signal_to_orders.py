"""One signal, several traders, each by his own settings and state, on his own account."""

from decimal import Decimal
from typing import Any

import pytest

from fleet.events.executor_commands import PauseBot, ResumeBot, StopBot
from fleet.events.trading import (
    AccountValued,
    OrderAccepted,
    PositionClosed,
    PositionOpened,
    SignalEvaluated,
)

from .conftest import TraderKeys, Trading, eventually, intents_in, trade_events

pytestmark = pytest.mark.e2e


async def decision(trading: Trading, keys: TraderKeys, signal_id: str) -> SignalEvaluated | None:
    for event in await trading.events("account", keys.user_id):
        if isinstance(event, SignalEvaluated) and event.signal_id == signal_id:
            return event
    return None


async def decided(trading: Trading, keys: TraderKeys, signal_id: str) -> SignalEvaluated:
    async def check() -> SignalEvaluated | None:
        return await decision(trading, keys, signal_id)

    found: SignalEvaluated = await eventually(check)
    return found


async def filled_orders(trading: Trading, keys: TraderKeys) -> list[dict[str, Any]]:
    state = await trading.account_state(keys)
    return [o for o in state["orders"] if o["type"] == "MARKET" and o["status"] == "FILLED"]


async def position_opened(trading: Trading, keys: TraderKeys) -> list[PositionOpened]:
    """Trades the fills opened, as the log has them (a fill is recorded when the stream or
    a query reports it, a moment after BingX filled it)."""
    events = await trading.events("account", keys.user_id)
    return [e for e in trade_events(events) if isinstance(e, PositionOpened)]


async def valued(trading: Trading, keys: TraderKeys, equity: Decimal) -> bool:
    events = await trading.events("account", keys.user_id)
    values = [e for e in events if isinstance(e, AccountValued)]
    return bool(values) and abs(values[-1].equity - equity) < 1


async def test_one_signal_sized_by_each_traders_own_risk(trading: Trading) -> None:
    careful = await trading.trader(risk_per_trade=Decimal(1), leverage=10)
    bold = await trading.trader(risk_per_trade=Decimal(3), leverage=10)
    paused = await trading.trader()
    assert (await trading.ask(PauseBot(user_id=paused.user_id)))["ok"]
    losing = await trading.trader(balance="10000")
    await eventually(lambda: valued(trading, losing, Decimal(10000)))
    await trading.sim_api("PUT", f"/sim/accounts/{losing.api_key}/balance", {"balance": "9300"})
    await eventually(lambda: valued(trading, losing, Decimal(9300)))

    signal_id = await trading.signal("BTC-USDT", "up")

    small, large = (
        await decided(trading, careful, signal_id),
        await decided(trading, bold, signal_id),
    )
    assert small.decision == large.decision == "entry"
    # both sized by their own risk: 3 % vs 1 % of equity over the same stop (rounded down
    # to BingX's 0.0001 BTC step, so at most 3 steps apart from exactly three times)
    ratio_gap = Decimal(large.numbers["quantity"]) - 3 * Decimal(small.numbers["quantity"])
    assert Decimal(0) <= ratio_gap < Decimal("0.0003")
    skipped_paused = await decided(trading, paused, signal_id)
    assert (skipped_paused.decision, skipped_paused.code) == ("skip", "paused")
    assert skipped_paused.reason == "skipped: your bot is paused"
    skipped_loss = await decided(trading, losing, signal_id)
    assert skipped_loss.code == "daily_loss"
    assert skipped_loss.reason == "skipped: daily loss limit 5.0 % reached (-7.0 %)"

    for keys, decision_event in ((careful, small), (bold, large)):

        async def orders(keys: TraderKeys = keys) -> list[dict[str, Any]]:
            return await filled_orders(trading, keys)

        [order] = await eventually(orders)
        assert Decimal(order["origQty"]) == Decimal(decision_event.numbers["quantity"])
        events = await trading.events("account", keys.user_id)
        [intent] = intents_in(events)  # recorded inside the decision, before the request
        assert order["clientOrderId"] == intent.client_order_id  # its own deterministic id
        assert any(isinstance(e, OrderAccepted) for e in events)

        async def trade(keys: TraderKeys = keys) -> list[PositionOpened]:
            return await position_opened(trading, keys)

        [opened] = await eventually(trade)
        assert not opened.manual
    assert await filled_orders(trading, paused) == [] == await filled_orders(trading, losing)


async def test_an_opposite_cross_closes_the_trade_even_when_paused(trading: Trading) -> None:
    keys = await trading.trader(risk_per_trade=Decimal(1))
    entry = await trading.signal("ETH-USDT", "up", timeframe="5m")
    with pytest.raises(AssertionError):  # ETH is not in his symbols: nothing decided
        await eventually(lambda: decision(trading, keys, entry), timeout=2)
    keys = await trading.trader(risk_per_trade=Decimal(1), symbols=("ETH-USDT",))
    entry = await trading.signal("ETH-USDT", "up")
    first = await decided(trading, keys, entry)
    assert first.decision == "entry", first
    await eventually(lambda: filled_orders(trading, keys))
    await eventually(lambda: position_opened(trading, keys))  # Fleet has its fill
    assert (await trading.ask(PauseBot(user_id=keys.user_id)))["ok"]
    exit_signal = await trading.signal("ETH-USDT", "down")
    assert (await decided(trading, keys, exit_signal)).decision == "exit"

    async def closed() -> list[PositionClosed]:
        events = await trading.events("account", keys.user_id)
        return [e for e in trade_events(events) if isinstance(e, PositionClosed)]

    [trade] = await eventually(closed)
    assert trade.reason == "opposite signal"
    state = await trading.account_state(keys)
    assert state["positions"] == []
    assert (await trading.ask(ResumeBot(user_id=keys.user_id)))["ok"]
    assert (await trading.ask(StopBot(user_id=keys.user_id)))["ok"]
