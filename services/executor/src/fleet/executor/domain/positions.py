"""Trades from order outcomes and from what BingX reports. Pure.

* An accepted, filled entry opens a trade (its id is the entry's clientOrderID).
* An accepted, filled exit closes the trade it was meant for, with its realised PnL.
* Reconciliation compares BingX's positions with the open trades: a position Fleet did
  not open is recorded as opened **by hand**; a trade BingX no longer has was closed on
  the exchange (its stop-loss, a liquidation or the trader); a changed size is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fleet.events import DomainEvent
from fleet.events.trading import (
    AccountValued,
    OrderAccepted,
    OrderIntended,
    PositionChanged,
    PositionClosed,
    PositionOpened,
)
from fleet.executor.domain.account import Direction, OpenTrade, TradingAccount
from fleet.executor.domain.ids import is_fleet_order
from fleet.executor.ports import ExchangeBalance, ExchangeFill, ExchangePosition

MATERIAL_CHANGE = Decimal("0.01")  # USDT: a valuation closer than this is not recorded
STOP_TOLERANCE = Decimal("0.005")  # a close within 0.5 % of the stop was the stop-loss


def after_fill(
    account: TradingAccount, intent: OrderIntended, accepted: OrderAccepted, now: datetime
) -> OrderAccepted:
    """The outcome with what its fill did to the account (a trade opened or closed); as
    it was until the order has filled."""
    price, quantity = accepted.average_price, accepted.executed_quantity
    if price is None or quantity <= 0:
        return accepted
    if intent.leg == "entry":
        direction = "long" if intent.side == "BUY" else "short"
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
        )
        return accepted.model_copy(update={"opened": opened})
    closing: Direction = "long" if intent.side == "SELL" else "short"
    held = account.trades.get((intent.symbol, closing))
    if held is None:
        return accepted
    reason = "opposite signal" if intent.leg == "exit" else "flatten"
    closed = _closed(held, price, min(quantity, held.quantity), now, reason, manual=False)
    return accepted.model_copy(update={"closed": closed})


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
    return PositionClosed(
        trade_id=held.trade_id,
        symbol=held.symbol,
        position_side=held.position_side,
        quantity=quantity,
        entry_price=held.entry_price,
        exit_price=exit_price,
        realised_pnl=(exit_price - held.entry_price) * quantity * sign - fees,
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


def reconcile(account: TradingAccount, seen: ExchangeView) -> list[DomainEvent]:
    """Events that bring the log in line with BingX (exit prices of vanished trades are
    settled by :func:`vanished`, which needs the fills)."""
    events: list[DomainEvent] = []
    reported = {(p.symbol, p.direction): p for p in seen.positions}
    for key, position in reported.items():
        trade = account.trades.get(key)
        if trade is None:
            events.append(_opened_by_hand(position, seen.now))
        elif trade.quantity != position.quantity or trade.entry_price != position.entry_price:
            events.append(_changed(trade, position))
    valuation = _valuation(account, seen)
    if valuation is not None:
        events.append(valuation)
    return events


def missing(account: TradingAccount, seen: ExchangeView) -> list[OpenTrade]:
    """Open trades BingX no longer reports."""
    reported = {(p.symbol, p.direction) for p in seen.positions}
    return [trade for key, trade in account.trades.items() if key not in reported]


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
    fees = sum((f.fee for f in closing), Decimal(0))
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
    )


def _changed(trade: OpenTrade, position: ExchangePosition) -> PositionChanged:
    return PositionChanged(
        trade_id=trade.trade_id,
        symbol=trade.symbol,
        position_side=trade.position_side,
        quantity=position.quantity,
        entry_price=position.entry_price,
        manual=True,
    )


def _valuation(account: TradingAccount, seen: ExchangeView) -> AccountValued | None:
    balance, last = seen.balance, account.valuation
    new_day = last.day != seen.now.date()
    moved = abs(balance.equity - last.equity) >= MATERIAL_CHANGE
    if not (new_day or moved or abs(balance.balance - last.balance) >= MATERIAL_CHANGE):
        return None
    return AccountValued(
        balance=balance.balance,
        equity=balance.equity,
        available_margin=balance.available_margin,
        unrealised_pnl=balance.unrealised_pnl,
        valued_at=seen.now,
    )
