"""The repository that loads aggregates (:mod:`fleet.events.aggregate`) from the log,
saves what they decided and retries them on a concurrency conflict.

With a snapshot store (:mod:`fleet.eventstore.snapshots`) and an aggregate class that
declares ``snapshot_schema``, a load starts from the aggregate's snapshot and reads only
the events after it; a save writes a new snapshot once ``snapshot_every`` events have
been folded since the last. A snapshot that cannot be trusted is ignored (full replay).
"""

from __future__ import annotations

import logging
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
from fleet.eventstore.snapshots import SNAPSHOT_EVERY, Snapshot, SnapshotStore
from fleet.eventstore.store import EventStore

_log = logging.getLogger(__name__)


class Repository(Generic[AggregateT]):
    """Loads aggregates from the log and appends what they decided."""

    def __init__(
        self,
        store: EventStore,
        registry: EventRegistry,
        factory: Callable[[AggregateId], AggregateT],
        *,
        snapshots: SnapshotStore | None = None,
        snapshot_every: int = SNAPSHOT_EVERY,
    ) -> None:
        if snapshot_every < 1:
            raise ValueError("snapshot_every must be >= 1")
        self._store = store
        self._registry = registry
        self._factory = factory
        self._snapshots = snapshots
        self._every = snapshot_every

    async def load(self, aggregate_id: AggregateId) -> AggregateT:
        """The aggregate from its snapshot (when one can be trusted) and the events after
        it, or from every event."""
        aggregate = self._factory(aggregate_id)
        snapshot = await self._snapshot_of(aggregate)
        if snapshot is not None:
            stored, version = await self._store.load_stored(aggregate.ref, after=snapshot.version)
            if version >= snapshot.version:
                for item in stored:
                    aggregate.apply(event_read_by(self._registry, self._store, item))
                aggregate.version = version
                aggregate.unsnapshotted = len(stored)
                return aggregate
            _log.warning("snapshot of %s is ahead of the log: replayed", aggregate.ref)
        aggregate = self._factory(aggregate_id)  # never one a failed restore half-changed
        stored, version = await self._store.load_stored(aggregate.ref)
        for item in stored:
            aggregate.apply(event_read_by(self._registry, self._store, item))
        aggregate.version = version
        aggregate.unsnapshotted = len(stored)
        return aggregate

    async def restored(self, aggregate_id: AggregateId) -> AggregateT:
        """The aggregate as its snapshot holds it, ``version`` = the sequence the snapshot
        covers (a fresh one, version 0, without a usable snapshot): for a reader that
        folds the events after it itself, e.g. one scan of many aggregates' subjects."""
        aggregate = self._factory(aggregate_id)
        snapshot = await self._snapshot_of(aggregate)
        if snapshot is None:
            return self._factory(aggregate_id)
        aggregate.version = snapshot.version
        return aggregate

    async def _snapshot_of(self, aggregate: AggregateT) -> Snapshot | None:
        """The aggregate's snapshot restored into ``aggregate``, or ``None`` (nothing
        restored: no snapshot, another schema, corrupt, or a failing restore)."""
        schema = type(aggregate).snapshot_schema
        if self._snapshots is None or schema < 1:
            return None
        try:
            data = await self._snapshots.get(aggregate.ref)
        except Exception:  # no bucket, NATS busy: the log alone will do
            _log.warning("snapshot of %s not read: replayed", aggregate.ref, exc_info=True)
            return None
        if data is None:
            return None
        snapshot = Snapshot.from_bytes(data)
        if snapshot is None or snapshot.ref != aggregate.ref or snapshot.schema != schema:
            return None
        try:
            aggregate.restore_state(snapshot.state)
        except Exception:  # any malformed state means: replay instead
            _log.warning("snapshot of %s does not restore: replayed", aggregate.ref)
            return None
        return snapshot

    async def snapshot(self, aggregate: AggregateT) -> None:
        """Write the aggregate's snapshot at its version now (a failure is only logged:
        a snapshot is a cache)."""
        schema = type(aggregate).snapshot_schema
        if self._snapshots is None or schema < 1 or aggregate.version < 1 or aggregate.pending:
            return
        snapshot = Snapshot(aggregate.ref, schema, aggregate.version, aggregate.snapshot_state())
        try:
            await self._snapshots.put(aggregate.ref, snapshot.to_bytes())
        except Exception:  # the log is the truth; the next save tries again
            _log.warning("snapshot of %s not written", aggregate.ref, exc_info=True)
            return
        aggregate.unsnapshotted = 0

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
            aggregate.unsnapshotted += len(stored)
            if aggregate.unsnapshotted >= self._every:
                await self.snapshot(aggregate)
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
