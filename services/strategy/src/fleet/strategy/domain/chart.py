"""What the charts show of one (symbol, timeframe): the last closed candles with the ADX,
+DI and -DI the strategy computed on them, and the forming candle (pure, bounded)."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from fleet.strategy.domain.candles import Candle
from fleet.strategy.domain.incremental import DmiValues

WINDOW = 300  # closed candles kept per (symbol, timeframe)


def _row(candle: Candle, values: DmiValues | None, *, closed: bool) -> dict[str, Any]:
    dmi = values or DmiValues()
    return {
        "open_ms": candle.open_ms,
        "open": candle.open,
        "high": candle.high,
        "low": candle.low,
        "close": candle.close,
        "volume": candle.volume,
        "closed": closed,
        "adx": dmi.adx,
        "plus_di": dmi.plus_di,
        "minus_di": dmi.minus_di,
    }


class ChartWindow:
    """The bounded window; :meth:`to_json` is what the strategy stores for the gateway."""

    def __init__(self, size: int = WINDOW) -> None:
        self.closed: deque[dict[str, Any]] = deque(maxlen=size)
        self.forming: dict[str, Any] | None = None

    def close(self, candle: Candle, values: DmiValues | None) -> None:
        """A closed candle and the indicators after it (repeats and older ones ignored)."""
        if self.closed and candle.open_ms <= self.closed[-1]["open_ms"]:
            return
        self.closed.append(_row(candle, values, closed=True))
        if self.forming is not None and self.forming["open_ms"] <= candle.open_ms:
            self.forming = None

    def form(self, candle: Candle | None) -> bool:
        """The forming candle as last pushed; whether it changed what the chart shows."""
        if candle is None or (self.closed and candle.open_ms <= self.closed[-1]["open_ms"]):
            return False
        row = _row(candle, None, closed=False)
        changed = row != self.forming
        self.forming = row
        return changed

    def to_json(self) -> bytes:
        rows = [*self.closed, *([self.forming] if self.forming else [])]
        return json.dumps({"candles": rows}, separators=(",", ":")).encode()
