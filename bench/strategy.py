"""Strategy benchmark, in one run:
* indicator update on candle close for 500 symbols: the live O(1) update of all 500,
  and TA-Lib's full recompute on the same data;
* WebSocket ingest rate of the market-data client against the simulator (gzip frames).

Usage: ``.venv/bin/python bench/strategy.py [--symbols 500] [--history 1000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import talib
import uvloop

from fleet.bingx.ws import MarketStream
from fleet.stack import SimulatorServer
from fleet.strategy.domain.incremental import DmiState, update


def data(symbols: int, history: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(5)
    out = []
    for _ in range(symbols):
        close = 100 + np.cumsum(rng.normal(0, 1, history))
        out.append((close + rng.uniform(0, 1, history), close - rng.uniform(0, 1, history), close))
    return out


def indicators(symbols: int, history: int) -> None:
    series = data(symbols, history)
    states = []
    for high, low, close in series:
        state = DmiState(period=14)
        for i in range(history - 1):
            state, _ = update(state, high[i], low[i], close[i])
        states.append(state)
    started = time.perf_counter()
    for state, (high, low, close) in zip(states, series, strict=True):
        update(state, high[-1], low[-1], close[-1])
    live_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    for high, low, close in series:
        talib.ADX(high, low, close, 14), talib.PLUS_DI(high, low, close, 14)
        talib.MINUS_DI(high, low, close, 14), talib.ATR(high, low, close, 14)
    talib_ms = (time.perf_counter() - started) * 1000
    print(f"indicators on candle close, {symbols} symbols x {history} candles:")
    print(
        f"  live O(1) update of every symbol (what runs on close)    {live_ms:>9.2f} ms  "
        f"(goal <= 50 ms)"
    )
    print(f"  TA-Lib full recompute, ATR + DI + ADX (baseline)          {talib_ms:>9.2f} ms")


async def ingest(topics: int, seconds: float) -> None:
    symbols = ",".join(f"S{i}-USDT" for i in range(topics))
    extra = ["--symbols", symbols, "--push-interval", "0.002", "--no-rate-limits"]
    with tempfile.TemporaryDirectory() as tmp:
        simulator = SimulatorServer(Path(tmp), extra=extra)
        simulator.start()
        try:
            await _count(simulator.ws_url, topics, seconds)
        finally:
            simulator.stop()


async def _count(url: str, topics: int, seconds: float) -> None:
    received = 0
    seen: set[str] = set()

    async def on_message(message: dict[str, Any]) -> None:
        nonlocal received
        received += 1
        seen.add(str(message.get("dataType", "")))

    stream = MarketStream(url, on_message)
    for i in range(topics):
        await stream.subscribe(f"S{i}-USDT@kline_1m")
    runner = asyncio.create_task(stream.run())
    # subscriptions are paced (BingX: about 10 a second per address): measure once every
    # topic pushes (100 topics take about 11 s), not 2 s in while most are still waiting
    subscribing = time.monotonic()
    for _ in range(600):
        if len(seen) >= topics:
            break
        await asyncio.sleep(0.1)
    took = time.monotonic() - subscribing
    print(f"  ({len(seen)} of {topics} topics pushing after {took:.1f} s)")
    start_count, started = received, time.perf_counter()
    await asyncio.sleep(seconds)
    rate = (received - start_count) / (time.perf_counter() - started)
    await stream.close()
    runner.cancel()
    print(f"market WebSocket ingest, {topics} kline topics, gzip frames from the simulator:")
    print(
        f"  messages decoded and handed to the caller                 {rate:>9,.0f} /s  "
        f"(goal >= 20,000; the simulator shares the 2 cores)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--history", type=int, default=1000)
    parser.add_argument("--topics", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    indicators(args.symbols, args.history)
    uvloop.run(ingest(args.topics, args.seconds))
