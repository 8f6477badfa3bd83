"""The trading-account aggregate (one per trader): risk decisions, order intents and their
outcomes, open trades, valuations and the day's and the peak's equity.

Written only by the executor owning the user's partition; every number the risk engine
uses is rebuilt from these events.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import TypeAdapter

from fleet.events import AggregateId, DomainEvent
from fleet.events.aggregate import Aggregate
from fleet.events.trading import (
    ACCOUNT_AGGREGATE,
    AccountValued,
    ExchangeConfigured,
    FundingPaid,
    OrderAccepted,
    OrderEnded,
    OrderFilled,
    OrderIntended,
    OrderRejected,
    PositionChanged,
    PositionClosed,
    PositionOpened,
    SignalEvaluated,
    TransferRecorded,
)

Direction = Literal["long", "short"]
# Enough to de-duplicate every signal still inside the follow window, and every order
# whose outcome could be reported twice; older history stays in the log, not in memory
# (10,000 traders' full histories made the heap, and the collector's work, grow per order).
REMEMBERED_SIGNALS = 512
REMEMBERED_ORDERS = 256


# BingX refuses a stop-loss whose price the market has already passed (API.md)
STOP_CROSSED = frozenset({110411, 110412, 110413, 110414})


@dataclass(frozen=True)
class OpenTrade:
    """A position Fleet knows to be open on the exchange."""

    trade_id: str
    symbol: str
    direction: Direction
    position_side: Literal["LONG", "SHORT", "BOTH"]
    quantity: Decimal
    entry_price: Decimal
    manual: bool
    stop_price: Decimal | None = None
    opened_at: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    fees: Decimal = Decimal(0)  # paid so far, entry and partial exits
    closed_quantity: Decimal = Decimal(0)  # closed so far by partial exits
    exit_value: Decimal = Decimal(0)  # sum of price x quantity of those exits
    gross_pnl: Decimal = Decimal(0)  # their PnL before fees
    # its entry ended with less filled than asked: the stop BingX attached to the entry
    # may not cover what filled (BingX may attach none); Fleet places its own
    stop_uncovered: bool = False
    # Fleet's stop for it was refused because the price had already passed the stop
    # (BingX 110411-110414): what the stop would have done, a market exit, is due
    stop_crossed: bool = False
    # an exit or flatten of it ended (expired, cancelled) before closing all of it: the
    # rest is closed at market (cleared when an entry fill grows the trade again)
    exit_unfinished: bool = False
    # sum of price x quantity of the entry fills (None: only BingX's average is known);
    # the entry price is this over the size, never a running average rounded each fill
    entry_value: Decimal | None = None

    @property
    def entered_value(self) -> Decimal:
        """What the held size cost: the fills' value, or BingX's average times the size."""
        if self.entry_value is not None:
            return self.entry_value
        return self.entry_price * self.quantity

    def grown(self, price: Decimal, quantity: Decimal) -> tuple[Decimal, Decimal]:
        """(size, average entry price) after a further entry fill of ``quantity`` at
        ``price``."""
        total = self.quantity + quantity
        return total, (self.entered_value + price * quantity) / total


@dataclass(frozen=True)
class LiveOrder:
    """A Fleet order BingX accepted and that has not ended: what it was meant to do and
    how much of it has filled (the fills recorded so far)."""

    intent: OrderIntended
    exchange_order_id: str
    filled: Decimal = Decimal(0)
    filled_value: Decimal = Decimal(0)  # sum of price x quantity of its fills
    fees: Decimal = Decimal(0)
    exchange_pnl: Decimal = Decimal(0)

    @property
    def average_price(self) -> Decimal | None:
        return self.filled_value / self.filled if self.filled > 0 else None

    @property
    def pending(self) -> bool:
        """Accepted and not filled at all yet."""
        return self.filled == 0


@dataclass(frozen=True)
class Valuation:
    """Equity bookkeeping for the daily-loss and drawdown limits."""

    balance: Decimal = Decimal(0)
    equity: Decimal = Decimal(0)
    peak: Decimal = Decimal(0)
    day: date | None = None
    day_start: Decimal = Decimal(0)
    at: datetime | None = None  # when the last valuation was taken
    unrealised: Decimal = Decimal(0)

    def valued(self, event: AccountValued) -> Valuation:
        day = event.valued_at.date()
        day_start = self.day_start if day == self.day else event.equity
        peak = max(self.peak, event.equity)
        return Valuation(
            event.balance,
            event.equity,
            peak,
            day,
            day_start,
            event.valued_at,
            event.unrealised_pnl,
        )


class TradingAccount(Aggregate):
    """What the executor must know about one trader's account to decide and to resolve."""

    aggregate_type = ACCOUNT_AGGREGATE

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.intents: dict[str, OrderIntended] = {}  # only those still without an outcome
        self._done = _Recent(REMEMBERED_ORDERS)
        self.trades: dict[tuple[str, Direction], OpenTrade] = {}
        self.valuation = Valuation()
        self.configured: dict[str, ExchangeConfigured] = {}
        self._signals = _Recent(REMEMBERED_SIGNALS)
        # routine skips sent to telemetry: known to this process, folded from nothing
        self._routine = _Recent(REMEMBERED_SIGNALS)
        self.orders: dict[str, LiveOrder] = {}  # accepted, not ended, by clientOrderID
        self._ended = _Recent(REMEMBERED_ORDERS)  # exchange order ids of ended orders
        self._fundings = _Recent(REMEMBERED_ORDERS)
        self.funding = Decimal(0)  # funding fees received (negative: paid) since the start
        self._transfers = _Recent(REMEMBERED_ORDERS)  # deposits and withdrawals recorded

    # -- snapshots (fleet.eventstore.snapshots) -----------------------------------------
    snapshot_schema = 1  # raise whenever AccountSnapshot or what it holds changes shape

    def snapshot_state(self) -> Any:
        snapshot = AccountSnapshot(
            intents=list(self.intents.values()),
            done=self._done.ids(),
            trades=list(self.trades.values()),
            valuation=self.valuation,
            configured=list(self.configured.values()),
            signals=self._signals.ids(),
            orders=list(self.orders.values()),
            ended=self._ended.ids(),
            fundings=self._fundings.ids(),
            funding=self.funding,
            transfers=self._transfers.ids(),
        )
        return _SNAPSHOT.dump_python(snapshot, mode="json")

    def restore_state(self, state: Any) -> None:
        snapshot = _SNAPSHOT.validate_python(state)
        self.intents = {i.client_order_id: i for i in snapshot.intents}
        self.trades = {(t.symbol, t.direction): t for t in snapshot.trades}
        self.valuation = snapshot.valuation
        self.configured = {c.symbol: c for c in snapshot.configured}
        self.orders = {o.intent.client_order_id: o for o in snapshot.orders}
        self.funding = snapshot.funding
        for recent, ids in (
            (self._done, snapshot.done),
            (self._signals, snapshot.signals),
            (self._ended, snapshot.ended),
            (self._fundings, snapshot.fundings),
            (self._transfers, snapshot.transfers),
        ):
            for item in ids:
                recent.add(item)

    # -- what it knows ------------------------------------------------------------------
    @property
    def open_intents(self) -> list[OrderIntended]:
        """Intents whose outcome is unknown (a crash or timeout came in between)."""
        return list(self.intents.values())

    def evaluated(self, signal_id: str) -> bool:
        """Whether this signal was already decided for this account."""
        return signal_id in self._signals or signal_id in self._routine

    def settled(self, client_order_id: str) -> bool:
        """Whether this order's outcome is already recorded."""
        return client_order_id in self._done

    def held(self, symbol: str) -> OpenTrade | None:
        """The open trade on ``symbol``, if any (either direction)."""
        return self.trades.get((symbol, "long")) or self.trades.get((symbol, "short"))

    def ended(self, exchange_order_id: str) -> bool:
        """Whether this order is known to have filled completely or ended."""
        return exchange_order_id in self._ended

    def funded(self, funding_id: str) -> bool:
        return funding_id in self._fundings

    def transferred(self, transfer_id: str) -> bool:
        """Whether this deposit or withdrawal is already recorded."""
        return transfer_id in self._transfers

    @property
    def open_symbols(self) -> frozenset[str]:
        return frozenset(symbol for symbol, _ in self.trades)

    # -- decisions ----------------------------------------------------------------------
    def evaluate(self, evaluation: SignalEvaluated) -> bool:
        """Record a decision (with the orders it intends, inside it), once per signal."""
        if self.evaluated(evaluation.signal_id):
            return False
        self.record(evaluation)
        return True

    def noted(self, signal_id: str) -> None:
        """A signal decided by a routine skip (kept in telemetry, not in the log): decided,
        nothing recorded. Remembered by this object only; in no event and no snapshot."""
        self._routine.add(signal_id)

    def intend(self, intent: OrderIntended) -> bool:
        """Record an intent once; False when this clientOrderID was already intended."""
        cid = intent.client_order_id
        if cid in self.intents or cid in self._done:
            return False
        self.record(intent)
        return True

    def settle(self, outcome: OrderAccepted | OrderRejected) -> None:
        if outcome.client_order_id not in self._done:
            self.record(outcome)

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, OrderIntended | OrderAccepted | OrderRejected | OrderFilled):
            self._apply_order(event)
        elif isinstance(event, SignalEvaluated):
            self._signals.add(event.signal_id)
            for intent in event.intents:
                self.intents[intent.client_order_id] = intent
        elif isinstance(event, PositionOpened):
            self._opened(event)
        elif isinstance(event, PositionChanged):
            self._changed(event)
        elif isinstance(event, PositionClosed):
            self._closed(event)
        else:
            self._apply_account(event)

    def _apply_order(
        self, event: OrderIntended | OrderAccepted | OrderRejected | OrderFilled
    ) -> None:
        if isinstance(event, OrderIntended):
            self.intents[event.client_order_id] = event
        elif isinstance(event, OrderFilled):
            self._filled(event)
        else:
            self._on_outcome(event)

    def _apply_account(self, event: DomainEvent) -> None:
        if isinstance(event, OrderEnded):
            order = self.orders.pop(event.client_order_id, None)
            self._ended.add(event.exchange_order_id)
            if order is not None:
                self._ended_short(order)
        elif isinstance(event, FundingPaid):
            self._fundings.add(event.funding_id)
            self.funding += event.amount
        elif isinstance(event, AccountValued):
            self.valuation = self.valuation.valued(event)
        elif isinstance(event, TransferRecorded):
            self._transfers.add(event.transfer_id)
        elif isinstance(event, ExchangeConfigured):
            self.configured[event.symbol] = event

    def _on_outcome(self, event: OrderAccepted | OrderRejected) -> None:
        intent = self.intents.pop(event.client_order_id, None)
        self._done.add(event.client_order_id)
        if intent is not None and intent.order_type == "STOP_MARKET":
            self._stop_outcome(intent, event)
            return
        fresh = event.client_order_id not in self.orders
        # older events carried their fill inside: such an order is not live
        legacy = isinstance(event, OrderAccepted) and (event.opened or event.closed)
        if isinstance(event, OrderAccepted) and intent is not None and fresh and not legacy:
            self.orders[event.client_order_id] = LiveOrder(intent, event.exchange_order_id)
        if isinstance(event, OrderAccepted) and event.opened is not None:
            self._opened(event.opened)
        if isinstance(event, OrderAccepted) and event.closed is not None:
            self._closed(event.closed)

    def _filled(self, event: OrderFilled) -> None:
        order = self.orders.get(event.client_order_id)
        if order is not None:
            order = replace(
                order,
                filled=event.cumulative_quantity,
                filled_value=order.filled_value + event.price * event.quantity,
                fees=order.fees + event.fee,
                exchange_pnl=order.exchange_pnl + (event.exchange_realised_pnl or 0),
            )
            self.orders[event.client_order_id] = order
        if event.order_status == "FILLED":
            self.orders.pop(event.client_order_id, None)
            self._ended.add(event.exchange_order_id)
        if event.opened is not None:
            self._opened(event.opened)
        if event.changed is not None:
            self._changed_by_fill(event)
        if event.closed is not None:
            self._closed(event.closed)
        if order is not None and event.order_status == "FILLED":
            self._ended_short(order)

    def _ended_short(self, order: LiveOrder) -> None:
        """An entry with a stop-loss that ended with less filled than it asked for: its
        trade's stop must be placed again for what filled. An exit that ended short: the
        rest of its trade is still to close."""
        intent = order.intent
        if intent.leg not in ("entry", "stop") and order.filled < intent.quantity:
            closes: Direction = "long" if intent.side == "SELL" else "short"
            held = self.trades.get((intent.symbol, closes))
            if held is not None:
                self.trades[(intent.symbol, closes)] = replace(held, exit_unfinished=True)
            return
        if intent.leg != "entry" or intent.stop_loss is None:
            return
        if not 0 < order.filled < intent.quantity:
            return
        opens: Direction = "long" if intent.side == "BUY" else "short"
        key = (intent.symbol, opens)
        trade = self.trades.get(key)
        if trade is not None and not trade.manual:
            self.trades[key] = replace(trade, stop_uncovered=True)

    def _stop_outcome(self, intent: OrderIntended, event: OrderAccepted | OrderRejected) -> None:
        """A stop-loss order Fleet placed for a trade: it rests on BingX (not a live order
        Fleet waits on: its trigger closes the trade, found by reconciliation). Accepted
        for the trade's whole size, the trade is covered again."""
        closes: Direction = "long" if intent.side == "SELL" else "short"
        key = (intent.symbol, closes)
        trade = self.trades.get(key)
        accepted = isinstance(event, OrderAccepted)
        if accepted and trade is not None and trade.quantity == intent.quantity:
            self.trades[key] = replace(trade, stop_uncovered=False)
        crossed = isinstance(event, OrderRejected) and event.bingx_code in STOP_CROSSED
        if crossed and trade is not None:
            self.trades[key] = replace(trade, stop_crossed=True)

    def _changed_by_fill(self, event: OrderFilled) -> None:
        assert event.changed is not None
        for key, trade in self.trades.items():
            if trade.trade_id != event.changed.trade_id:
                continue
            adds = (trade.direction == "long") == (event.side == "BUY")
            if adds:
                self.trades[key] = replace(
                    trade,
                    quantity=event.changed.quantity,
                    entry_price=event.changed.entry_price,
                    fees=trade.fees + event.fee,
                    entry_value=trade.entered_value + event.price * event.quantity,
                    exit_unfinished=False,
                )
            else:
                closed = trade.quantity - event.changed.quantity
                sign = 1 if trade.direction == "long" else -1
                self.trades[key] = replace(
                    trade,
                    quantity=event.changed.quantity,
                    fees=trade.fees + event.fee,
                    closed_quantity=trade.closed_quantity + closed,
                    exit_value=trade.exit_value + closed * event.price,
                    gross_pnl=trade.gross_pnl + (event.price - trade.entry_price) * closed * sign,
                )

    def _opened(self, event: PositionOpened) -> None:
        self.trades[(event.symbol, event.direction)] = OpenTrade(
            event.trade_id,
            event.symbol,
            event.direction,
            event.position_side,
            event.quantity,
            event.entry_price,
            event.manual,
            event.stop_price,
            event.opened_at,
            event.fees,
            entry_value=event.entry_price * event.quantity,
        )

    def _closed(self, event: PositionClosed) -> None:
        self.trades = {k: t for k, t in self.trades.items() if t.trade_id != event.trade_id}

    def _changed(self, event: PositionChanged) -> None:
        for key, trade in self.trades.items():
            if trade.trade_id == event.trade_id:
                self.trades[key] = replace(
                    trade, quantity=event.quantity, entry_price=event.entry_price, entry_value=None
                )


@dataclass(frozen=True)
class AccountSnapshot:
    """Everything a :class:`TradingAccount` knows, as its snapshot holds it."""

    intents: list[OrderIntended]
    done: list[str]
    trades: list[OpenTrade]
    valuation: Valuation
    configured: list[ExchangeConfigured]
    signals: list[str]
    orders: list[LiveOrder]
    ended: list[str]
    fundings: list[str]
    funding: Decimal
    transfers: list[str] = dataclass_field(default_factory=list)  # older snapshots: none


_SNAPSHOT = TypeAdapter(AccountSnapshot)


class _Recent:
    """The last ``size`` ids seen (membership in O(1), memory bounded)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._ids: set[str] = set()
        self._order: deque[str] = deque()

    def __contains__(self, item: object) -> bool:
        return item in self._ids

    def ids(self) -> list[str]:
        """Oldest first (a snapshot's order: adding them again keeps the same window)."""
        return list(self._order)

    def add(self, item: str) -> None:
        if item in self._ids:
            return
        self._ids.add(item)
        self._order.append(item)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())
