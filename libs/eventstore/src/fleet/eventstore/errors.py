"""Errors of the event store, grouped by what the caller must do."""

from __future__ import annotations

import nats.errors

from fleet.events import AggregateRef
from fleet.events.errors import FleetError


class EventStoreError(FleetError):
    """Root of every event-store error."""

    error_code = "event_store"


class ConcurrencyError(EventStoreError):
    """Someone appended to the aggregate since it was read: re-read, decide again, retry."""

    error_code = "concurrency_conflict"

    def __init__(self, aggregate: AggregateRef, expected: int, actual: int | None) -> None:
        super().__init__(
            f"{aggregate.type}/{aggregate.id}: expected version {expected}, "
            f"the log is at {actual if actual is not None else 'an unknown version'}"
        )
        self.aggregate = aggregate
        self.expected = expected
        self.actual = actual


class AppendRejected(EventStoreError):
    """JetStream refused the append for a reason a retry will not fix."""

    error_code = "append_rejected"


class StreamMisconfigured(EventStoreError):
    """The stream exists but with settings that break the log's guarantees."""

    error_code = "stream_misconfigured"


class MessagesLost(EventStoreError):
    """A message the consumer sent never arrived: with no acks, JetStream counts it as
    delivered, and core NATS drops what reaches an inbox while the client reconnects.
    The reader must read again from the last message it did receive (a gap in the
    consumer sequence shows it; a gap in the stream sequence is only a filter)."""

    error_code = "messages_lost"


# What talking to NATS (the log, a KV bucket, a request) can raise when the server is away,
# slow or refuses: the one tuple a caller catches to "try again next round".
NATS_TROUBLE: tuple[type[Exception], ...] = (
    EventStoreError,
    nats.errors.Error,  # nats.js.errors.Error and the KV errors derive from it
    TimeoutError,
    OSError,
)
