"""Publishing to the telemetry stream: envelopes of the log's shape on their aggregate's
subject under the telemetry prefix (``tm.account.<user id>``), so the log's readers read
them unchanged; kept for a while (30 days, 4 GiB), then dropped.

Nothing is folded from telemetry; a message that is not stored is a gap in a feed, never
a wrong state. So a publish here has no expected sequence and no batch: one message,
de-duplicated by its envelope id (``Nats-Msg-Id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from datetime import datetime

from nats.aio.client import Client

from fleet.events import AggregateRef, Envelope, EventId, wrap
from fleet.events.subjects import aggregate_subject
from fleet.events.trading import ACCOUNT_AGGREGATE, SignalEvaluated
from fleet.eventstore.publish import PublishOutcome, publish_one
from fleet.eventstore.store import EventStore
from fleet.eventstore.stream import TelemetrySpec

PUBLISH_TIMEOUT_S = 2.0
# a read of recent decisions ends when it has read all there was (nothing newer than the
# time asked for: at once); this bounds it should the stream not answer
RECENT_WAIT_S = 10.0


def decision_envelope(
    user_id: str, evaluation: SignalEvaluated, causation_id: EventId | None = None
) -> Envelope:
    """The decision as the trader's account would have stored it, with an id derived from
    (user, signal): the same decision published again is stored once."""
    ref = AggregateRef(type=ACCOUNT_AGGREGATE, id=user_id)
    key = f"fleet:telemetry:{ACCOUNT_AGGREGATE}.{user_id}:decision:{evaluation.signal_id}"
    event_id = EventId(str(uuid.uuid5(uuid.NAMESPACE_URL, key)))
    return wrap(evaluation, ref, causation_id=causation_id, event_id=event_id)


class TelemetryPublisher:
    """Publishes to ``spec``'s stream, on the aggregate's subject under its prefix
    (``tm.account.<user id>``)."""

    def __init__(self, nc: Client, spec: TelemetrySpec, timeout: float = PUBLISH_TIMEOUT_S) -> None:
        self._nc = nc
        self.spec = spec
        self._timeout = timeout

    async def publish_decision(
        self, user_id: str, evaluation: SignalEvaluated, causation_id: EventId | None = None
    ) -> PublishOutcome:
        """Publish a decision; the outcome says whether the stream stored it (errors of
        the connection are raised: the caller decides what a lost message costs)."""
        envelope = decision_envelope(user_id, evaluation, causation_id)
        subject = aggregate_subject(self.spec.prefix, envelope.aggregate)
        return await publish_one(self._nc, subject, envelope, None, self._timeout)


async def decisions_since(
    nc: Client, spec: TelemetrySpec, since: datetime, wait_s: float = RECENT_WAIT_S
) -> dict[str, set[str]]:
    """The signal ids of the decisions published to ``spec``'s stream at or after
    ``since``, by user (aggregate id): what a new owner of a trader must not decide again."""
    found: dict[str, set[str]] = defaultdict(set)
    reader = EventStore(nc, spec.as_log())
    last = await reader.last_sequence()
    if last == 0:
        return found
    newest = await nc.jetstream().get_msg(spec.name, seq=last)
    if Envelope.from_wire(newest.data or b"", last).occurred_at < since:
        return found  # nothing since: the reader would only wait
    subject = f"{spec.prefix}.{ACCOUNT_AGGREGATE}.*"
    read = reader.subscribe(subject=subject, from_time=since)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(wait_s), contextlib.aclosing(read):
            async for stored in read:
                if isinstance(stored.event, SignalEvaluated):
                    found[stored.envelope.aggregate.id].add(stored.event.signal_id)
                if stored.pending == 0:
                    break
    return found
