"""An entry that ends with less filled than asked: Fleet places the trade's stop-loss for
exactly what filled (once, through the risk gate) and cancels the stop it replaces."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest

from fleet.events import AggregateId
from fleet.events.trading import (
    OrderAccepted,
    OrderEnded,
    OrderIntended,
    OrderRejected,
)
from fleet.executor.domain.account import TradingAccount
from fleet.executor.domain.positions import fill_from
from fleet.executor.domain.stops import (
    CROSSED_LEG,
    REST_LEG,
    STOP_LEG,
    closing_exit,
    stop_intent,
    to_close,
    uncovered,
)
from fleet.executor.execution import Execution
from fleet.executor.ports import ExchangeOrder, ExchangeStop, OrderRefused, OrderReport
from fleet.executor.traders import Trader
from fleet.risk import Instrument

from .fakes import FakeTrader

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BTC = Instrument(
    Decimal("0.001"), Decimal("0.001"), Decimal(2), 125, Decimal("0.1"), symbol="BTC-USDT"
)
ENTRY = OrderIntended(
    client_order_id="entry-1",
    signal_id="sig-1",
    leg="entry",
    symbol="BTC-USDT",
    side="BUY",
    position_side="BOTH",
    order_type="MARKET",
    quantity=Decimal("0.300"),
    leverage=5,
    stop_loss=Decimal("48083.2"),
)


def filled(account: TradingAccount, cumulative: str, price: str, status: str) -> None:
    """The stream reports the entry's fills so far (each adds to the last)."""
    order = account.orders["entry-1"]
    quantity = Decimal(cumulative) - order.filled
    report = OrderReport(
        client_order_id="entry-1",
        exchange_order_id="9",
        status=status,
        cumulative_quantity=Decimal(cumulative),
        average_price=Decimal(price),
        reported_by="stream",
        at=NOW,
        last_quantity=quantity,
        last_price=Decimal(price),
    )
    event = fill_from(account, report)
    assert event is not None
    account.apply(event)


def entered(parts: list[tuple[str, str]], end: str | None) -> TradingAccount:
    """The entry accepted, filled in ``parts`` (cumulative, price), then ``end``ed."""
    account = TradingAccount(AggregateId("u1"))
    account.apply(ENTRY)
    account.apply(OrderAccepted(client_order_id="entry-1", exchange_order_id="9", status="NEW"))
    for n, (cumulative, price) in enumerate(parts):
        last = n == len(parts) - 1 and end == "FILLED"
        filled(account, cumulative, price, "FILLED" if last else "PARTIALLY_FILLED")
    if end == "EXPIRED":
        account.apply(
            OrderEnded(
                client_order_id="entry-1",
                exchange_order_id="9",
                status="EXPIRED",
                filled_quantity=Decimal(parts[-1][0]),
            )
        )
    return account


def test_an_entry_filled_in_full_keeps_its_attached_stop() -> None:
    account = entered([("0.1", "50000"), ("0.3", "50010")], "FILLED")
    assert uncovered(account) == []


def test_an_entry_cut_short_leaves_its_trade_uncovered_until_its_stop_is_accepted() -> None:
    account = entered([("0.1", "50000"), ("0.2", "50010")], None)
    assert uncovered(account) == []  # still filling: the size is not final
    account.apply(
        OrderEnded(
            client_order_id="entry-1",
            exchange_order_id="9",
            status="EXPIRED",
            filled_quantity=Decimal("0.2"),
        )
    )
    [trade] = uncovered(account)
    assert trade.quantity == Decimal("0.2")
    stop = stop_intent(trade, "u1", 5, BTC)
    assert (stop.leg, stop.order_type, stop.side) == (STOP_LEG, "STOP_MARKET", "SELL")
    assert stop.quantity == Decimal("0.2") and stop.stop_price == Decimal("48083.2")
    assert (
        stop.reduce_only
        and stop.client_order_id == stop_intent(trade, "u1", 5, BTC).client_order_id
    )
    account.apply(stop)
    account.apply(
        OrderAccepted(client_order_id=stop.client_order_id, exchange_order_id="10", status="NEW")
    )
    assert uncovered(account) == []
    assert stop.client_order_id not in account.orders  # a resting stop, not a live order


def test_a_refused_stop_is_not_tried_again() -> None:
    account = entered([("0.2", "50000")], "EXPIRED")
    [trade] = uncovered(account)
    stop = stop_intent(trade, "u1", 5, BTC)
    assert account.intend(stop)
    account.apply(
        OrderRejected(
            client_order_id=stop.client_order_id,
            message="refused by BingX (110411): the stopLoss price must be lower",
            bingx_code=110411,
        )
    )
    # still uncovered, and the log says why; passed, so it is closed at market instead
    assert [t.trade_id for t in uncovered(account)] == [trade.trade_id]
    assert [(t.trade_id, leg) for t, leg in to_close(account)] == [(trade.trade_id, CROSSED_LEG)]
    assert not account.intend(stop_intent(trade, "u1", 5, BTC))  # never sent twice


