"""Errors raised while encoding, decoding or routing events."""


class EventError(Exception):
    """Root of every event-layer error."""


class UnknownEventType(EventError):
    """A stored event has a type (or version) this process does not know; a projection must stop."""

    def __init__(self, event_type: str, version: int) -> None:
        super().__init__(
            f"unknown event type {event_type!r} (schema version {version}): "
            "deploy code that declares it before processing further"
        )
        self.event_type = event_type
        self.version = version


class UpcastError(EventError):
    """An old schema version could not be brought up to date."""


class InvalidAggregateId(EventError, ValueError):
    """An aggregate id or type cannot be used as a NATS subject token."""
