"""Assembling closed candles from kline pushes (API.md §5.3: no "final" flag; a candle is
closed when a push with a later open time arrives, or when its time is over)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Candle:
    open_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float


class CandleAssembler:
    """One (symbol, timeframe): keeps the forming candle, emits closed ones in order.
    Duplicate and out-of-order pushes are harmless."""

    def __init__(self, interval_ms: int, last_closed_ms: int | None = None) -> None:
        self.interval_ms = interval_ms
        self.last_closed_ms = last_closed_ms
        self.forming: Candle | None = None

    def push(self, candle: Candle) -> list[Candle]:
        """Take a push; return the candles it proves closed (oldest first)."""
        if self.last_closed_ms is not None and candle.open_ms <= self.last_closed_ms:
            return []  # stale or duplicate
        if self.forming is None or candle.open_ms == self.forming.open_ms:
            self.forming = candle
            return []
        if candle.open_ms < self.forming.open_ms:
            return []  # out of order: older than what is forming
        closed = self.forming
        self.forming = candle
        self.last_closed_ms = closed.open_ms
        return [closed]

    def close_due(self, now_ms: int) -> list[Candle]:
        """The forming candle, once its interval is over by the clock (no later push yet)."""
        if self.forming is None or now_ms < self.forming.open_ms + self.interval_ms:
            return []
        closed, self.forming = self.forming, None
        self.last_closed_ms = closed.open_ms
        return [closed]

    def gap_after(self, candle_open_ms: int) -> bool:
        """Whether candles are missing between the last closed one and ``candle_open_ms``."""
        return (
            self.last_closed_ms is not None
            and candle_open_ms - self.last_closed_ms > self.interval_ms
        )
