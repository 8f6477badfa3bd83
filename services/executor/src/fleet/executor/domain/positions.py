"""Trades from fills and from what BingX reports. Pure.

* A place-order answer is not a fill. Each fill of an entry (reported by the user-data
  stream or by query, recorded once: :func:`fill_from`) opens the trade (its id is the
  entry's clientOrderID) or grows it, at the fills' average price; each fill of an exit
  closes it in part or whole, with realised PnL = the fills' PnL minus every fee paid.
* Reconciliation compares BingX's positions with the open trades: a position Fleet's
  fills do not explain is recorded as opened **by hand**, a different size as changed by
  hand, each with its reason (never while a Fleet order of that symbol is still filling);
  a trade BingX no longer has was closed on the exchange (its stop-loss, a liquidation or
  the trader).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from fleet.events import DomainEvent
from fleet.events.trading import (
    AccountValued,
    LiquidationPrice,
    OrderEnded,
    OrderFilled,
    OrderIntended,
    PositionChanged,
    PositionClosed,
    PositionOpened,
)
from fleet.executor.domain.account import (
    Direction,
    LiveOrder,
    OpenTrade,
    TradingAccount,
    Valuation,
)
from fleet.executor.domain.ids import is_fleet_order
from fleet.executor.domain.stops import CROSSED_LEG, REST_LEG
from fleet.executor.ports import ExchangeBalance, ExchangeFill, ExchangePosition, OrderReport

MATERIAL_CHANGE = Decimal("0.01")  # USDT: a valuation closer than this is not recorded
# A valuation is appended when equity moved by this fraction, unrealised PnL changed sign,
# the balance changed, a new day began, or VALUATION_INTERVAL passed with any change: not
# on every 30 s poll (issue 22: those were most of the log's bytes while a position is open).
EQUITY_MOVE = Decimal("0.001")
VALUATION_INTERVAL = timedelta(minutes=5)
STOP_TOLERANCE = Decimal("0.005")  # a close within 0.5 % of the stop was the stop-loss


ENDED = frozenset({"CANCELLED", "CANCELED", "EXPIRED"})
CLOSE_REASONS = {  # why an exit leg closed a trade (every other leg is a flatten)
    "exit": "opposite signal",
    CROSSED_LEG: "stop-loss already passed when placed: closed at market",
    REST_LEG: "the rest of an exit that ended short, closed at market",
}


def fill_from(account: TradingAccount, report: OrderReport) -> OrderFilled | None:
    """The fill ``report`` adds to what is recorded of its order, with what it does to the
    trade; ``None`` when it adds nothing (already recorded, not a Fleet order, or a stream
    report after a missed one: the query then tells the rest)."""
    order = account.orders.get(report.client_order_id)
    if order is None or order.exchange_order_id != report.exchange_order_id:
        return None
    quantity = report.cumulative_quantity - order.filled
    if quantity <= 0:
        return None
    priced = _priced(order, report, quantity)
    if priced is None:
        return None
    price, fee, pnl = priced
    status: Literal["PARTIALLY_FILLED", "FILLED"] = (
        "FILLED" if report.status == "FILLED" else "PARTIALLY_FILLED"
    )
    intent = order.intent
    return OrderFilled(
        fill_id=f"{report.exchange_order_id}:{report.cumulative_quantity.normalize()}",
        client_order_id=intent.client_order_id,
        exchange_order_id=report.exchange_order_id,
        symbol=intent.symbol,
        side=intent.side,
        position_side=intent.position_side,
        price=price,
        quantity=quantity,
        cumulative_quantity=report.cumulative_quantity,
        fee=fee,
        fee_asset=report.fee_asset,
        exchange_realised_pnl=pnl,
        order_status=status,
        filled_at=report.at,
        reported_by=report.reported_by,
        **_effect(account, intent, price, quantity, fee, report.at),
    )


def _priced(
    order: LiveOrder, report: OrderReport, quantity: Decimal
) -> tuple[Decimal, Decimal, Decimal | None] | None:
    """(price, fee, BingX's realised PnL) of the new quantity."""
    if report.reported_by == "stream":
        if report.last_quantity != quantity or not report.last_price:
            return None  # a fill in between was missed: ask by query
        return report.last_price, abs(report.fee), report.realised_pnl
    if report.average_price is None:
        return None
    value = report.average_price * report.cumulative_quantity - order.filled_value
    pnl = None if report.realised_pnl is None else report.realised_pnl - order.exchange_pnl
    return value / quantity, max(abs(report.fee) - order.fees, Decimal(0)), pnl


def ended_from(account: TradingAccount, report: OrderReport) -> OrderEnded | None:
    """The order ended unfilled (in part or whole): cancelled or expired on BingX."""
    order = account.orders.get(report.client_order_id)
    if order is None or report.status not in ENDED or report.cumulative_quantity > order.filled:
        return None  # its fills first
    return OrderEnded(
        client_order_id=report.client_order_id,
        exchange_order_id=report.exchange_order_id,
        status="EXPIRED" if report.status == "EXPIRED" else "CANCELLED",
        filled_quantity=order.filled,
    )


def _effect(
    account: TradingAccount,
    intent: OrderIntended,
    price: Decimal,
    quantity: Decimal,
    fee: Decimal,
    now: datetime,
) -> dict[str, DomainEvent]:
    """What a fill of ``intent`` does to the trade: opens or grows it (an entry), or
    closes it in part or whole (an exit or a flatten)."""
    if intent.leg == "entry":
        return _entered(account, intent, price, quantity, fee, now)
    closing: Direction = "long" if intent.side == "SELL" else "short"
    held = account.trades.get((intent.symbol, closing))
    if held is None:
        return {}
    closed = min(quantity, held.quantity)
    remaining = held.quantity - closed
    sign = 1 if held.direction == "long" else -1
    fees = held.fees + fee
    if remaining > 0:
        return {"changed": _resized(held, remaining, held.entry_price, fees)}
    total = held.closed_quantity + closed
    gross = held.gross_pnl + (price - held.entry_price) * closed * sign
    return {
        "closed": PositionClosed(
            trade_id=held.trade_id,
            symbol=held.symbol,
            position_side=held.position_side,
            quantity=total,
            entry_price=held.entry_price,
            exit_price=(held.exit_value + price * closed) / total,
            realised_pnl=gross - fees,
            fees=fees,
            closed_at=now,
            reason=CLOSE_REASONS.get(intent.leg, "flatten"),
        )
    }


def _entered(
    account: TradingAccount,
    intent: OrderIntended,
    price: Decimal,
    quantity: Decimal,
    fee: Decimal,
    now: datetime,
) -> dict[str, DomainEvent]:
    direction: Direction = "long" if intent.side == "BUY" else "short"
    held = account.trades.get((intent.symbol, direction))
    if held is not None:  # a further fill of the entry (or an addition)
        total, entry = held.grown(price, quantity)
        return {"changed": _resized(held, total, entry, held.fees + fee)}
    opened = PositionOpened(
        trade_id=intent.client_order_id,
        symbol=intent.symbol,
        position_side=intent.position_side,
        direction=direction,
        quantity=quantity,
        entry_price=price,
        leverage=intent.leverage,
        stop_price=intent.stop_loss,
        opened_at=now,
        signal_id=intent.signal_id,
        fees=fee,
    )
    return {"opened": opened}


def _resized(held: OpenTrade, quantity: Decimal, entry: Decimal, fees: Decimal) -> PositionChanged:
    return PositionChanged(
        trade_id=held.trade_id,
        symbol=held.symbol,
        position_side=held.position_side,
        quantity=quantity,
        entry_price=entry,
        fees=fees,
    )


def _closed(  # noqa: PLR0913 - a closed trade has this many independent facts
    held: OpenTrade,
    exit_price: Decimal,
    quantity: Decimal,
    now: datetime,
    reason: str,
    *,
    manual: bool,
    fees: Decimal = Decimal(0),
) -> PositionClosed:
    sign = 1 if held.direction == "long" else -1
    total = held.closed_quantity + quantity  # with what partial exits closed before
    gross = held.gross_pnl + (exit_price - held.entry_price) * quantity * sign
    return PositionClosed(
        trade_id=held.trade_id,
        symbol=held.symbol,
        position_side=held.position_side,
        quantity=total,
        entry_price=held.entry_price,
        exit_price=(held.exit_value + exit_price * quantity) / total,
        realised_pnl=gross - fees,
        fees=fees,
        closed_at=now,
        reason=reason,
        manual=manual,
    )


@dataclass(frozen=True)
class ExchangeView:
    """One reconciliation's reading of the account on BingX."""

    positions: list[ExchangePosition]
    balance: ExchangeBalance
    now: datetime


PRICE_TOLERANCE = Decimal("0.000001")  # BingX's average entry vs the fills' (its rounding)


def reconcile(account: TradingAccount, seen: ExchangeView) -> list[DomainEvent]:
    """Events that bring the log in line with BingX (exit prices of vanished trades are
    settled by :func:`vanished`, which needs the fills). A position Fleet's fills explain
    is Fleet's; only a difference they do not explain is marked manual, with its reason.
    A symbol with a Fleet order still filling is left for its fills."""
    events: list[DomainEvent] = []
    reported = {(p.symbol, p.direction): p for p in seen.positions}
    filling = _filling(account)
    for key, position in reported.items():
        if position.symbol in filling:
            continue
        trade = account.trades.get(key)
        if trade is None:
            events.append(_opened_by_hand(position, seen.now))
        elif not _explains(trade, position):
            events.append(_changed(trade, position))
    valuation = _valuation(account, seen)
    if valuation is not None:
        events.append(valuation)
    return events


def _filling(account: TradingAccount) -> frozenset[str]:
    """Symbols with a Fleet order accepted and not ended (or one whose outcome is unknown)."""
    live = {o.intent.symbol for o in account.orders.values()}
    return frozenset(live | {i.symbol for i in account.open_intents})


def _explains(trade: OpenTrade, position: ExchangePosition) -> bool:
    if trade.quantity != position.quantity:
        return False
    return abs(trade.entry_price - position.entry_price) <= trade.entry_price * PRICE_TOLERANCE


def missing(account: TradingAccount, seen: ExchangeView) -> list[OpenTrade]:
    """Open trades BingX no longer reports (none of a symbol whose Fleet order is filling)."""
    reported = {(p.symbol, p.direction) for p in seen.positions}
    filling = _filling(account)
    return [
        trade
        for key, trade in account.trades.items()
        if key not in reported and trade.symbol not in filling
    ]


def _closes(fill: ExchangeFill, trade: OpenTrade) -> bool:
    """Whether ``fill`` closed ``trade``. BingX's fill rows may lack ``side``: such a fill
    counts when it is not one of Fleet's own orders (a stop-loss, a liquidation or a hand
    trade has another id; Fleet's own entries and exits are recorded by the order flow)."""
    if fill.side is None:
        return not is_fleet_order(fill.client_order_id)
    return fill.side == ("SELL" if trade.direction == "long" else "BUY")


def vanished(trade: OpenTrade, fills: list[ExchangeFill], now: datetime) -> PositionClosed:
    """Close a trade BingX no longer has, at the price of the fills that closed it (the
    trade's own entry price if BingX shows none)."""
    closing = [f for f in fills if _closes(f, trade)]
    quantity = sum((f.quantity for f in closing), Decimal(0))
    if quantity > 0:
        price = sum((f.price * f.quantity for f in closing), Decimal(0)) / quantity
    else:
        price = trade.entry_price
    fees = trade.fees + sum((f.fee for f in closing), Decimal(0))
    at_stop = trade.stop_price is not None and abs(price - trade.stop_price) <= (
        trade.stop_price * STOP_TOLERANCE
    )
    reason = "stop-loss on BingX" if at_stop else "closed on BingX (by hand or liquidation)"
    return _closed(trade, price, trade.quantity, now, reason, manual=not at_stop, fees=fees)


def _opened_by_hand(position: ExchangePosition, now: datetime) -> PositionOpened:
    return PositionOpened(
        trade_id=f"manual-{position.symbol}-{position.direction}-{int(now.timestamp() * 1000)}",
        symbol=position.symbol,
        position_side=position.position_side,
        direction=position.direction,
        quantity=position.quantity,
        entry_price=position.entry_price,
        leverage=position.leverage,
        opened_at=now,
        manual=True,
        reason=f"BingX reports a {position.direction} position of {position.quantity} "
        f"{position.symbol} that no Fleet fill explains",
    )


def _changed(trade: OpenTrade, position: ExchangePosition) -> PositionChanged:
    return PositionChanged(
        trade_id=trade.trade_id,
        symbol=trade.symbol,
        position_side=trade.position_side,
        quantity=position.quantity,
        entry_price=position.entry_price,
        manual=True,
        reason=f"BingX reports {position.quantity} at {position.entry_price}; Fleet's fills "
        f"explain {trade.quantity} at {trade.entry_price}",
    )


def _worth_recording(last: Valuation, balance: ExchangeBalance, now: datetime) -> bool:
    """Whether this poll's figures are a meaningful change from the last recorded ones."""
    if last.day != now.date() or abs(balance.balance - last.balance) >= MATERIAL_CHANGE:
        return True
    change = abs(balance.equity - last.equity)
    if change < MATERIAL_CHANGE:
        return False
    if last.equity == 0 or change >= abs(last.equity) * EQUITY_MOVE:
        return True
    if (balance.unrealised_pnl > 0) != (last.unrealised > 0) or (
        (balance.unrealised_pnl < 0) != (last.unrealised < 0)
    ):
        return True
    return last.at is None or now - last.at >= VALUATION_INTERVAL


def _valuation(account: TradingAccount, seen: ExchangeView) -> AccountValued | None:
    balance, last = seen.balance, account.valuation
    if not _worth_recording(last, balance, seen.now):
        return None
    return AccountValued(
        balance=balance.balance,
        equity=balance.equity,
        available_margin=balance.available_margin,
        unrealised_pnl=balance.unrealised_pnl,
        valued_at=seen.now,
        liquidation_prices=[
            LiquidationPrice(symbol=p.symbol, direction=p.direction, price=p.liquidation_price)
            for p in seen.positions
            if p.liquidation_price > 0
        ],
    )
