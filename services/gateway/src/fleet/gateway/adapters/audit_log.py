"""The gateway's own events: audit entries (aggregate ``audit``, id = the acting user)."""

from __future__ import annotations

from fleet.events import ActorId, AggregateId, AggregateRef, CorrelationId, wrap
from fleet.events.audit import AUDIT_AGGREGATE, AuditRecorded
from fleet.eventstore import EventStore

ANONYMOUS = "anonymous"


class AuditLog:
    """Appends one :class:`AuditRecorded` per audited request."""

    def __init__(self, store: EventStore) -> None:
        self._store = store

    async def record(self, entry: AuditRecorded, correlation_id: str | None = None) -> int:
        """Append the entry (no ordering check: entries are independent facts); returns
        its stream sequence."""
        aggregate = AggregateRef(type=AUDIT_AGGREGATE, id=AggregateId(entry.actor_id))
        envelope = wrap(
            entry,
            aggregate,
            actor=ActorId(entry.actor_id),
            correlation_id=CorrelationId(correlation_id) if correlation_id else None,
        )
        stored = await self._store.append(aggregate, [envelope], expected_version=None)
        return stored[0].sequence or 0
