"""The signal rule: a trend-following DMI crossover gated by ADX (README: "The rule").

The strategy publishes the raw values every user needs; each user's thresholds (ADX,
minimum confidence) are applied by :func:`decide`, which the executor and the backtest
both call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from fleet.risk.rule import action_for
from fleet.strategy.domain.incremental import DmiValues

Cross = Literal["up", "down", "none"]
Direction = Literal["long", "short", "none"]
Action = Literal["long", "short", "exit", "none"]
STOP_ATR_MULTIPLE = 2.0
ADX_FULL = 40.0  # ADX at which trend strength counts fully
SHARPNESS_FULL = 10.0  # change of (+DI - -DI) over the candle, in DI points, counted fully
SIGNAL_NAMESPACE = uuid.UUID("6f0a3c5e-2f52-4e8a-9a51-0c3d9b7f6a10")


@dataclass(frozen=True)
class SignalValues:
    """What the strategy publishes for one closed candle."""

    close: float
    adx: float
    plus_di: float
    minus_di: float
    atr: float
    cross: Cross
    direction: Direction
    stop_distance: float
    confidence: float


def cross_of(previous: DmiValues | None, current: DmiValues) -> Cross:
    """+DI crossing above (up) or below (down) -DI on this candle."""
    if previous is None or None in (
        previous.plus_di,
        previous.minus_di,
        current.plus_di,
        current.minus_di,
    ):
        return "none"
    before = (previous.plus_di or 0.0) - (previous.minus_di or 0.0)
    now = (current.plus_di or 0.0) - (current.minus_di or 0.0)
    if before <= 0 < now:
        return "up"
    if before >= 0 > now:
        return "down"
    return "none"


def confidence_of(previous: DmiValues | None, current: DmiValues) -> float:
    """0.5 x min(ADX / 40, 1) + 0.3 x min(|change of (+DI - -DI)| / 10, 1) + 0.2 x [ADX rising].

    Trend strength, how decisively the DIs moved on this candle (at a cross their spread
    is ~0 by definition, so the spread itself cannot measure it), and whether the trend
    is strengthening."""
    adx = current.adx or 0.0
    spread_now = (current.plus_di or 0.0) - (current.minus_di or 0.0)
    spread_before = spread_now
    rising = False
    if previous is not None and previous.plus_di is not None and previous.minus_di is not None:
        spread_before = previous.plus_di - previous.minus_di
        rising = previous.adx is not None and adx > previous.adx
    sharpness = abs(spread_now - spread_before)
    value = (
        0.5 * min(adx / ADX_FULL, 1.0)
        + 0.3 * min(sharpness / SHARPNESS_FULL, 1.0)
        + (0.2 if rising else 0.0)
    )
    return max(0.0, min(1.0, value))


def signal_values(
    close: float, previous: DmiValues | None, current: DmiValues
) -> SignalValues | None:
    """The published values, or ``None`` while ADX is still warming up."""
    if current.adx is None or current.plus_di is None or current.minus_di is None:
        return None
    atr = current.atr or 0.0
    if current.plus_di > current.minus_di:
        direction: Direction = "long"
    elif current.minus_di > current.plus_di:
        direction = "short"
    else:
        direction = "none"
    return SignalValues(
        close,
        current.adx,
        current.plus_di,
        current.minus_di,
        atr,
        cross_of(previous, current),
        direction,
        STOP_ATR_MULTIPLE * atr,
        confidence_of(previous, current),
    )


def decide(
    values: SignalValues,
    adx_threshold: float,
    min_confidence_pct: float,
    position: Literal["long", "short"] | None,
) -> Action:
    """One user's action (the shared rule in :mod:`fleet.risk.rule`, which the executor
    calls too): an opposite DI cross exits (never gated); an entry needs the cross,
    ADX >= threshold and confidence >= the minimum, and no open position."""
    return action_for(
        values.cross, values.adx, values.confidence, adx_threshold, min_confidence_pct, position
    ).action


def signal_id(strategy: str, version: int, symbol: str, timeframe: str, open_ms: int) -> str:
    """Deterministic: the same candle always gives the same signal id (dedupe on takeover)."""
    return str(uuid.uuid5(SIGNAL_NAMESPACE, f"{strategy}:{version}:{symbol}:{timeframe}:{open_ms}"))
