"""The executor's errors, grouped by what the caller must do."""

from __future__ import annotations

from fleet.events.errors import FleetError


class ExecutorError(FleetError):
    """Root of every executor error."""

    error_code = "executor"


class SigningUnavailable(ExecutorError):
    """The vault service could not sign (down, Vault sealed, no credential): nothing was
    sent; the order is recorded as not sent and the bot is told why."""

    error_code = "signing_unavailable"


class CommandRefused(ExecutorError):
    """A bot command that does not fit the user's situation (maps to a reply, not a crash)."""

    error_code = "executor_command_refused"
