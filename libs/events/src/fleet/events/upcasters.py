"""Upcasters of old event versions (``dict -> dict``), registered by ``catalog``.

Settings v1 -> v2: the percentages gained "at most 2 decimal places" (what the UI
offers). A v1 event could hold any number of places (even 900,000 digits, the finding
of issue 13); it loads rounded half-even to 2 places, which is what the executor would
have used within a rounding step anyway."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

PERCENT_FIELDS = (
    "risk_per_trade",
    "daily_loss_limit",
    "max_drawdown",
    "adx_threshold",
    "min_confidence",
)
_CENT = Decimal("0.01")


def _two_places(value: Any) -> Any:
    try:
        return str(Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_EVEN))
    except (InvalidOperation, ValueError):
        return value  # not a number: the v2 schema refuses it, as v1 did


def settings_v1_to_v2(settings: dict[str, Any]) -> dict[str, Any]:
    """A v1 settings snapshot with its percentages at 2 places."""
    return settings | {
        name: _two_places(settings[name]) for name in PERCENT_FIELDS if name in settings
    }


def with_settings_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """``user.trading_settings_changed`` and ``bot.started`` v1 -> v2."""
    return data | {"settings": settings_v1_to_v2(data["settings"])}
