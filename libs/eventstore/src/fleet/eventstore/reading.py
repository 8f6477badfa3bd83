"""The one way a reader gets the event of what it read from the store.

Every message read is decoded once, by the store's screen (:class:`StoredEvent.event`);
a reader whose registry is the store's (every reader built on
:func:`fleet.events.catalog.domain_registry`) takes that event, and only a reader with
registry of its own (a test's event types) decodes the envelope again."""

from __future__ import annotations

from fleet.events import DomainEvent, EventRegistry
from fleet.eventstore.store import EventStore, StoredEvent


def event_read_by(registry: EventRegistry, store: EventStore, stored: StoredEvent) -> DomainEvent:
    """The event of ``stored`` as ``registry`` reads it (decoded once when it can be)."""
    if registry is store.registry:
        return stored.event
    return registry.decode(stored.envelope)
