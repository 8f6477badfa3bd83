"""The one error root of Fleet (:class:`FleetError`) and the event layer's errors.

Every library and service has one base under :class:`FleetError` (``EventError`` here,
``EventStoreError``, ``BingxError``, ``ExecutorError``, ...). Each class names a stable
``error_code`` (snake_case, unique across Fleet, a test checks it): what a log line or a
metric label carries, never changed once published. It is not the BingX code nor the
command reply's code (``ErrorCode``), which some subclasses keep in ``code``.
"""

from __future__ import annotations

from typing import ClassVar


class FleetError(Exception):
    """Root of every error Fleet raises on purpose; anything else is unexpected."""

    error_code: ClassVar[str] = "fleet"


class EventError(FleetError):
    """Root of every event-layer error."""

    error_code = "event"


class UnknownEventType(EventError):
    """A stored event has a type (or version) this process does not know; a projection must stop."""

    error_code = "unknown_event_type"

    def __init__(self, event_type: str, version: int) -> None:
        super().__init__(
            f"unknown event type {event_type!r} (schema version {version}): "
            "deploy code that declares it before processing further"
        )
        self.event_type = event_type
        self.version = version


class UpcastError(EventError):
    """An old schema version could not be brought up to date."""

    error_code = "upcast_failed"


class InvalidAggregateId(EventError, ValueError):
    """An aggregate id or type cannot be used as a NATS subject token."""

    error_code = "invalid_aggregate_id"
