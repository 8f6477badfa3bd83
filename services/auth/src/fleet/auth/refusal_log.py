"""Writes the refused-login tally to the log once per window: one
``security.logins_refused`` per source, and ``security.attack_suspected`` past the alert
threshold (aggregate ``ev.security.logins``). Failing to write keeps the service alive;
the window's counts are then lost, never retried into a flood.

A source address belongs to no known user (whoever tried), so it is sealed with the day's
key (``day-YYYY-MM-DD``), which ``keep_shredding`` destroys after
``FLEET_PERSONAL_DAY_KEY_DAYS``: the address then reads as ``erased``."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from fleet.auth.domain.refusal_tally import RefusalTally
from fleet.auth.ports import Clock, PersonalData
from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.personal import day_subject
from fleet.events.security import (
    LOGINS_ID,
    SECURITY_AGGREGATE,
    AttackSuspected,
    LoginsRefused,
)
from fleet.eventstore import EventStore
from fleet.obs import count_unexpected, get_logger

AGGREGATE = AggregateRef(type=SECURITY_AGGREGATE, id=AggregateId(LOGINS_ID))


async def _sealed(
    event: LoginsRefused | AttackSuspected, personal: PersonalData
) -> LoginsRefused | AttackSuspected:
    subject = day_subject(event.window_start)
    if isinstance(event, LoginsRefused):
        (ip,) = await personal.seal(subject, event.source_ip)
        return event.model_copy(update={"source_ip": ip})
    (ip,) = await personal.seal(subject, event.top_source_ip)
    return event.model_copy(update={"top_source_ip": ip})


async def write_window(
    tally: RefusalTally, store: EventStore, personal: PersonalData, clock: Clock
) -> int:
    """Append the window's events (atomically); returns how many."""
    events = [await _sealed(event, personal) for event in tally.drain(clock())]
    if not events:
        return 0
    await store.append(AGGREGATE, [wrap(event, AGGREGATE) for event in events], None)
    return len(events)


async def keep_writing(
    tally: RefusalTally, store: EventStore, personal: PersonalData, clock: Clock, window_s: float
) -> None:
    """Every ``window_s`` seconds until cancelled; the last window is written on the way out."""
    try:
        while True:
            await asyncio.sleep(window_s)
            await _write_logged(tally, store, personal, clock)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(_write_logged(tally, store, personal, clock))


async def _write_logged(
    tally: RefusalTally, store: EventStore, personal: PersonalData, clock: Clock
) -> None:
    try:
        await write_window(tally, store, personal, clock)
    except Exception as exc:  # the log unreachable: count lost, service alive
        count_unexpected("auth.refusal_log")
        get_logger().warning("refused logins not written", error=type(exc).__name__)


async def keep_shredding(personal: PersonalData, clock: Clock, keep_days: int) -> None:
    """Hourly: destroy the day keys older than ``keep_days`` (their addresses erased)."""
    while True:
        try:
            first_kept = day_subject(clock() - timedelta(days=keep_days))
            if destroyed := await personal.destroy_days_before(first_kept):
                get_logger().info("day keys destroyed", count=destroyed)
        except Exception as exc:  # retried next hour
            count_unexpected("auth.day_key_shredding")
            get_logger().warning("day keys not destroyed", error=type(exc).__name__)
        await asyncio.sleep(3600)
