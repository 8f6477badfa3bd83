"""One user's action on a signal: THE rule, called by the live executor's planner and by
``fleet backtest`` alike (there is no second copy).

An opposite DI cross exits a held position (never gated by thresholds or limits); any
other signal while a position is held is a hold; an entry needs a cross, ADX at or above
the user's threshold, confidence at or above the user's minimum, and no open position on
that symbol. What happens next (sizing, limits) is the risk engine's and the risk gate's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Cross = Literal["up", "down", "none"]
Held = Literal["long", "short"] | None
Action = Literal["long", "short", "exit", "none"]
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RuleAction:
    """What the rule says, its code and its sentence (the decision event's words)."""

    action: Action
    code: str
    reason: str
    numbers: dict[str, str] = field(default_factory=dict)


def action_for(  # noqa: PLR0913 - the rule's inputs, each independent
    cross: Cross,
    adx: float | Decimal,
    confidence: float | Decimal,
    adx_threshold: float | Decimal,
    min_confidence_pct: float | Decimal,
    held: Held,
    *,
    symbol: str = "",
) -> RuleAction:
    """``exit``, ``long``, ``short`` or ``none`` for one user (confidence in 0..1), why."""
    if held is not None:
        if (held == "long" and cross == "down") or (held == "short" and cross == "up"):
            reason = f"exit: {cross} cross against your {held} {symbol}".rstrip()
            return RuleAction("exit", "opposite_cross", reason)
        return RuleAction("none", "holding", f"no order: holding a {held} {symbol} position")
    direction = entry_direction(cross)
    if direction is None:
        return RuleAction("none", "no_cross", "no order: no DI cross on this candle")
    adx_d, threshold = _dec(adx), _dec(adx_threshold)
    if adx_d < threshold:
        return RuleAction(
            "none",
            "adx",
            f"skipped: ADX {adx_d:.1f} below your threshold {adx_threshold}",
            {"adx": str(adx_d)},
        )
    confidence_pct = _dec(confidence) * HUNDRED
    if confidence_pct < _dec(min_confidence_pct):
        return RuleAction(
            "none",
            "confidence",
            f"skipped: confidence {confidence_pct:.0f} % below your minimum {min_confidence_pct} %",
            {"confidence": str(confidence_pct)},
        )
    return RuleAction(direction, "entry", f"entry: {cross} cross, {direction} {symbol}".rstrip())


def entry_direction(cross: Cross) -> Literal["long", "short"] | None:
    """The direction an entry on this cross would take (``None`` without a cross)."""
    if cross == "up":
        return "long"
    if cross == "down":
        return "short"
    return None


def _dec(value: float | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))
