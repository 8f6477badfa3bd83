"""Writes the refused-login tally to the log once per window: one
``security.logins_refused`` per source, and ``security.attack_suspected`` past the alert
threshold (aggregate ``ev.security.logins``). Failing to write keeps the service alive;
the window's counts are then lost, never retried into a flood."""

from __future__ import annotations

import asyncio
import contextlib

from fleet.auth.domain.refusal_tally import RefusalTally
from fleet.auth.ports import Clock
from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.security import LOGINS_ID, SECURITY_AGGREGATE
from fleet.eventstore import EventStore
from fleet.obs import get_logger

AGGREGATE = AggregateRef(type=SECURITY_AGGREGATE, id=AggregateId(LOGINS_ID))


async def write_window(tally: RefusalTally, store: EventStore, clock: Clock) -> int:
    """Append the window's events (atomically); returns how many."""
    events = tally.drain(clock())
    if not events:
        return 0
    await store.append(AGGREGATE, [wrap(event, AGGREGATE) for event in events], None)
    return len(events)


async def keep_writing(
    tally: RefusalTally, store: EventStore, clock: Clock, window_s: float
) -> None:
    """Every ``window_s`` seconds until cancelled; the last window is written on the way out."""
    try:
        while True:
            await asyncio.sleep(window_s)
            await _write_logged(tally, store, clock)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(_write_logged(tally, store, clock))


async def _write_logged(tally: RefusalTally, store: EventStore, clock: Clock) -> None:
    try:
        await write_window(tally, store, clock)
    except Exception as exc:  # the log unreachable: count lost, service alive
        get_logger().warning("refused logins not written", error=type(exc).__name__)
