"""One contract's trading rules, and the one place prices and quantities are rounded.

An :class:`Instrument` comes from BingX's contracts list (``/openApi/swap/v2/quote/contracts``):
the price tick from ``pricePrecision``, the quantity step from ``quantityPrecision``, the
minimum quantity (``tradeMinQuantity``), the minimum notional (``tradeMinUSDT``) and the
maximum leverage. Every price Fleet sends (limit, stop, take-profit) is put on the tick
here, every quantity down to the step here, and nothing leaves unless it is on both
(:meth:`Instrument.off_grid`).

A stop is rounded **away** from the entry (a long's stop down, a short's up): the stop
distance only grows, so a size computed from the rounded distance never risks more than
intended and a stop never lands on or across the entry price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from typing import Literal

Direction = Literal["long", "short"]


@dataclass(frozen=True)
class Instrument:
    """The exchange's constraints for one contract (a tick or step of 0 means none)."""

    quantity_step: Decimal
    min_quantity: Decimal
    min_notional: Decimal
    max_leverage: int
    price_tick: Decimal = Decimal(0)
    symbol: str = ""

    # -- rounding ------------------------------------------------------------------------
    def quantity(self, value: Decimal) -> Decimal:
        """``value`` rounded down to the step (never up: an order is never bigger than
        the size it was computed as)."""
        return _to_grid(value, self.quantity_step, ROUND_DOWN)

    def price(self, value: Decimal, rounding: str = ROUND_DOWN) -> Decimal:
        """``value`` on the tick (toward zero unless told otherwise, as BingX truncates)."""
        return _to_grid(value, self.price_tick, rounding)

    def stop(self, direction: Direction, value: Decimal) -> Decimal:
        """A stop-loss for a ``direction`` position on the tick, rounded away from the
        entry: down for a long, up for a short."""
        return self.price(value, ROUND_FLOOR if direction == "long" else ROUND_CEILING)

    # -- checks --------------------------------------------------------------------------
    def below_minimum(self, quantity: Decimal, price: Decimal) -> str | None:
        """Why an order of ``quantity`` at ``price`` is too small for BingX, or ``None``."""
        if quantity <= 0 or quantity < self.min_quantity:
            return f"size {quantity} is below the exchange minimum {self.min_quantity}"
        notional = quantity * price
        if notional < self.min_notional:
            return (
                f"size {quantity} ({notional:.2f} USDT) is below the exchange minimum "
                f"{self.min_notional} USDT"
            )
        return None

    def off_grid(
        self, quantity: Decimal, prices: dict[str, Decimal | None] | None = None
    ) -> str | None:
        """Why an order is not on the step / tick (the field named), or ``None``."""
        if not _on_grid(quantity, self.quantity_step):
            return f"quantity {quantity} is not a multiple of the step {self.quantity_step}"
        for name, value in (prices or {}).items():
            if value is not None and not _on_grid(value, self.price_tick):
                return f"{name} {value} is not on the tick {self.price_tick}"
        return None


def stop_side_error(direction: Direction, stop: Decimal, mark: Decimal) -> str | None:
    """A stop-loss on the wrong side of the current price is refused by BingX (110411 to
    110414): a long's stop must be below it, a short's above. The reason, or ``None``."""
    if stop <= 0:
        return f"the stop {stop} is not a price"
    if direction == "long" and stop >= mark:
        return f"a long's stop {stop} must be below the current price {mark}"
    if direction == "short" and stop <= mark:
        return f"a short's stop {stop} must be above the current price {mark}"
    return None


def wire_text(value: Decimal) -> str:
    """A price or quantity as BingX gets it: plain decimal text, no exponent, no float."""
    return format(value.normalize(), "f")


def _to_grid(value: Decimal, unit: Decimal, rounding: str) -> Decimal:
    if unit <= 0:
        return value
    return (value / unit).to_integral_value(rounding=rounding) * unit


def _on_grid(value: Decimal, unit: Decimal) -> bool:
    return unit <= 0 or value % unit == 0
