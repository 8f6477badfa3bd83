"""Errors of the auth service, grouped by what the caller must do.

Domain code raises them and knows nothing of NATS; ``subscribers`` maps them once to
``CommandReply`` failures.
"""

from __future__ import annotations

from datetime import datetime

from fleet.events.errors import FleetError


class AuthError(FleetError):
    """Root of every auth-service error."""

    error_code = "auth"


class Rejected(AuthError):
    """The command is refused: the caller must change something before trying again."""

    error_code = "auth_rejected"


class InvalidInput(Rejected):
    """Bad input; ``field`` names it."""

    error_code = "auth_invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(Rejected):
    """No such user (or token); ``field`` names the id that was looked up."""

    error_code = "auth_not_found"

    def __init__(self, message: str, field: str = "user_id") -> None:
        super().__init__(message)
        self.field = field


class Conflict(Rejected):
    """The current state forbids it (username taken, last admin, concurrent change)."""

    error_code = "auth_conflict"


class Forbidden(Rejected):
    """The account may not do this (deactivated)."""

    error_code = "auth_forbidden"


class Unauthenticated(Rejected):
    """Wrong username or password: never says which."""

    error_code = "auth_unauthenticated"


class SecondFactorRequired(Unauthenticated):
    """The password was right; the user has two-factor authentication: send the code.
    Answered ``unauthenticated`` with ``second_factor: totp`` (subscribers.py)."""

    error_code = "second_factor_required"

    def __init__(self) -> None:
        super().__init__("enter the code from your authenticator app")


class Throttled(Rejected):
    """Too many failures lately: retry after ``retry_after_s`` seconds."""

    error_code = "auth_throttled"

    def __init__(self, retry_after_s: float) -> None:
        super().__init__("too many failed attempts; try again later")
        self.retry_after_s = retry_after_s


class Locked(Rejected):
    """The account is locked until ``until`` (or an admin's unlock)."""

    error_code = "auth_locked"

    def __init__(self, until: datetime) -> None:
        super().__init__("the account is locked after repeated failed logins")
        self.until = until


class Unavailable(AuthError):
    """The service cannot answer now (still starting, the log unreachable): safe to retry."""

    error_code = "auth_unavailable"
