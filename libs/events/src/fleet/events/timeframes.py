"""Candle lengths, declared once: BingX's kline intervals (what the simulator serves and
the strategy subscribes to) and the subset a user may trade (``Timeframe``), which a
signal carries."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, get_args

Timeframe = Literal["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"]
TIMEFRAMES: tuple[Timeframe, ...] = get_args(Timeframe)
DEFAULT_TIMEFRAME: Timeframe = "5m"

MINUTE_MS = 60_000
# BingX's kline intervals, in minutes
INTERVAL_MINUTES: dict[str, int] = {
    "1m": 1,
    "3m": 3,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "1h": 60,
    "2h": 120,
    "4h": 240,
    "6h": 360,
    "8h": 480,
    "12h": 720,
    "1d": 1440,
    "3d": 4320,
    "1w": 10080,
}


def interval_ms(interval: str) -> int:
    """Milliseconds of one candle of a BingX interval (``"5m"``), or ``KeyError``."""
    return INTERVAL_MINUTES[interval] * MINUTE_MS


def candle_length(timeframe: str) -> timedelta:
    """How long one candle of ``timeframe`` lasts; a name that is not an interval counts
    as the default timeframe's (5 minutes)."""
    minutes = INTERVAL_MINUTES.get(timeframe, INTERVAL_MINUTES[DEFAULT_TIMEFRAME])
    return timedelta(minutes=minutes)
