"""The one risk gate every order passes before it is sent: entry, exit, stop change,
flatten, re-send after a restart. Pure.

Like NautilusTrader's ``RiskEngine`` in front of its execution engine: the planner and the
risk engine (:mod:`fleet.risk`) decide what a trader wants; this gate decides whether an
order may leave at all.

- ``halted``: nothing leaves (the user is deactivated, or no verified credential).
- ``reducing``: exits only (the platform's kill switch is on — ``trading.halted`` —, the
  bot is paused or stopped, the daily loss limit or the drawdown stop is reached, or
  trading is disabled). A halt stops opening, not closing: open positions keep their
  stop-losses, and exits, stops and flattens still leave (admins close them with
  flatten-all when they must).
- ``active``: entries within the caps, and exits.

An exit path (every leg but ``entry``) may only reduce: the order closes part or all of a
position Fleet holds, on the position's own side, reduce-only in one-way mode. Exits are
never measured against entry limits; an entry is never let through by an exit path.
Every order must be on the instrument's tick and step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from fleet.events.trading import OrderIntended
from fleet.risk import Instrument, stop_side_error

TradingState = Literal["active", "reducing", "halted"]
ENTRY_LEG = "entry"


@dataclass(frozen=True)
class Caps:
    """Limits on new exposure (USDT and x). The platform's defaults, tightened per trader by
    his equity and leverage (:func:`caps_for`)."""

    max_order_notional: Decimal
    max_exposure: Decimal
    max_leverage: int
    halt: str | None = None  # the platform's kill switch: why no new exposure at all


@dataclass(frozen=True)
class Holding:
    """A position the gate measures exits and exposure against."""

    symbol: str
    position_side: Literal["LONG", "SHORT", "BOTH"]
    direction: Literal["long", "short"]
    quantity: Decimal
    price: Decimal  # the latest price known for it (exposure = quantity x price)


@dataclass(frozen=True)
class GateView:
    """The trader as the gate sees him when an order's turn comes."""

    state: TradingState
    state_reason: str
    caps: Caps
    holdings: tuple[Holding, ...] = ()
    instruments: Mapping[str, Instrument] = field(default_factory=dict)

    @property
    def exposure(self) -> Decimal:
        return sum((h.quantity * h.price for h in self.holdings), Decimal(0))


@dataclass(frozen=True)
class Refusal:
    """The gate's no: a code, a sentence, the numbers."""

    code: str
    reason: str
    numbers: dict[str, str] = field(default_factory=dict)


def check(order: OrderIntended, view: GateView, price: Decimal) -> Refusal | None:
    """``None`` when ``order`` may be sent at about ``price``, else why not."""
    if view.state == "halted":
        return Refusal("halted", f"refused: trading is halted ({view.state_reason})")
    instrument = view.instruments.get(order.symbol)
    if instrument is None:
        return Refusal("unknown_symbol", f"refused: {order.symbol} is not a tradable contract")
    prices = {"price": order.stop_price, "stop_loss": order.stop_loss}
    off = instrument.off_grid(order.quantity, prices)
    if off is not None:
        return Refusal("precision", f"refused: {off}", {"quantity": str(order.quantity)})
    if order.leg == ENTRY_LEG:
        return _entry(order, view, price)
    return _exit(order, view)


def _entry(order: OrderIntended, view: GateView, price: Decimal) -> Refusal | None:
    early = _may_open(order, view) or _stop_side(order, price)
    if early is not None:
        return early
    caps = view.caps
    if order.leverage > caps.max_leverage:
        return Refusal(
            "leverage_cap",
            f"refused: leverage {order.leverage}x above the cap {caps.max_leverage}x",
            {"leverage": str(order.leverage)},
        )
    notional = order.quantity * price
    numbers = {"notional": f"{notional:.2f}", "exposure": f"{view.exposure:.2f}"}
    if notional > caps.max_order_notional:
        return Refusal(
            "notional_cap",
            f"refused: order notional {notional:.2f} USDT above the cap "
            f"{caps.max_order_notional:.2f} USDT",
            numbers,
        )
    if view.exposure + notional > caps.max_exposure:
        return Refusal(
            "exposure_cap",
            f"refused: total exposure {view.exposure + notional:.2f} USDT would pass the cap "
            f"{caps.max_exposure:.2f} USDT",
            numbers,
        )
    return None


