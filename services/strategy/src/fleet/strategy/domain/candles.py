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

    def due_ms(self, grace_ms: int) -> int | None:
        """When the clock closes the next candle if no push does: the forming candle's end
        (or, when none is forming, the end of the one after the last closed) plus
        ``grace_ms``; ``None`` before anything is known."""
        if self.forming is not None:
            return self.forming.open_ms + self.interval_ms + grace_ms
        if self.last_closed_ms is not None:
            return self.last_closed_ms + 2 * self.interval_ms + grace_ms
        return None

    def gap_after(self, candle_open_ms: int) -> bool:
        """Whether candles are missing before ``candle_open_ms``: neither closed nor forming
        (the push of the candle after the forming one merely closes it)."""
        if self.last_closed_ms is None:
            return False
        latest = self.forming.open_ms if self.forming is not None else self.last_closed_ms
        return candle_open_ms - max(latest, self.last_closed_ms) > self.interval_ms
