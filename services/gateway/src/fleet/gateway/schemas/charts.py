"""Bodies of the charts: a trader's equity history and the market's candles with the
strategy's indicators. Money and prices are decimal strings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import AwareDatetime, Field

from fleet.events.timeframes import Timeframe
from fleet.gateway.schemas.base import ApiModel

CANDLES_MAX = 300  # the strategy's window (fleet.strategy.domain.chart.WINDOW)


class EquityPointOut(ApiModel):
    """Equity at one time of the curve, and how far below its peak so far."""

    at: AwareDatetime
    equity: Decimal = Field(examples=["10250.40"])
    drawdown_pct: Decimal = Field(examples=["-2.10"], description="≤ 0; 0 at a new peak.")


class DailyPnlOut(ApiModel):
    """One UTC day's change of equity (close less the day before's close)."""

    day: date
    pnl: Decimal = Field(examples=["-35.20"])


class EquityOut(ApiModel):
    """The equity curve, 5-min points for 2 days, hourly for 60 days, daily beyond."""

    points: list[EquityPointOut]
    daily_pnl: list[DailyPnlOut]
    max_drawdown_pct: Decimal = Field(examples=["-6.30"])


class CandlesQuery(ApiModel):
    symbol: str = Field(max_length=32, pattern=r"^[A-Z0-9]+-USDT$", examples=["BTC-USDT"])
    timeframe: Timeframe = Field(examples=["5m"])
    limit: int = Field(default=200, ge=1, le=CANDLES_MAX, description="Newest candles.")


class CandleOut(ApiModel):
    """One candle (the last may be forming) and the strategy's indicators after it (null
    while they warm up, and on the forming candle)."""

    open_time: AwareDatetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    closed: bool
    adx: Decimal | None = None
    plus_di: Decimal | None = None
    minus_di: Decimal | None = None


class CandlesOut(ApiModel):
    """The strategy's window of one market, oldest first; empty when no running bot
    trades it (the strategy reads only the markets bots need)."""

    symbol: str
    timeframe: Timeframe
    candles: list[CandleOut]
