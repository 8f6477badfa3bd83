"""Watches how full the domain stream is: ``fleet_event_log_used_ratio`` on ``/metrics``,
and a ``security.event_log_nearly_full`` event (which the audit shows admins) from 80 %,
again at every further 5 % and at least hourly. The auth service runs it because it
already writes the other security events; one watcher per instance is harmless."""

from __future__ import annotations

import asyncio

import prometheus_client
from nats.js import JetStreamContext

from fleet.auth.ports import Clock
from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.security import EVENT_LOG_ID, SECURITY_AGGREGATE, EventLogNearlyFull
from fleet.eventstore import EventStore
from fleet.eventstore.budget import UsageAlarm, stream_usage
from fleet.obs import count_unexpected, get_logger

AGGREGATE = AggregateRef(type=SECURITY_AGGREGATE, id=AggregateId(EVENT_LOG_ID))
USED = prometheus_client.Gauge(
    "fleet_event_log_used_ratio", "Bytes in the domain stream / its byte limit (0: no limit)."
)


async def check_once(
    js: JetStreamContext, store: EventStore, alarm: UsageAlarm, clock: Clock
) -> EventLogNearlyFull | None:
    """Measure the stream; append and return a warning when one is due."""
    stream = store.spec.name
    usage = await stream_usage(js, stream)
    USED.set(usage.ratio)
    if usage.max_bytes is None or not alarm.due(usage, clock()):
        return None
    warning = EventLogNearlyFull(
        stream=stream,
        used_bytes=usage.used_bytes,
        max_bytes=usage.max_bytes,
        used_percent=round(min(usage.ratio, 1.0) * 100, 1),
    )
    get_logger().warning("event log nearly full", stream=stream, used=warning.used_percent)
    await store.append(AGGREGATE, [wrap(warning, AGGREGATE)], None)
    return warning


async def keep_watching(
    js: JetStreamContext, store: EventStore, alarm: UsageAlarm, clock: Clock, every_s: float
) -> None:
    """Check every ``every_s`` seconds until cancelled; a failed check is logged."""
    while True:
        try:
            await check_once(js, store, alarm, clock)
        except Exception as exc:  # the log unreachable or full: say so, keep watching
            count_unexpected("auth.log_budget")
            get_logger().warning("event log size unknown", error=type(exc).__name__)
        await asyncio.sleep(every_s)
