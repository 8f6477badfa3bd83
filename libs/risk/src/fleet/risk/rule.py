"""One user's action on a signal (the strategy's rule, applied with that user's settings).

Shared by the live executor and ``fleet backtest`` so both act identically: an opposite
DI cross exits a held position (never gated by thresholds or limits); an entry needs a
cross, ADX at or above the user's threshold, confidence at or above the user's minimum,
and no open position on that symbol.
"""

from __future__ import annotations

from typing import Literal

Cross = Literal["up", "down", "none"]
Held = Literal["long", "short"] | None
Action = Literal["long", "short", "exit", "none"]


def action_for(
    cross: Cross,
    adx: float,
    confidence: float,
    adx_threshold: float,
    min_confidence_pct: float,
    held: Held,
) -> Action:
    """``exit``, ``long``, ``short`` or ``none`` for one user (confidence in 0..1)."""
    if (held == "long" and cross == "down") or (held == "short" and cross == "up"):
        return "exit"
    if held is not None or cross == "none":
        return "none"
    if adx < adx_threshold or confidence * 100 < min_confidence_pct:
        return "none"
    return "long" if cross == "up" else "short"


def entry_direction(cross: Cross) -> Literal["long", "short"] | None:
    """The direction an entry on this cross would take (``None`` without a cross)."""
    if cross == "up":
        return "long"
    if cross == "down":
        return "short"
    return None
