"""In-memory stand-ins for unit tests of one module (integration tests use the simulator)."""

from __future__ import annotations

from decimal import Decimal

from fleet.events.trading import OrderIntended
from fleet.executor.ports import ExchangeOrder, OrderRefused, OutcomeUnknown


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
