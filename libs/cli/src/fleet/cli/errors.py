"""The ``fleet`` command line's error base."""

from __future__ import annotations

from fleet.events.errors import FleetError


class CliError(FleetError):
    """Root of every error the command line raises on purpose."""

    error_code = "cli"
