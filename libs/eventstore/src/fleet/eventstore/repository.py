"""The repository that loads aggregates (:mod:`fleet.events.aggregate`) from the log,
saves what they decided and retries them on a concurrency conflict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic

from fleet.events import (
    SYSTEM_ACTOR,
    ActorId,
    AggregateId,
    CorrelationId,
    Envelope,
    EventId,
    EventRegistry,
    wrap,
)
from fleet.events.aggregate import AggregateT, idempotent_id
from fleet.eventstore.errors import ConcurrencyError
from fleet.eventstore.reading import event_read_by
from fleet.eventstore.store import EventStore


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
        stored, version = await self._store.load_stored(aggregate.ref)
        for item in stored:
            aggregate.apply(event_read_by(self._registry, self._store, item))
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
                event_id=idempotent_id(aggregate.ref, event),
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
