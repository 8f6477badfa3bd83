"""Events of a trader's trading account (aggregate ``account``, id = user id), owned by
the executor: every risk decision, every order intent and its outcome.

The intent is appended before the order is sent; its outcome after. An intent without an
outcome (a crash in between) is resolved at start by asking BingX for its clientOrderID.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from fleet.events.registry import DomainEvent

ACCOUNT_AGGREGATE = "account"


class SignalEvaluated(DomainEvent):
    """The risk engine's decision for one (signal, user), with its reason and numbers."""

    event_type = "trading.signal_evaluated"
    signal_id: str
    symbol: str
    decision: Literal["entry", "exit", "skip"]
    code: str
    reason: str
    numbers: dict[str, str]


class OrderIntended(DomainEvent):
    event_type = "trading.order_intended"
    client_order_id: str
    signal_id: str
    leg: str
    symbol: str
    side: Literal["BUY", "SELL"]
    position_side: Literal["LONG", "SHORT", "BOTH"]
    order_type: Literal["MARKET", "LIMIT", "STOP_MARKET", "TAKE_PROFIT_MARKET"]
    quantity: Decimal
    leverage: int
    stop_price: Decimal | None = None
    reduce_only: bool = False


class OrderAccepted(DomainEvent):
    event_type = "trading.order_accepted"
    client_order_id: str
    exchange_order_id: str
    status: str
    average_price: Decimal | None = None
    executed_quantity: Decimal = Decimal(0)
    resolved_after_restart: bool = False


class OrderRejected(DomainEvent):
    event_type = "trading.order_rejected"
    client_order_id: str
    bingx_code: int | None
    message: str
    resolved_after_restart: bool = False


TRADING_EVENTS: tuple[type[DomainEvent], ...] = (
    SignalEvaluated,
    OrderIntended,
    OrderAccepted,
    OrderRejected,
)
