"""Trades from order outcomes and from what BingX reports."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fleet.events import AggregateId
from fleet.events.trading import (
    AccountValued,
    OrderAccepted,
    OrderIntended,
    PositionChanged,
    PositionClosed,
    PositionOpened,
)
from fleet.executor.domain.account import TradingAccount
from fleet.executor.domain.ids import client_order_id
from fleet.executor.domain.positions import ExchangeView, after_fill, missing, reconcile, vanished
from fleet.executor.ports import ExchangeBalance, ExchangeFill, ExchangePosition

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BALANCE = ExchangeBalance(Decimal(1000), Decimal(1000), Decimal(900), Decimal(0))


def order(leg: str, side: str) -> OrderIntended:
    return OrderIntended(
        client_order_id=f"fl{leg}",
        signal_id="s1",
        leg=leg,
        symbol="BTC-USDT",
        side=side,
        position_side="LONG",
        order_type="MARKET",
        quantity=Decimal(2),
        leverage=5,
        stop_loss=Decimal(90),
    )


def filled(intent: OrderIntended, price: str) -> OrderAccepted:
    return OrderAccepted(
        client_order_id=intent.client_order_id,
        exchange_order_id="1",
        status="FILLED",
        average_price=Decimal(price),
        executed_quantity=intent.quantity,
    )


def opened(account: TradingAccount) -> TradingAccount:
    entry = order("entry", "BUY")
    account.apply(after_fill(account, entry, filled(entry, "100"), NOW))
    return account


def test_a_filled_entry_opens_a_trade_and_a_filled_exit_closes_it_with_its_pnl() -> None:
    account = opened(TradingAccount(AggregateId("u1")))
    trade = account.held("BTC-USDT")
    assert trade is not None and trade.direction == "long" and trade.stop_price == Decimal(90)
    exit_order = order("exit", "SELL")
    closed = after_fill(account, exit_order, filled(exit_order, "110"), NOW).closed
    assert isinstance(closed, PositionClosed)
    assert closed.realised_pnl == Decimal(20) and closed.reason == "opposite signal"
    account.apply(after_fill(account, exit_order, filled(exit_order, "110"), NOW))
    assert account.held("BTC-USDT") is None


def test_an_unfilled_order_implies_nothing_yet() -> None:
    entry = order("entry", "BUY")
    pending = filled(entry, "100").model_copy(update={"executed_quantity": Decimal(0)})
    unchanged = after_fill(TradingAccount(AggregateId("u1")), entry, pending, NOW)
    assert unchanged == pending and unchanged.opened is None


def test_a_position_opened_by_hand_is_recorded_as_manual() -> None:
    seen = ExchangeView(
        [ExchangePosition("ETH-USDT", "short", "SHORT", Decimal(3), Decimal(2000), 3, Decimal(0))],
        BALANCE,
        NOW,
    )
    events = reconcile(TradingAccount(AggregateId("u1")), seen)
    [opened_by_hand] = [e for e in events if isinstance(e, PositionOpened)]
    assert opened_by_hand.manual and opened_by_hand.direction == "short"
    assert any(isinstance(e, AccountValued) for e in events)


def test_a_changed_size_is_recorded_and_an_unchanged_account_records_nothing() -> None:
    account = opened(TradingAccount(AggregateId("u1")))
    same = ExchangePosition("BTC-USDT", "long", "LONG", Decimal(2), Decimal(100), 5, Decimal(0))
    account.apply(reconcile(account, ExchangeView([same], BALANCE, NOW))[-1])
    assert reconcile(account, ExchangeView([same], BALANCE, NOW)) == []
    bigger = ExchangePosition("BTC-USDT", "long", "LONG", Decimal(3), Decimal(101), 5, Decimal(0))
    [changed] = reconcile(account, ExchangeView([bigger], BALANCE, NOW))
    assert isinstance(changed, PositionChanged) and changed.quantity == Decimal(3)


def test_a_trade_gone_from_bingx_is_closed_at_its_fills_price() -> None:
    account = opened(TradingAccount(AggregateId("u1")))
    seen = ExchangeView([], BALANCE, NOW)
    [trade] = missing(account, seen)
    at_stop = vanished(
        trade, [ExchangeFill("", "SELL", Decimal("90.1"), Decimal(2), Decimal("0.1"))], NOW
    )
    assert at_stop.reason == "stop-loss on BingX" and not at_stop.manual
    assert at_stop.realised_pnl == Decimal("-19.8") - Decimal("0.1")
    by_hand = vanished(trade, [ExchangeFill("", "SELL", Decimal(120), Decimal(2), Decimal(0))], NOW)
    assert by_hand.manual and by_hand.realised_pnl == Decimal(40)


def test_fill_rows_without_side_count_unless_they_are_fleet_s_own() -> None:
    account = opened(TradingAccount(AggregateId("u1")))
    [trade] = missing(account, ExchangeView([], BALANCE, NOW))
    entry = client_order_id("signal-1", "u1", "entry")
    fills = [
        ExchangeFill(entry, None, Decimal(100), Decimal(2), Decimal("0.1")),  # the entry itself
        ExchangeFill("", None, Decimal("90.1"), Decimal(2), Decimal("0.1")),  # the stop fired
    ]
    closed = vanished(trade, fills, NOW)
    assert closed.reason == "stop-loss on BingX" and closed.exit_price == Decimal("90.1")
