"""The event envelope, the registry of event types (with upcasting) and every domain event.

Events are declared once, here, as frozen pydantic models with a stable wire name and a
schema version. Services import them; nobody re-declares them.
"""

from fleet.events.envelope import (
    SYSTEM_ACTOR,
    ActorId,
    AggregateId,
    AggregateRef,
    CorrelationId,
    Envelope,
    EventId,
    new_event_id,
)
from fleet.events.errors import (
    EventError,
    FleetError,
    InvalidAggregateId,
    UnknownEventType,
    UpcastError,
)
from fleet.events.registry import DomainEvent, EventRegistry, wrap
from fleet.events.subjects import aggregate_subject, partition_of

__all__ = [
    "SYSTEM_ACTOR",
    "ActorId",
    "AggregateId",
    "AggregateRef",
    "CorrelationId",
    "DomainEvent",
    "Envelope",
    "EventError",
    "EventId",
    "EventRegistry",
    "FleetError",
    "InvalidAggregateId",
    "UnknownEventType",
    "UpcastError",
    "aggregate_subject",
    "new_event_id",
    "partition_of",
    "wrap",
]
