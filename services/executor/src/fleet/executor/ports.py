"""What the executor needs from the outside, named by capability."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from fleet.events.trading import OrderIntended


@dataclass(frozen=True)
class ExchangeOrder:
    """An order as the exchange knows it."""

    client_order_id: str
    exchange_order_id: str
    status: str
    average_price: Decimal | None
    executed_quantity: Decimal


class OrderRefused(Exception):
    """The exchange answered and refused the order (a final outcome)."""

    def __init__(self, message: str, bingx_code: int | None) -> None:
        super().__init__(message)
        self.bingx_code = bingx_code


class OutcomeUnknown(Exception):
    """No answer (timeout, connection lost): the order may or may not exist."""


class Exchange(Protocol):
    """One user's BingX account, as the executor uses it."""

    async def place(self, intent: OrderIntended) -> ExchangeOrder:
        """Send the order; raise :class:`OrderRefused` or :class:`OutcomeUnknown`."""
        ...

    async def find(self, symbol: str, client_order_id: str) -> ExchangeOrder | None:
        """The order with this clientOrderID, or ``None`` if BingX never received it."""
        ...
