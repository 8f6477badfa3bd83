"""Signals (aggregate ``signal``, id ``<symbol>_<timeframe>``), owned by the strategy.

Signals are domain events: they are the inputs of every order decision and must replay.
Their id is deterministic (strategy, version, symbol, timeframe, candle open time), so a
standby that takes over can never publish the same candle's signal twice.
"""

from __future__ import annotations

from typing import Literal

from fleet.events.bounds import Amount, CodeText, SymbolText
from fleet.events.registry import DomainEvent

SIGNAL_AGGREGATE = "signal"


def signal_stream_id(symbol: str, timeframe: str) -> str:
    """The aggregate id of one (symbol, timeframe) signal stream: ``BTC-USDT_5m``."""
    return f"{symbol}_{timeframe}"


class SignalGenerated(DomainEvent):
    """The raw values every user needs; each user's thresholds are applied downstream."""

    event_type = "signal.generated"
    strategy: CodeText
    strategy_version: int
    symbol: SymbolText
    timeframe: CodeText
    candle_open_ms: int
    close: Amount
    adx: float
    plus_di: float
    minus_di: float
    atr: float
    cross: Literal["up", "down", "none"]
    direction: Literal["long", "short", "none"]
    stop_distance: Amount
    confidence: float


SIGNAL_EVENTS: tuple[type[DomainEvent], ...] = (SignalGenerated,)
