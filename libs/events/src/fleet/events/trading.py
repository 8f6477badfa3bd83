"""Events of a trader's trading account (aggregate ``account``, id = user id), owned by
the executor: every risk decision, every order intent and its outcome.

The intent is appended before the order is sent; its outcome after. An intent without an
outcome (a crash in between) is resolved at start by asking BingX for its clientOrderID.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

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


# Skips that happen on every candle and change nothing: no cross, or a position already
# held. They go to the telemetry stream (kept 30 days), not the log (kept forever).
ROUTINE_SKIPS = ("no_cross", "holding")


def routine(evaluation: SignalEvaluated) -> bool:
    """Whether this decision is a routine skip: no state follows from it."""
    return evaluation.decision == "skip" and evaluation.code in ROUTINE_SKIPS


class OrderAccepted(DomainEvent):
    """BingX took the order (its exchange order id). Not a fill: BingX's answer carries no
    fill fields, the fills follow as :class:`OrderFilled`. ``average_price``,
    ``executed_quantity``, ``opened`` and ``closed`` are read only from older events
    (before fills were their own events)."""

    event_type = "trading.order_accepted"
    client_order_id: IdText
    exchange_order_id: IdText
    status: CodeText
    average_price: Amount | None = None
    executed_quantity: Amount = Decimal(0)
    resolved_after_restart: bool = False
    opened: PositionOpened | None = None  # older events only
    closed: PositionClosed | None = None  # older events only


class OrderRejected(DomainEvent):
    event_type = "trading.order_rejected"
    client_order_id: IdText
    bingx_code: int | None
    message: ClippedText
    resolved_after_restart: bool = False


PositionSide = Literal["LONG", "SHORT", "BOTH"]


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
    fees: Amount = Decimal(0)  # paid so far (the opening fill's)
    reason: ClippedText | None = None  # why a position is marked manual


class PositionChanged(DomainEvent):
    """Quantity or entry price of an open position changed (partial close, add, by hand)."""

    event_type = "trading.position_changed"
    trade_id: IdText
    symbol: SymbolText
    position_side: PositionSide
    quantity: Amount
    entry_price: Amount
    manual: bool = False
    reason: ClippedText | None = None  # why a difference is marked manual
    fees: Amount | None = None  # paid so far, when a fill changed it


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


FilledStatus = Literal["PARTIALLY_FILLED", "FILLED"]


class OrderFilled(DomainEvent):
    """One fill of a Fleet order, as BingX reported it on the user-data stream
    (``ORDER_TRADE_UPDATE``) or by query (``GET trade/order``), recorded once whichever
    path reports it first.

    ``fill_id`` is the exchange order id and the order's cumulative filled quantity after
    this fill: BingX's stream and query name no common per-fill id, but both give that pair,
    so the same fill has the same identity whichever path reports it (and the event's
    message id is derived from it: a repeated append is a no-op). A query that finds several
    fills since the last one recorded reports them as one, at their average price.
    What the fill did to the trade travels with it, in the same append: ``opened``,
    ``changed`` (a partial fill added to it or closed part of it) or ``closed``."""

    event_type = "trading.order_filled"
    fill_id: IdText
    client_order_id: IdText
    exchange_order_id: IdText
    symbol: SymbolText
    side: Literal["BUY", "SELL"]
    position_side: PositionSide
    price: Amount
    quantity: Amount
    cumulative_quantity: Amount
    fee: Amount = Decimal(0)  # paid (positive); BingX reports it negative
    fee_asset: CodeText = "USDT"
    exchange_realised_pnl: Amount | None = None  # BingX's own figure, when it gives one
    order_status: FilledStatus
    filled_at: datetime
    reported_by: Literal["stream", "query"]
    opened: PositionOpened | None = None
    changed: PositionChanged | None = None
    closed: PositionClosed | None = None

    def idempotency_key(self) -> str | None:
        return f"fill:{self.fill_id}"


class OrderEnded(DomainEvent):
    """A Fleet order ended without filling completely: cancelled or expired on BingX
    (``filled_quantity`` of it had filled, as recorded by :class:`OrderFilled`)."""

    event_type = "trading.order_ended"
    client_order_id: IdText
    exchange_order_id: IdText
    status: Literal["CANCELLED", "EXPIRED"]
    filled_quantity: Amount = Decimal(0)

    def idempotency_key(self) -> str | None:
        return f"ended:{self.exchange_order_id}"


INCOME_ID_PREFIX = "income-"


def income_id(tran_id: str) -> str:
    """The id a row of BingX's income history (its ``tranId``) gets as a funding fee or a
    transfer: the same row read live and imported is one row of the trader's income."""
    return f"{INCOME_ID_PREFIX}{tran_id}"


