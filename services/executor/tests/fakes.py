"""In-memory stand-ins for unit tests of one module (integration tests use the simulator)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

from fleet.events.directory import UserView
from fleet.events.trading import OrderAccepted, OrderIntended
from fleet.events.users import TradingSettings
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


class FakeTrader:
    """A trader the executor owns (``u1``, bot running, leverage 5) with ``account`` and
    ``exchange``: what :class:`fleet.executor.execution.Execution` reads of a Trader.
    Saves are counted, not stored."""

    def __init__(self, account: TradingAccount, exchange: Any) -> None:
        self.view = UserView("u1", credential="verified", bot="active")
        self.view.settings = TradingSettings(trading_enabled=True, leverage=5)
        self.account = account
        self.exchange = exchange
        self.lock = asyncio.Lock()
        self.saved = 0

    @property
    def user_id(self) -> str:
        return "u1"

    async def fence(self) -> None:  # owns the user's partition throughout
        return None

    async def save(self, **_: Any) -> None:
        self.saved += 1
