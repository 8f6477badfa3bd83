"""Errors of the notify service, grouped by what the caller must do."""

from __future__ import annotations


class NotifyError(Exception):
    """Root of the notify service's errors."""


class DeliveryFailed(NotifyError):
    """A channel refused a delivery; ``retryable`` says whether trying again may help.
    The message is recorded in ``notification.failed``: never a secret in it."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
