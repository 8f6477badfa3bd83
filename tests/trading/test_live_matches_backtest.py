"""Live and backtest act alike: the same generated candles go once through ``fleet backtest``
(a candle file, the backtest's loop) and once through the live strategy's signal engine,
the log and the real executor trading on the simulator; both give the same entries and
exits, in the same order, on the same candles (one rule function, one risk engine)."""

from __future__ import annotations

import math
import random
import time
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from fleet.events.trading import OrderAccepted, OrderRejected, SignalEvaluated
from fleet.strategy.backtest.candles import read_candles
from fleet.strategy.backtest.simulate import BacktestSettings, run
from fleet.strategy.domain.candles import Candle
from fleet.strategy.domain.signals import SignalEngine
from fleet.testing.signals import price_of, publish

from .conftest import TraderKeys, Trading, eventually

pytestmark = pytest.mark.e2e
CANDLE_MS = 300_000
COUNT = 150


def generated(center: float, seed: int) -> list[Candle]:
    """A swinging 5m market around ``center``: closes within about 1.5 % of it, wicks of 1 %
    (so the stop, 2 ATR away, is never reached by the candles nor by the simulator's own
    price), the last candle closed just now."""
    rng = random.Random(seed)
    last_open = int(time.time() * 1000) // CANDLE_MS * CANDLE_MS - CANDLE_MS
    candles, close = [], center
    for index in range(COUNT):
        opened = close
        swing = 0.012 * math.sin(2 * math.pi * index / 28) + rng.uniform(-0.002, 0.002)
        close = round(center * (1 + swing), 1)
        wick = center * 0.01
        candles.append(
            Candle(
                open_ms=last_open - (COUNT - 1 - index) * CANDLE_MS,
                open=opened,
                high=round(max(opened, close) + wick, 1),
                low=round(min(opened, close) - wick, 1),
                close=close,
                volume=1.0,
            )
        )
    return candles


def write_csv(candles: list[Candle], path: Path) -> Path:
    lines = ["open_time_ms,open,high,low,close,volume"]
    lines += [f"{c.open_ms},{c.open},{c.high},{c.low},{c.close},{c.volume}" for c in candles]
    path.write_text("\n".join(lines) + "\n")
    return path


# a confidence minimum that skips some crosses: only a skipped cross turns longs into shorts
SETTINGS = BacktestSettings(
    adx_threshold=5.0, min_confidence=38.0, risk_per_trade=Decimal(2), leverage=5
)


def a_market_worth_testing(
    center: float, folder: Path
) -> tuple[list[Candle], list[tuple[int, str]]]:
    """The first seed whose candles make a real test: entries both ways, exits, no stop."""
    for seed in range(1, 40):
        candles = generated(center, seed)
        _, ledger = run(read_candles(write_csv(candles, folder / f"candles-{seed}.csv")), SETTINGS)
        kinds = [kind for _, kind in ledger.actions]
        if "stop" not in kinds and kinds.count("exit") >= 2 and {"long", "short"} <= set(kinds):
            return candles, ledger.actions
    raise AssertionError("no generated market trades both ways without a stop")


async def outcome_of(trading: Trading, keys: TraderKeys, client_order_id: str) -> bool:
    for event in await trading.events("account", keys.user_id):
        if isinstance(event, OrderAccepted | OrderRejected) and (
            event.client_order_id == client_order_id
        ):
            return True
    return False


async def evaluation_of(
    trading: Trading, keys: TraderKeys, signal_id: str
) -> SignalEvaluated | None:
    for event in await trading.decisions(keys.user_id):  # skips without a cross included
        if event.signal_id == signal_id:
            return event
    return None


async def test_the_same_candles_give_the_same_entries_and_exits(
    trading: Trading, tmp_path: Path
) -> None:
    center = float(await price_of(trading.sim.url, "BTC-USDT"))
    candles, expected = a_market_worth_testing(center, tmp_path)

    keys = await trading.trader(
        risk_per_trade=SETTINGS.risk_per_trade,
        leverage=SETTINGS.leverage,
        max_positions=1,
        adx_threshold=Decimal(5),
        min_confidence=Decimal(38),
        daily_loss_limit=Decimal(50),
        max_drawdown=Decimal(90),
        position_mode="one_way",
    )
    engine = SignalEngine("BTC-USDT", "5m")
    live: list[tuple[int, str]] = []
    for candle in candles:
        produced = engine.close(candle)
        if produced is None:
            continue
        _, signal = produced
        event_id = await publish(trading.store, signal)

        async def evaluated(event_id: str = event_id) -> SignalEvaluated | None:
            return await evaluation_of(trading, keys, event_id)

        evaluation: SignalEvaluated = await eventually(evaluated)
        for intent in evaluation.intents:  # carried out before the next candle's signal
            await eventually(partial(outcome_of, trading, keys, intent.client_order_id))
        if evaluation.decision == "exit":
            live.append((candle.open_ms, "exit"))
        elif evaluation.decision == "entry":
            live.append(
                (candle.open_ms, "long" if evaluation.intents[0].side == "BUY" else "short")
            )
    assert live == expected