def tran_id_of(recorded_id: str) -> str:
    """BingX's ``tranId`` back from :func:`income_id` (a stream's own id as it is)."""
    return recorded_id.removeprefix(INCOME_ID_PREFIX)


class FundingPaid(DomainEvent):
    """A funding fee moved the trader's balance (``amount`` signed: negative paid,
    positive received), from BingX's user-data stream (``ACCOUNT_UPDATE`` reason
    ``FUNDING_FEE``) or its income history (``FUNDING_FEE`` rows). Counts in PnL."""

    event_type = "trading.funding_paid"
    funding_id: IdText
    symbol: SymbolText | None = None  # a cross-margin stream update names no symbol
    amount: Amount
    asset: CodeText = "USDT"
    paid_at: datetime
    reported_by: Literal["stream", "query"]

    def idempotency_key(self) -> str | None:
        return f"funding:{self.funding_id}"


class TransferRecorded(DomainEvent):
    """Money moved in or out of the futures account (``amount`` signed: positive a deposit,
    negative a withdrawal), from BingX's income history (``TRANSFER`` rows, ``tranId`` its
    identity); the user stream's ``ACCOUNT_UPDATE`` reasons ``DEPOSIT`` / ``WITHDRAW`` make
    the executor read it at once. Not performance: the performance fee's high-water mark
    moves with it (``fleet.billing``)."""

    event_type = "trading.transfer_recorded"
    transfer_id: IdText
    amount: Amount
    asset: CodeText = "USDT"
    moved_at: datetime
    reported_by: Literal["stream", "query"] = "query"

    def idempotency_key(self) -> str | None:
        return f"transfer:{self.transfer_id}"


class ExchangeConfigured(DomainEvent):
    """Leverage and position mode were set on BingX for a symbol, as the settings say
    (done before the first order of that symbol, and again when the settings change)."""

    event_type = "trading.exchange_configured"
    symbol: SymbolText
    leverage: int
    position_mode: Literal["hedge", "one_way"]


class LiquidationPrice(BaseModel):
    """Where BingX would liquidate one open position (its ``liquidationPrice``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: SymbolText
    direction: Literal["long", "short"]
    price: Amount


class AccountValued(DomainEvent):
    """Balance and equity as BingX reports them; appended when they change materially
    (not on every poll). ``unrealised_pnl`` is of the open positions at that moment, and
    ``liquidation_prices`` their liquidation prices then (cross margin: they move with
    the account; absent in events before it was recorded, none when BingX shows 0)."""

    event_type = "trading.account_valued"
    balance: Amount
    equity: Amount
    available_margin: Amount
    unrealised_pnl: Amount
    valued_at: datetime
    liquidation_prices: list[LiquidationPrice] = Field(default_factory=list, max_length=200)


OrderAccepted.model_rebuild()  # its position fields name classes declared after it
OrderFilled.model_rebuild()

TRADING_EVENTS: tuple[type[DomainEvent], ...] = (
    SignalEvaluated,
    OrderIntended,
    OrderAccepted,
    OrderRejected,
    OrderFilled,
    OrderEnded,
    FundingPaid,
    PositionOpened,
    PositionChanged,
    PositionClosed,
    ExchangeConfigured,
    AccountValued,
    TransferRecorded,
)
