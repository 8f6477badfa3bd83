"""In-memory stand-ins for unit tests of one module (integration tests use the simulator)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fleet.events.trading import OrderAccepted, OrderIntended
from fleet.executor.domain.account import TradingAccount
from fleet.executor.domain.positions import fill_from
from fleet.executor.ports import ExchangeOrder, OrderRefused, OrderReport, OutcomeUnknown


class FlakyExchange:
    """Keeps orders by clientOrderID like BingX (duplicates refused with 101481) and can
    lose the request before it arrives or the answer after it was accepted."""

    def __init__(self) -> None:
        self.orders: dict[str, ExchangeOrder] = {}
        self.lose_request = False
        self.lose_answer = False
        self.price = Decimal(100)

    async def place(self, intent: OrderIntended) -> ExchangeOrder:
        if self.lose_request:
            raise OutcomeUnknown("connection reset before the request arrived")
        if intent.client_order_id in self.orders:
            raise OrderRefused("clientOrderID cannot be repeated", 101481)
        if intent.quantity <= 0:
            raise OrderRefused("quantity must be positive", 109400)
        order = ExchangeOrder(
            intent.client_order_id,
            str(len(self.orders) + 1),
            "FILLED",
            self.price,
            intent.quantity,
        )
        self.orders[intent.client_order_id] = order
        if self.lose_answer:
            raise OutcomeUnknown("timeout after the order was accepted")
        return order

    async def find(self, symbol: str, client_order_id: str) -> ExchangeOrder | None:
        if self.lose_request:
            raise OutcomeUnknown("BingX cannot be reached")
        return self.orders.get(client_order_id)


def fill_completely(
    account: TradingAccount,
    intent: OrderIntended,
    price: Decimal,
    at: datetime,
    exchange_order_id: str = "1",
) -> None:
    """BingX accepts ``intent`` and fills all of it at ``price`` (fee 0.05 %), reported by
    the stream: the events the executor records, applied to ``account``."""
    account.apply(intent)
    account.apply(
        OrderAccepted(
            client_order_id=intent.client_order_id,
            exchange_order_id=exchange_order_id,
            status="NEW",
        )
    )
    report = OrderReport(
        client_order_id=intent.client_order_id,
        exchange_order_id=exchange_order_id,
        status="FILLED",
        cumulative_quantity=intent.quantity,
        average_price=price,
        reported_by="stream",
        at=at,
        fee=intent.quantity * price * Decimal("0.0005"),
        last_quantity=intent.quantity,
        last_price=price,
    )
    filled = fill_from(account, report)
    assert filled is not None
    account.apply(filled)
