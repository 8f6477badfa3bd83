"""Events of a trader's trading account (aggregate ``account``, id = user id), owned by
the executor: every risk decision, every order intent and its outcome.

The intent is appended before the order is sent; its outcome after. An intent without an
outcome (a crash in between) is resolved at start by asking BingX for its clientOrderID.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from fleet.events.bounds import (
    Amount,
    ClippedText,
    CodeText,
    Figures,
    IdText,
    SymbolText,
)
from fleet.events.registry import DomainEvent

ACCOUNT_AGGREGATE = "account"
INTENTS_MAX = 8  # orders one decision may intend


class OrderIntended(DomainEvent):
    event_type = "trading.order_intended"
    client_order_id: IdText
    signal_id: IdText
    leg: CodeText
    symbol: SymbolText
    side: Literal["BUY", "SELL"]
    position_side: Literal["LONG", "SHORT", "BOTH"]
    order_type: Literal["MARKET", "LIMIT", "STOP_MARKET", "TAKE_PROFIT_MARKET"]
    quantity: Amount
    leverage: int
    stop_price: Amount | None = None
    reduce_only: bool = False
    stop_loss: Amount | None = None  # attached STOP_MARKET (the strategy's suggested stop)
    intended_at: datetime | None = None  # an entry not sent by then + max age is never sent


class SignalEvaluated(DomainEvent):
    """The risk engine's decision for one (signal, user), with its reason and numbers.

    An entry or an exit carries the order(s) it intends: the decision and the intent are one
    fact, stored in one append before the request is sent (an atomic batch of two events
    costs ~3 ms of staging on a single server, capping a fan-out near 300 users/s)."""

    event_type = "trading.signal_evaluated"
    signal_id: IdText
    symbol: SymbolText
    decision: Literal["entry", "exit", "skip"]
    code: CodeText
    reason: ClippedText
    numbers: Figures
    intents: Annotated[tuple[OrderIntended, ...], Field(max_length=INTENTS_MAX)] = ()


class OrderAccepted(DomainEvent):
    event_type = "trading.order_accepted"
    client_order_id: IdText
    exchange_order_id: IdText
    status: CodeText
    average_price: Amount | None = None
    executed_quantity: Amount = Decimal(0)
    resolved_after_restart: bool = False
    # what the fill did to the account, stored with the outcome in one append
    opened: PositionOpened | None = None
    closed: PositionClosed | None = None


class OrderRejected(DomainEvent):
    event_type = "trading.order_rejected"
    client_order_id: IdText
    bingx_code: int | None
    message: ClippedText
    resolved_after_restart: bool = False


PositionSide = Literal["LONG", "SHORT", "BOTH"]


class OrderFilled(DomainEvent):
    """A fill reported by BingX (user-data stream or reconciliation). ``manual`` when the
    order was not placed by Fleet (no Fleet clientOrderID): the trader acted by hand."""

    event_type = "trading.order_filled"
    client_order_id: IdText
    exchange_order_id: IdText
    symbol: SymbolText
    side: Literal["BUY", "SELL"]
    position_side: PositionSide
    price: Amount
    quantity: Amount
    fee: Amount = Decimal(0)
    realised_pnl: Amount = Decimal(0)
    filled_at: datetime
    manual: bool = False


class PositionOpened(DomainEvent):
    """A position appeared: one trade begins (``trade_id`` follows it until closed)."""

    event_type = "trading.position_opened"
    trade_id: IdText
    symbol: SymbolText
    position_side: PositionSide
    direction: Literal["long", "short"]
    quantity: Amount
    entry_price: Amount
    leverage: int
    stop_price: Amount | None = None
    opened_at: datetime
    manual: bool = False
    signal_id: IdText | None = None


class PositionChanged(DomainEvent):
    """Quantity or entry price of an open position changed (partial close, add, by hand)."""

    event_type = "trading.position_changed"
    trade_id: IdText
    symbol: SymbolText
    position_side: PositionSide
    quantity: Amount
    entry_price: Amount
    manual: bool = False


class PositionClosed(DomainEvent):
    """The trade ended: realised PnL (fees included) is final."""

    event_type = "trading.position_closed"
    trade_id: IdText
    symbol: SymbolText
    position_side: PositionSide
    quantity: Amount
    entry_price: Amount
    exit_price: Amount
    realised_pnl: Amount
    fees: Amount = Decimal(0)
    closed_at: datetime
    reason: ClippedText  # "opposite signal", "stop-loss", "manual", "flatten", "liquidation", ...
    manual: bool = False


class ExchangeConfigured(DomainEvent):
    """Leverage and position mode were set on BingX for a symbol, as the settings say
    (done before the first order of that symbol, and again when the settings change)."""

    event_type = "trading.exchange_configured"
    symbol: SymbolText
    leverage: int
    position_mode: Literal["hedge", "one_way"]


class AccountValued(DomainEvent):
    """Balance and equity as BingX reports them; appended when they change materially
    (not on every poll). ``unrealised_pnl`` is of the open positions at that moment."""

    event_type = "trading.account_valued"
    balance: Amount
    equity: Amount
    available_margin: Amount
    unrealised_pnl: Amount
    valued_at: datetime


OrderAccepted.model_rebuild()  # its position fields name classes declared after it

TRADING_EVENTS: tuple[type[DomainEvent], ...] = (
    SignalEvaluated,
    OrderIntended,
    OrderAccepted,
    OrderRejected,
    OrderFilled,
    PositionOpened,
    PositionChanged,
    PositionClosed,
    ExchangeConfigured,
    AccountValued,
)