class StopBook:
    """BingX's resting orders of one account: places and cancels stops."""

    def __init__(self, resting: list[ExchangeStop]) -> None:
        self.resting = resting
        self.placed: list[OrderIntended] = []
        self.cancelled: list[str] = []

    async def place(self, intent: OrderIntended) -> ExchangeOrder:
        if any(s.client_order_id == intent.client_order_id for s in self.resting):
            raise OrderRefused("clientOrderID cannot be repeated", 101481)
        self.placed.append(intent)
        order_id = str(100 + len(self.placed))
        assert intent.stop_price is not None
        self.resting.append(
            ExchangeStop(
                intent.client_order_id,
                order_id,
                intent.side,
                intent.position_side,
                intent.quantity,
                intent.stop_price,
            )
        )
        return ExchangeOrder(intent.client_order_id, order_id, "NEW", None, Decimal(0))

    async def find(self, _symbol: str, client_order_id: str) -> ExchangeOrder | None:
        return None

    async def stops(self, _symbol: str) -> list[ExchangeStop]:
        return list(self.resting)

    async def cancel(self, _symbol: str, exchange_order_id: str) -> None:
        self.cancelled.append(exchange_order_id)
        self.resting = [s for s in self.resting if s.exchange_order_id != exchange_order_id]


class Contracts:
    async def rules(self, _symbol: str) -> Instrument:
        return BTC


async def test_the_executor_places_the_stop_for_what_filled_once_and_cancels_the_old_one() -> None:
    attached = ExchangeStop("", "55", "SELL", "BOTH", Decimal("0.3"), Decimal("48083.2"))
    other_side = ExchangeStop("", "56", "BUY", "BOTH", Decimal("0.1"), Decimal("60000"))
    book = StopBook([attached, other_side])
    trader = FakeTrader(entered([("0.1", "50000"), ("0.2", "50020")], "EXPIRED"), book)

    async def pause(_user: str, _reason: str) -> None:
        return None

    run = Execution(cast(Any, Contracts()), pause, clock=lambda: NOW, follow_up_s=())
    await run._cover_stops(cast(Trader, trader))
    await run._cover_stops(cast(Trader, trader))  # again: nothing more
    [stop] = book.placed
    assert stop.quantity == Decimal("0.2") and stop.stop_price == Decimal("48083.2")
    assert book.cancelled == ["55"]  # the entry's stop, sized for 0.3; not the other side's
    assert [s.exchange_order_id for s in book.resting] == ["56", "101"]
    assert uncovered(trader.account) == []


class PassedBook(StopBook):
    """The price has already passed the trade's stop: BingX refuses the stop order."""

    async def place(self, intent: OrderIntended) -> ExchangeOrder:
        if intent.order_type == "STOP_MARKET":
            raise OrderRefused("the stopLoss price must be lower than the current price", 110411)
        self.placed.append(intent)
        return ExchangeOrder(intent.client_order_id, "201", "NEW", None, Decimal(0))


async def test_a_stop_refused_as_already_passed_closes_the_trade_at_market_once() -> None:
    book = PassedBook([])
    trader = FakeTrader(entered([("0.2", "50000")], "EXPIRED"), book)

    async def pause(_user: str, _reason: str) -> None:
        return None

    run = Execution(cast(Any, Contracts()), pause, clock=lambda: NOW, follow_up_s=())
    await run._cover_stops(cast(Trader, trader))
    await run._cover_stops(cast(Trader, trader))  # again: nothing more
    [exit_] = book.placed
    assert (exit_.leg, exit_.order_type, exit_.side) == (CROSSED_LEG, "MARKET", "SELL")
    assert exit_.quantity == Decimal("0.2") and exit_.reduce_only
    assert to_close(trader.account) == []  # the exit is filling
    closing = OrderReport(
        client_order_id=exit_.client_order_id,
        exchange_order_id="201",
        status="FILLED",
        cumulative_quantity=Decimal("0.2"),
        average_price=Decimal("48000"),
        reported_by="query",
        at=NOW,
        fee=Decimal(0),
    )
    fill = fill_from(trader.account, closing)
    assert fill is not None and fill.closed is not None
    assert fill.closed.reason.startswith("stop-loss already passed")
    trader.account.apply(fill)
    assert trader.account.trades == {} and to_close(trader.account) == []


def test_an_exit_that_ends_short_leaves_the_rest_to_close_at_market_once() -> None:
    account = entered([("0.3", "50000")], "FILLED")
    exit_ = ENTRY.model_copy(
        update={"client_order_id": "exit-1", "leg": "exit", "side": "SELL", "stop_loss": None}
    )
    account.apply(exit_)
    account.apply(OrderAccepted(client_order_id="exit-1", exchange_order_id="10", status="NEW"))
    part = OrderReport(
        client_order_id="exit-1",
        exchange_order_id="10",
        status="PARTIALLY_FILLED",
        cumulative_quantity=Decimal("0.1"),
        average_price=Decimal("51000"),
        reported_by="query",
        at=NOW,
        fee=Decimal(0),
    )
    event = fill_from(account, part)
    assert event is not None
    account.apply(event)
    assert to_close(account) == []  # still filling
    account.apply(
        OrderEnded(
            client_order_id="exit-1",
            exchange_order_id="10",
            status="EXPIRED",
            filled_quantity=Decimal("0.1"),
        )
    )
    [(trade, leg)] = to_close(account)
    assert leg == REST_LEG and trade.quantity == Decimal("0.2")
    rest = closing_exit(trade, leg, "u1", 5, BTC)
    assert (rest.order_type, rest.side, rest.quantity) == ("MARKET", "SELL", Decimal("0.2"))
    assert account.intend(rest) and not account.intend(closing_exit(trade, leg, "u1", 5, BTC))
