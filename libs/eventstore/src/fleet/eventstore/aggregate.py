"""Aggregates (decide by recording events, change only by applying them) and the
repository that loads, saves and retries them on a concurrency conflict."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from fleet.events import (
    SYSTEM_ACTOR,
    ActorId,
    AggregateId,
    AggregateRef,
    CorrelationId,
    DomainEvent,
    Envelope,
    EventId,
    EventRegistry,
    wrap,
)
from fleet.eventstore.errors import ConcurrencyError
from fleet.eventstore.store import EventStore


class Aggregate(ABC):
    """Base of every aggregate. Methods that decide call :meth:`record`; state changes only
    in :meth:`apply`, so loading (replaying) and deciding share one code path."""

    aggregate_type: ClassVar[str]

    def __init__(self, aggregate_id: AggregateId) -> None:
        self.id = aggregate_id
        self.version = 0
        self._pending: list[DomainEvent] = []

    @property
    def ref(self) -> AggregateRef:
        """Type and id, as the event log knows them."""
        return AggregateRef(type=self.aggregate_type, id=self.id)

    @abstractmethod
    def apply(self, event: DomainEvent) -> None:
        """Change state to reflect ``event`` (never decide, never fail here)."""

    def record(self, event: DomainEvent) -> None:
        """A decision: apply ``event`` now and keep it for the next save."""
        self.apply(event)
        self._pending.append(event)

    @property
    def pending(self) -> tuple[DomainEvent, ...]:
        """Events recorded since the aggregate was loaded or saved."""
        return tuple(self._pending)

    def mark_saved(self, version: int) -> None:
        """Forget pending events once stored; ``version`` is the new last sequence."""
        self._pending.clear()
        self.version = version


AggregateT = TypeVar("AggregateT", bound=Aggregate)


def _idempotent_id(ref: AggregateRef, event: DomainEvent) -> EventId | None:
    """The envelope id of an event that names its identity: the same fact of the same
    aggregate always gets the same id (``Nats-Msg-Id``), so it is stored once."""
    key = event.idempotency_key()
    if key is None:
        return None
    return EventId(str(uuid.uuid5(uuid.NAMESPACE_URL, f"fleet:{ref.type}.{ref.id}:{key}")))


class Repository(Generic[AggregateT]):
    """Loads aggregates from the log and appends what they decided."""

    def __init__(
        self,
        store: EventStore,
        registry: EventRegistry,
        factory: Callable[[AggregateId], AggregateT],
    ) -> None:
        self._store = store
        self._registry = registry
        self._factory = factory

    async def load(self, aggregate_id: AggregateId) -> AggregateT:
        """Replay every event of the aggregate into a fresh instance."""
        aggregate = self._factory(aggregate_id)
        events, version = await self._store.load_versioned(aggregate.ref)
        for envelope in events:
            aggregate.apply(self._registry.decode(envelope))
        aggregate.version = version
        return aggregate

    async def save(
        self,
        aggregate: AggregateT,
        *,
        actor: ActorId = SYSTEM_ACTOR,
        causation_id: EventId | None = None,
        correlation_id: CorrelationId | None = None,
    ) -> list[Envelope]:
        """Append the pending events in one atomic batch, expecting the loaded version."""
        envelopes = [
            wrap(
                event,
                aggregate.ref,
                actor=actor,
                causation_id=causation_id,
                correlation_id=correlation_id,
                event_id=_idempotent_id(aggregate.ref, event),
            )
            for event in aggregate.pending
        ]
        stored = await self._store.append(aggregate.ref, envelopes, aggregate.version)
        if stored:
            aggregate.mark_saved(stored[-1].sequence or aggregate.version)
        return stored

    async def execute(
        self,
        aggregate_id: AggregateId,
        decide: Callable[[AggregateT], None],
        *,
        actor: ActorId = SYSTEM_ACTOR,
        correlation_id: CorrelationId | None = None,
        attempts: int = 5,
    ) -> list[Envelope]:
        """Load, decide, append; on a conflict re-read and decide again (never overwrite)."""
        for attempt in range(1, attempts + 1):
            aggregate = await self.load(aggregate_id)
            decide(aggregate)
            try:
                return await self.save(aggregate, actor=actor, correlation_id=correlation_id)
            except ConcurrencyError:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")
