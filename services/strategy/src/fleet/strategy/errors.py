"""The strategy service's error base."""

from __future__ import annotations

from fleet.events.errors import FleetError


class StrategyError(FleetError):
    """Root of every strategy-service error."""

    error_code = "strategy"
