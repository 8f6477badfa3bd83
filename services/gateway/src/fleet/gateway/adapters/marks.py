"""Open positions valued at the market: mark price (the latest close of the market's
candles in the charts bucket), unrealised PnL in USDT and in % of the margin, size and
margin, the money at risk to the stop, and the market's price precision.

The gateway has no contracts list (the executor keeps it); the precision is the most
decimals the market's quoted prices carry in the chart window, which is BingX's price
precision as soon as one price in the window uses every digit. No liquidation price:
that needs the exchange's maintenance-margin tiers, which no read model holds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from nats.aio.client import Client

from fleet.gateway.adapters import market
from fleet.gateway.schemas.admin import Dashboard
from fleet.gateway.schemas.charts import CandleOut
from fleet.gateway.schemas.trading import PositionOut

CENT = Decimal("0.01")
WINDOW = 100


@dataclass(frozen=True)
class Mark:
    price: Decimal
    decimals: int


def decimals_of(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def mark_from(candles: list[CandleOut]) -> Mark | None:
    """The latest close and the precision the window's prices show (None: no candle)."""
    if not candles:
        return None
    digits = max(decimals_of(v) for c in candles for v in (c.open, c.high, c.low, c.close))
    return Mark(candles[-1].close, digits)


def valued(position: PositionOut, mark: Mark | None) -> PositionOut:
    """``position`` with its valuation fields (those needing a mark stay None without)."""
    notional = position.entry_price * position.quantity
    margin = notional / position.leverage if position.leverage else notional
    side = 1 if position.direction == "long" else -1
    fields: dict[str, object] = {
        "notional": notional.quantize(CENT, ROUND_HALF_EVEN),
        "margin": margin.quantize(CENT, ROUND_HALF_EVEN),
    }
    reference = mark.price if mark else position.entry_price
    if position.stop_price is not None:
        loss = (reference - position.stop_price) * position.quantity * side
        fields["risk_to_stop"] = max(loss, Decimal(0)).quantize(CENT, ROUND_HALF_EVEN)
    if mark is not None:
        pnl = (mark.price - position.entry_price) * position.quantity * side
        fields["mark_price"] = mark.price
        fields["price_decimals"] = mark.decimals
        fields["unrealised_pnl"] = pnl.quantize(CENT, ROUND_HALF_EVEN)
        if margin:
            fields["unrealised_pnl_pct"] = (pnl * 100 / margin).quantize(CENT, ROUND_HALF_EVEN)
    return position.model_copy(update=fields)


async def value_positions(
    nc: Client, positions: list[PositionOut], timeframe: str
) -> list[PositionOut]:
    """Every position valued at its market's latest candle in ``timeframe``."""
    marks: dict[str, Mark | None] = {}
    for symbol in sorted({p.symbol for p in positions}):
        marks[symbol] = mark_from(await market.candles(nc, symbol, timeframe, WINDOW))
    return [valued(p, marks[p.symbol]) for p in positions]


async def valued_dashboard(nc: Client, found: Dashboard) -> Dashboard:
    """A trader's read-only dashboard with its positions valued."""
    if not found.positions:
        return found
    valued_positions = await value_positions(nc, found.positions, found.settings.timeframe)
    return found.model_copy(update={"positions": valued_positions})
