"""Per (symbol, timeframe): closed candles in, signal events out (pure, replayable)."""

from __future__ import annotations

from decimal import Decimal

from fleet.events.signals import SignalGenerated
from fleet.strategy.domain.candles import Candle
from fleet.strategy.domain.incremental import DmiState, DmiValues, update
from fleet.strategy.domain.rule import signal_id, signal_values

STRATEGY = "adx-dmi"
STRATEGY_VERSION = 1


class SignalEngine:
    """Feeds closed candles through the indicators and the rule."""

    def __init__(self, symbol: str, timeframe: str, period: int = 14) -> None:
        self.symbol = symbol
        self.timeframe = timeframe
        self.state = DmiState(period=period)
        self.previous: DmiValues | None = None
        self.last_open_ms: int | None = None

    def close(self, candle: Candle) -> tuple[str, SignalGenerated] | None:
        """The signal (id, event) for one closed candle, or None while warming up or for a
        candle already seen."""
        if self.last_open_ms is not None and candle.open_ms <= self.last_open_ms:
            return None
        self.last_open_ms = candle.open_ms
        self.state, current = update(self.state, candle.high, candle.low, candle.close)
        values = signal_values(candle.close, self.previous, current)
        self.previous = current
        if values is None:
            return None
        event = SignalGenerated(
            strategy=STRATEGY,
            strategy_version=STRATEGY_VERSION,
            symbol=self.symbol,
            timeframe=self.timeframe,
            candle_open_ms=candle.open_ms,
            close=Decimal(str(candle.close)),
            adx=values.adx,
            plus_di=values.plus_di,
            minus_di=values.minus_di,
            atr=values.atr,
            cross=values.cross,
            direction=values.direction,
            stop_distance=Decimal(str(round(values.stop_distance, 10))),
            confidence=values.confidence,
        )
        ident = signal_id(STRATEGY, STRATEGY_VERSION, self.symbol, self.timeframe, candle.open_ms)
        return ident, event
