"""Deterministic market data: a seeded price path per symbol with trending and ranging
regimes (so an ADX/DMI strategy sees real crossovers), or a replay of candle CSVs.

Everything derives from 1-minute bars; other intervals aggregate them, so klines, the
last price, the mark price, trades and depth are consistent with each other.
"""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from fleet.events.timeframes import MINUTE_MS, interval_ms

START_PRICES = {
    "BTC-USDT": 60000.0,
    "ETH-USDT": 3000.0,
    "XRP-USDT": 0.6,
    "SOL-USDT": 150.0,
    "DOGE-USDT": 0.15,
}


@dataclass(frozen=True)
class Bar:
    """One candle: open time and OHLCV as floats (quantised when served)."""

    open_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float


def _seed(seed: int, symbol: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{symbol}".encode()).digest()[:8], "big")


class PricePath:
    """1-minute bars of one symbol from ``origin_ms`` on, generated lazily and cached."""

    def __init__(self, symbol: str, seed: int, origin_ms: int) -> None:
        self.symbol = symbol
        self.origin_ms = origin_ms - origin_ms % MINUTE_MS
        self._rng = random.Random(_seed(seed, symbol))  # noqa: S311 - simulation, not crypto
        self._bars: list[Bar] = []
        self._price = START_PRICES.get(symbol, 10 + self._rng.random() * 90)
        self._drift = 0.0
        self._regime_left = 0

    def _append(
        self, opening: float, high: float, low: float, closing: float, volume: float
    ) -> None:
        """The next minute bar, opening one minute after the last."""
        self._bars.append(
            Bar(self.origin_ms + len(self._bars) * MINUTE_MS, opening, high, low, closing, volume)
        )

    def _next_regime(self) -> None:
        self._regime_left = self._rng.randint(40, 240)
        trend = self._rng.choice((-1.0, 0.0, 0.0, 1.0))
        self._drift = trend * self._rng.uniform(0.0004, 0.0012)

    def _grow(self, count: int) -> None:
        for _ in range(count):
            if self._regime_left <= 0:
                self._next_regime()
            self._regime_left -= 1
            opening = self._price
            closing = opening * (1 + self._drift + self._rng.gauss(0, 0.0015))
            wick = abs(self._rng.gauss(0, 0.0008)) * opening
            high = max(opening, closing) + wick
            low = max(min(opening, closing) - abs(self._rng.gauss(0, 0.0008)) * opening, 1e-9)
            volume = self._rng.uniform(50, 500) * (1 + abs(self._drift) * 400)
            self._append(opening, high, low, closing, volume)
            self._price = closing

    def minute(self, index: int) -> Bar:
        """The ``index``-th 1-minute bar since the origin."""
        if index >= len(self._bars):
            self._grow(index + 1 - len(self._bars))
        return self._bars[index]

    def bars_between(self, start_ms: int, end_ms: int) -> list[Bar]:
        """Every complete-or-forming minute bar with start_ms <= open < end_ms."""
        first = max(0, (start_ms - self.origin_ms) // MINUTE_MS)
        last = (end_ms - 1 - self.origin_ms) // MINUTE_MS
        return [self.minute(i) for i in range(first, last + 1)] if last >= first else []


class CsvPath(PricePath):
    """Replays a candle CSV (``open_time_ms,open,high,low,close,volume``) from ``origin_ms``,
    as 1-minute bars spread evenly over each source candle, then loops."""

    def __init__(self, symbol: str, path: Path, origin_ms: int) -> None:
        super().__init__(symbol, 0, origin_ms)
        with path.open() as handle:
            rows = [row for row in csv.DictReader(handle)]
        self._rows = [
            (
                float(r["open"]),
                float(r["high"]),
                float(r["low"]),
                float(r["close"]),
                float(r["volume"]),
            )
            for r in rows
        ]
        if not self._rows:
            raise ValueError(f"{path}: no candles")

    def _grow(self, count: int) -> None:
        for _ in range(count):
            opening, high, low, closing, volume = self._rows[len(self._bars) % len(self._rows)]
            self._append(opening, high, low, closing, volume)


def aggregate(bars: list[Bar], open_ms: int) -> Bar:
    """One candle of a larger interval from its minute bars."""
    return Bar(
        open_ms,
        bars[0].open,
        max(b.high for b in bars),
        min(b.low for b in bars),
        bars[-1].close,
        sum(b.volume for b in bars),
    )


class Market:
    """All symbols' data at simulated time ``now_ms``."""

    def __init__(self, paths: dict[str, PricePath]) -> None:
        self.paths = paths

    def has(self, symbol: str) -> bool:
        return symbol in self.paths

    def klines(
        self,
        symbol: str,
        interval: str,
        now_ms: int,
        start_ms: int | None,
        end_ms: int | None,
        limit: int,
    ) -> list[Bar]:
        """Candles ascending; the last one may still be forming (partial up to now)."""
        step = interval_ms(interval)
        path = self.paths[symbol]
        last_open = now_ms - now_ms % step
        end_open = min(last_open, (end_ms - end_ms % step) if end_ms else last_open)
        begin = start_ms - start_ms % step if start_ms else end_open - (limit - 1) * step
        begin = max(begin, path.origin_ms - path.origin_ms % step + step)
        candles = []
        for open_ms in range(begin, end_open + 1, step):
            bars = path.bars_between(open_ms, min(open_ms + step, now_ms + 1))
            if bars:
                candles.append(aggregate(bars, open_ms))
            if len(candles) == limit:
                break
        return candles

    def price(self, symbol: str, now_ms: int) -> float:
        """Last traded price: the forming minute bar's close so far."""
        path = self.paths[symbol]
        index = (now_ms - path.origin_ms) // MINUTE_MS
        bar = path.minute(index)
        progress = (now_ms - bar.open_ms) / MINUTE_MS
        return bar.open + (bar.close - bar.open) * progress


def trades(market: Market, symbol: str, now_ms: int, count: int) -> list[dict[str, object]]:
    """Recent public trades, drawn from the forming minute bar so they agree with the
    last price and the klines (deterministic for a given time)."""
    path = market.paths[symbol]
    bar = path.minute((now_ms - path.origin_ms) // MINUTE_MS)
    rng = random.Random(bar.open_ms)  # noqa: S311 - simulation, not crypto
    span = max(now_ms - bar.open_ms, 1)
    rows: list[dict[str, object]] = []
    for i in range(count):
        at = now_ms - int(span * i / max(count, 1))
        progress = (at - bar.open_ms) / MINUTE_MS
        price = bar.open + (bar.close - bar.open) * progress
        rows.append(
            {
                "time": at,
                "price": price,
                "qty": rng.uniform(0.01, 2.0),
                "isBuyerMaker": rng.random() < 0.5,
            }
        )
    return rows


def quantise(value: float, decimals: int) -> Decimal:
    """A float price or size as a Decimal with ``decimals`` places (truncated)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding="ROUND_DOWN")
