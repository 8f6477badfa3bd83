"""The simulator's error base: everything it raises on purpose is a :class:`SimulatorError`."""

from __future__ import annotations

from fleet.events.errors import FleetError


class SimulatorError(FleetError):
    """Root of the simulator's errors (a BingX business error, an edge refusal)."""

    error_code = "simulator"