def _may_open(order: OrderIntended, view: GateView) -> Refusal | None:
    if view.state == "reducing":
        return Refusal("reducing", f"refused: exits only ({view.state_reason})")
    if order.reduce_only:
        return Refusal("reduce_only_entry", "refused: an entry cannot be reduce-only")
    return None


def _stop_side(order: OrderIntended, price: Decimal) -> Refusal | None:
    """A stop on the wrong side of the price, refused here (BingX: 110411 to 110414)."""
    if order.stop_loss is None:
        return None
    direction: Literal["long", "short"] = "long" if order.side == "BUY" else "short"
    wrong = stop_side_error(direction, order.stop_loss, price)
    if wrong is None:
        return None
    return Refusal("stop_side", f"refused: {wrong}", {"stop_loss": str(order.stop_loss)})


def _exit(order: OrderIntended, view: GateView) -> Refusal | None:
    """An exit path may only reduce a position Fleet holds, never open or grow one."""
    closes = "long" if order.side == "SELL" else "short"
    held = next(
        (
            h
            for h in view.holdings
            if h.symbol == order.symbol
            and h.direction == closes
            and h.position_side == order.position_side
        ),
        None,
    )
    if held is None:
        return Refusal(
            "not_reducing",
            f"refused: {order.leg} {order.side} {order.symbol} would open a position "
            "(no matching position to reduce)",
        )
    if order.quantity > held.quantity:
        return Refusal(
            "not_reducing",
            f"refused: {order.leg} of {order.quantity} is more than the {held.quantity} held",
            {"quantity": str(order.quantity), "held": str(held.quantity)},
        )
    if order.position_side == "BOTH" and not order.reduce_only:
        return Refusal("not_reduce_only", "refused: a one-way exit must be reduce-only")
    return None


def caps_for(platform: Caps, equity: Decimal, leverage: int) -> Caps:
    """The trader's caps: the platform's, never above what his equity at his leverage
    carries (a trader at 5x with 1,000 USDT gets 5,000 per order and in total)."""
    carried = equity * min(leverage, platform.max_leverage) if equity > 0 else Decimal(0)
    if carried <= 0:
        return platform
    return Caps(
        max_order_notional=min(platform.max_order_notional, carried),
        max_exposure=min(platform.max_exposure, carried),
        max_leverage=platform.max_leverage,
    )


def state_of(
    *,
    user_active: bool,
    credential_verified: bool,
    bot: str,
    trading_enabled: bool,
    limit_reached: str | None,
    platform_halt: str | None = None,
) -> tuple[TradingState, str]:
    """The trading state and why, from the user's standing and the loss limits."""
    if not user_active:
        return "halted", "the user is deactivated"
    if not credential_verified:
        return "halted", "no verified BingX credential"
    reducing = (
        platform_halt,  # the kill switch first: it is what every trader is told
        f"the bot is {bot}" if bot != "active" else None,
        "trading is disabled in your settings" if not trading_enabled else None,
        limit_reached,
    )
    why = next((reason for reason in reducing if reason is not None), None)
    return ("active", "") if why is None else ("reducing", why)


def holdings_of(
    trades: Iterable[tuple[str, str, str, Decimal, Decimal]],
) -> tuple[Holding, ...]:
    """Holdings from (symbol, position side, direction, quantity, price) rows."""
    return tuple(
        Holding(symbol, side, direction, quantity, price)  # type: ignore[arg-type]
        for symbol, side, direction, quantity, price in trades
    )
