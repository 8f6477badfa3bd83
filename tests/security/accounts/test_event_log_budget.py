"""Finding 6 (the log's size): the domain stream has a byte limit; from 80 % a gauge and
a ``security.event_log_nearly_full`` event warn; at the limit appends are refused loudly
(``DiscardPolicy.NEW``) and no stored event is ever dropped."""

import uuid
from datetime import UTC, datetime
from typing import Any

import nats
import pytest

from fleet.auth.log_budget import check_once
from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.audit import AuditRecorded
from fleet.events.catalog import domain_registry
from fleet.events.security import EVENT_LOG_ID, SECURITY_AGGREGATE, EventLogNearlyFull
from fleet.eventstore import AppendRejected, EventStore, StreamSpec
from fleet.eventstore.budget import UsageAlarm, stream_usage
from fleet.eventstore.stream import ensure_platform

pytestmark = pytest.mark.integration
LIMIT = 256 * 1024


def _entry() -> AuditRecorded:
    # about 1 KiB an event, within the audit event's bounds (512 characters a detail)
    details = {"i": "x" * 450, "j": "y" * 450}
    return AuditRecorded(
        action="test.fill", actor_id="filler", actor_role="system", ip="", details=details
    )


async def test_the_stream_warns_at_80_percent_and_refuses_at_the_limit_dropping_nothing(
    nats_server: Any,
) -> None:
    nc = await nats.connect(nats_server.admin_url)
    try:
        spec = StreamSpec(
            name=f"EV_{uuid.uuid4().hex[:8]}", prefix="b" + uuid.uuid4().hex[:8], max_bytes=LIMIT
        )
        await ensure_platform(nc.jetstream(), spec)
        store = EventStore(nc, spec)
        aggregate = AggregateRef(type="audit", id=AggregateId("filler"))
        alarm = UsageAlarm()
        clock = lambda: datetime.now(UTC)  # noqa: E731
        stored, warnings = 0, []
        refused: AppendRejected | None = None
        while refused is None:
            try:
                await store.append(aggregate, [wrap(_entry(), aggregate)], None)
                stored += 1
            except AppendRejected as error:
                refused = error
            warning = await check_once(nc.jetstream(), store, alarm, clock)
            if warning is not None:
                warnings.append((stored, warning.used_percent))
        usage = await stream_usage(nc.jetstream(), spec.name)
        print(
            f"limit {LIMIT} B: {stored} events stored, warnings at (events, %): {warnings}; "
            f"refused: {refused}"
        )
        assert warnings and 80 <= warnings[0][1] < 90
        assert usage.max_bytes == LIMIT
        assert len(await store.load(aggregate)) == stored  # nothing dropped to make room
        alerts = await store.load(
            AggregateRef(type=SECURITY_AGGREGATE, id=AggregateId(EVENT_LOG_ID))
        )
        decoded = [domain_registry().decode(e) for e in alerts]
        assert decoded and all(isinstance(e, EventLogNearlyFull) for e in decoded)
    finally:
        await nc.close()


async def test_fleet_up_sets_a_limit_on_an_existing_stream(nats_server: Any) -> None:
    nc = await nats.connect(nats_server.admin_url)
    try:
        name, prefix = f"EV_{uuid.uuid4().hex[:8]}", "u" + uuid.uuid4().hex[:8]
        await ensure_platform(nc.jetstream(), StreamSpec(name=name, prefix=prefix))
        assert (await stream_usage(nc.jetstream(), name)).max_bytes is None
        await ensure_platform(nc.jetstream(), StreamSpec(name=name, prefix=prefix, max_bytes=LIMIT))
        assert (await stream_usage(nc.jetstream(), name)).max_bytes == LIMIT
    finally:
        await nc.close()
