"""The gateway's own events: audit entries (aggregate ``audit``, id = the acting user).
The client address is sealed with the actor's data key (an anonymous actor's with the
day's key), so deleting the user erases it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fleet.events import ActorId, AggregateId, AggregateRef, CorrelationId, wrap
from fleet.events.audit import AUDIT_AGGREGATE, AuditRecorded
from fleet.events.personal import day_subject
from fleet.eventstore import EventStore
from fleet.projections.personal_keys import PersonalKeys

ANONYMOUS = "anonymous"


class AuditLog:
    """Appends one :class:`AuditRecorded` per audited request."""

    def __init__(self, store: EventStore, keys: PersonalKeys) -> None:
        self._store = store
        self._keys = keys

    async def record(self, entry: AuditRecorded, correlation_id: str | None = None) -> int:
        """Append the entry (no ordering check: entries are independent facts); returns
        its stream sequence."""
        aggregate = AggregateRef(type=AUDIT_AGGREGATE, id=AggregateId(entry.actor_id))
        if entry.ip:
            known = entry.actor_id not in (ANONYMOUS, "system")
            subject = entry.actor_id if known else day_subject(datetime.now(UTC))
            (ip,) = await asyncio.to_thread(self._keys.seal, subject, entry.ip)
            entry = entry.model_copy(update={"ip": ip})
        envelope = wrap(
            entry,
            aggregate,
            actor=ActorId(entry.actor_id),
            correlation_id=CorrelationId(correlation_id) if correlation_id else None,
        )
        stored = await self._store.append(aggregate, [envelope], expected_version=None)
        return stored[0].sequence or 0
