"""Stop-losses Fleet places itself. Pure.

An entry carries its stop-loss attached (BingX places it when the entry fills). When an
entry ends with less filled than it asked for (BingX's price protection cut it short, or
its margin ran out), the attached stop may cover the wrong size, or BingX may not place it
at all: the trade is then *uncovered* (:attr:`OpenTrade.stop_uncovered`) and Fleet places
a reduce-only ``STOP_MARKET`` for exactly what filled, at the trade's stop on the tick.
Its clientOrderID comes from the trade and the size, so it is placed once whatever
crashes; it passes the one risk gate like every other order (an exit path: it may only
reduce what Fleet holds).

If BingX refuses that stop because the price has already passed it (110411-110414), the
trade is *crossed* (:attr:`OpenTrade.stop_crossed`): Fleet does what the stop would have
done and closes the trade at market, once (its clientOrderID, too, comes from the trade and
the size), through the risk gate as an exit. The same market exit closes the rest of a
trade whose exit or flatten ended before closing all of it (expired or cancelled on
BingX): :attr:`OpenTrade.exit_unfinished`, leg ``exit-rest``.
"""

from __future__ import annotations

from decimal import Decimal

from fleet.events.trading import OrderIntended
from fleet.executor.domain.account import OpenTrade, TradingAccount
from fleet.executor.domain.ids import client_order_id
from fleet.risk import Instrument

STOP_LEG = "stop"
CROSSED_LEG = "stop-crossed"
REST_LEG = "exit-rest"


def uncovered(account: TradingAccount) -> list[OpenTrade]:
    """Fleet's trades whose stop must be placed now (none while an order of the symbol is
    still filling: the size is not final yet)."""
    filling = {order.intent.symbol for order in account.orders.values()}
    return [
        trade
        for trade in account.trades.values()
        if trade.stop_uncovered
        and not trade.manual
        and trade.stop_price is not None
        and trade.symbol not in filling
    ]


def to_close(account: TradingAccount) -> list[tuple[OpenTrade, str]]:
    """Fleet's trades to close at market now, each with its leg: the stop was refused as
    already passed (:data:`CROSSED_LEG`), or an exit ended short (:data:`REST_LEG`) —
    none while an order of the symbol is still filling."""
    filling = {order.intent.symbol for order in account.orders.values()}
    due: list[tuple[OpenTrade, str]] = []
    for trade in account.trades.values():
        if trade.symbol in filling:
            continue
        if trade.stop_crossed and not trade.manual:
            due.append((trade, CROSSED_LEG))
        elif trade.exit_unfinished:
            due.append((trade, REST_LEG))
    return due


def closing_exit(
    trade: OpenTrade, leg: str, user_id: str, leverage: int, instrument: Instrument
) -> OrderIntended:
    """The market order of ``leg`` that closes all of ``trade``."""
    return _closing(trade, leg, user_id, leverage, instrument)


def stop_intent(
    trade: OpenTrade, user_id: str, leverage: int, instrument: Instrument
) -> OrderIntended:
    """The reduce-only stop-loss order covering all of ``trade``."""
    assert trade.stop_price is not None
    stop = instrument.stop(trade.direction, trade.stop_price)
    return _closing(trade, STOP_LEG, user_id, leverage, instrument, stop)


def _closing(
    trade: OpenTrade,
    leg: str,
    user_id: str,
    leverage: int,
    instrument: Instrument,
    stop_price: Decimal | None = None,
) -> OrderIntended:
    """A reduce-only order of ``leg`` for all of ``trade``, on the step: at market, or a
    ``STOP_MARKET`` at ``stop_price``. Its clientOrderID comes from the trade and the size
    (placed once whatever crashes)."""
    quantity = instrument.quantity(trade.quantity)
    size = format(quantity.normalize(), "f")
    return OrderIntended(
        client_order_id=client_order_id(f"{trade.trade_id}:{size}", user_id, leg),
        signal_id=trade.trade_id,
        leg=leg,
        symbol=trade.symbol,
        side="SELL" if trade.direction == "long" else "BUY",
        position_side=trade.position_side,
        order_type="MARKET" if stop_price is None else "STOP_MARKET",
        quantity=quantity,
        leverage=leverage,
        stop_price=stop_price,
        reduce_only=trade.position_side == "BOTH",
    )
