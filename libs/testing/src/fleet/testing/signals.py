"""Signals as the strategy publishes them, for tests and benchmarks of the trading path:
built around the simulator's current price and appended to the log."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, Literal

import httpx

from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.signals import SIGNAL_AGGREGATE, SignalGenerated, signal_stream_id
from fleet.eventstore import EventStore

Cross = Literal["up", "down", "none"]
CANDLE_MS = 300_000


async def price_of(simulator_url: str, symbol: str) -> Decimal:
    """The simulator's last price of ``symbol``."""
    async with httpx.AsyncClient(base_url=simulator_url, timeout=10) as http:
        answer = await http.get("/openApi/swap/v2/quote/price", params={"symbol": symbol})
    return Decimal(str(answer.json()["data"]["price"]))


def signal_at(close: Decimal, cross: Cross = "up", **changes: Any) -> SignalGenerated:
    """A 5m BTC-USDT signal closing at ``close``: ADX 35, confidence 0.8, stop 1 % away,
    for the candle that just closed (override any field with ``changes``)."""
    values: dict[str, Any] = {
        "strategy": "adx_dmi",
        "strategy_version": 1,
        "symbol": "BTC-USDT",
        "timeframe": "5m",
        "candle_open_ms": int(time.time() * 1000) // CANDLE_MS * CANDLE_MS - CANDLE_MS,
        "close": close,
        "adx": 35.0,
        "plus_di": 10.0 if cross == "down" else 30.0,
        "minus_di": 30.0 if cross == "down" else 10.0,
        "atr": float(close) * 0.005,
        "cross": cross,
        "direction": "short" if cross == "down" else "long",
        "stop_distance": (close * Decimal("0.01")).quantize(Decimal("0.1")),
        "confidence": 0.8,
    }
    return SignalGenerated(**(values | changes))


async def publish(store: EventStore, signal: SignalGenerated) -> str:
    """Append ``signal`` to its stream as the strategy would; returns its event id."""
    stream = signal_stream_id(signal.symbol, signal.timeframe)
    ref = AggregateRef(type=SIGNAL_AGGREGATE, id=AggregateId(stream))
    [stored] = await store.append(ref, [wrap(signal, ref)], expected_version=None)
    return stored.id
