"""Errors of the notify service, grouped by what the caller must do."""

from __future__ import annotations

from fleet.events.errors import FleetError


class NotifyError(FleetError):
    """Root of the notify service's errors."""

    error_code = "notify"


class DeliveryFailed(NotifyError):
    """A channel refused a delivery; ``retryable`` says whether trying again may help.
    The message is recorded in ``notification.failed``: never a secret in it."""

    error_code = "delivery_failed"

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
