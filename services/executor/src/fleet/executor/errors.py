"""The executor's errors, grouped by what the caller must do."""

from __future__ import annotations


class ExecutorError(Exception):
    """Root of every executor error."""


class SigningUnavailable(ExecutorError):
    """The vault service could not sign (down, Vault sealed, no credential): nothing was
    sent; the order is recorded as not sent and the bot is told why."""


class CommandRefused(ExecutorError):
    """A bot command that does not fit the user's situation (maps to a reply, not a crash)."""
