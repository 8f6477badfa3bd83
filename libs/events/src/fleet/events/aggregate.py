"""Aggregates: decide by recording events, change only by applying them. Pure (no I/O):
a domain module subclasses :class:`Aggregate`; the event store's ``Repository`` loads and
saves them."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from typing import Any, ClassVar, TypeVar

from fleet.events.envelope import AggregateId, AggregateRef, EventId
from fleet.events.registry import DomainEvent


class Aggregate(ABC):
    """Base of every aggregate. Methods that decide call :meth:`record`; state changes only
    in :meth:`apply`, so loading (replaying) and deciding share one code path."""

    aggregate_type: ClassVar[str]
    # Snapshots (see fleet.eventstore.snapshots): 0 = this aggregate is never snapshotted.
    # An aggregate that implements snapshot_state/restore_state sets it to 1 and raises it
    # whenever the shape of its state changes: a snapshot of another schema is ignored
    # (the aggregate is replayed from its first event), never misread.
    snapshot_schema: ClassVar[int] = 0

    def __init__(self, aggregate_id: AggregateId) -> None:
        self.id = aggregate_id
        self.version = 0
        self.unsnapshotted = 0  # events folded since its snapshot (or its first event)
        self._pending: list[DomainEvent] = []
        self._ref: AggregateRef | None = None

    @property
    def ref(self) -> AggregateRef:
        """Type and id, as the event log knows them (validated once: every save and load
        asks for it)."""
        if self._ref is None:
            self._ref = AggregateRef(type=self.aggregate_type, id=self.id)
        return self._ref

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

    def snapshot_state(self) -> Any:
        """The state as JSON-compatible data (only when :attr:`snapshot_schema` > 0)."""
        raise NotImplementedError(f"{type(self).__name__} is not snapshotted")

    def restore_state(self, state: Any) -> None:
        """Take the state :meth:`snapshot_state` gave (raise on anything malformed)."""
        raise NotImplementedError(f"{type(self).__name__} is not snapshotted")

    def mark_saved(self, version: int) -> None:
        """Forget pending events once stored; ``version`` is the new last sequence."""
        self._pending.clear()
        self.version = version


AggregateT = TypeVar("AggregateT", bound=Aggregate)


def idempotent_id(ref: AggregateRef, event: DomainEvent) -> EventId | None:
    """The envelope id of an event that names its identity: the same fact of the same
    aggregate always gets the same id (``Nats-Msg-Id``), so it is stored once."""
    key = event.idempotency_key()
    if key is None:
        return None
    return EventId(str(uuid.uuid5(uuid.NAMESPACE_URL, f"fleet:{ref.type}.{ref.id}:{key}")))
