"""The log consumer: folds every event from sequence 1 (so a replay decides as the first
run did), hands deliveries for events after the saved position to the dispatcher, and
saves the position as the watermark moves (see the README: why a checkpoint, not a
durable consumer)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fleet.events import DomainEvent, Envelope, personal
from fleet.events.catalog import domain_registry
from fleet.events.notifications import (
    NOTIFICATION_AGGREGATE,
    NotificationDelivered,
    NotificationFailed,
)
from fleet.events.subjects import aggregate_type_subject
from fleet.eventstore import EventStore, StoredEvent
from fleet.eventstore.errors import NATS_TROUBLE
from fleet.eventstore.reading import event_read_by
from fleet.notify.adapters.position import KvPosition
from fleet.notify.dispatcher import Dispatcher, Job
from fleet.notify.domain.planner import Notice, Planner
from fleet.notify.metrics import POSITION
from fleet.notify.watermark import Watermark
from fleet.obs import get_logger

Reveal = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]

TICK_S = 0.5


class Follower:
    """Owns the planner, the watermark and the saved position."""

    def __init__(
        self,
        store: EventStore,
        position: KvPosition,
        planner: Planner,
        dispatcher: Dispatcher,
        watermark: Watermark,
        reveal: Reveal | None = None,
    ) -> None:
        self._store = store
        self._position = position
        self._planner = planner
        self._dispatcher = dispatcher
        self._registry = domain_registry()
        self._watermark = watermark
        self._reveal = reveal
        self._saved = 0
        self._resume_after = 0
        self.caught_up = False

    async def run(self) -> None:
        """Follow the log for ever (and save the position beside it)."""
        saved = await self._position.load()
        if saved is None:  # first start: notify from now on, not about history
            saved = await self._store.last_sequence()
            await self._position.save(saved)
        self._resume_after = self._saved = saved
        self._watermark.restart_at(saved)
        get_logger().info("notify resumes", after_sequence=saved)
        await self._load_done()
        self.caught_up = await self._store.last_sequence() == 0
        async with asyncio.TaskGroup() as group:
            group.create_task(self._keep_position())
            group.create_task(self._tick())
            group.create_task(self._follow())

    async def _load_done(self) -> None:
        """Every delivery already recorded (they follow their source event in the log)."""
        subject = aggregate_type_subject(self._store.spec.prefix, NOTIFICATION_AGGREGATE)
        last = await self._store.last_sequence_of(subject)
        if last == 0:
            return
        async with contextlib.aclosing(self._store.subscribe(subject=subject)) as read:
            async for item in read:
                self._note_done(item.envelope)
                if (item.envelope.sequence or 0) >= last:
                    break

    def _note_done(self, envelope: Envelope) -> None:
        if envelope.type in (NotificationDelivered.event_type, NotificationFailed.event_type):
            self._dispatcher.done.add(str(envelope.data["delivery_id"]))
        elif envelope.aggregate.type == NOTIFICATION_AGGREGATE:
            self._dispatcher.done.add(str(envelope.id))

    async def _follow(self) -> None:
        async with contextlib.aclosing(self._store.subscribe(from_sequence=1)) as read:
            async for item in read:
                self._handle(*await self._opened(item))
                self.caught_up = item.pending == 0

    async def _opened(self, stored: StoredEvent) -> tuple[Envelope, DomainEvent]:
        """The envelope and its event with their sealed personal data opened (e-mail,
        addresses), so the directory holds what deliveries need; without a key store they
        read ``erased``. The store's screen decoded the event; only an opened one is
        decoded again."""
        envelope = stored.envelope
        if not personal.subjects_in(envelope.data):
            return envelope, event_read_by(self._registry, self._store, stored)
        data = (
            await self._reveal(envelope.data)
            if self._reveal
            else personal.reveal(envelope.data, {})
        )
        opened = envelope.model_copy(update={"data": data})
        return opened, self._registry.decode(opened)

    def _handle(self, envelope: Envelope, event: DomainEvent) -> None:
        if envelope.aggregate.type == NOTIFICATION_AGGREGATE:
            self._note_done(envelope)
        notices = self._planner.on_event(envelope, event)
        notices += self._planner.due(envelope.occurred_at)
        sequence = envelope.sequence or 0
        submitted = 0
        if sequence > self._resume_after:
            submitted = self._submit(notices, sequence, envelope.occurred_at)
        self._watermark.seen(sequence, submitted)

    def _submit(self, notices: list[Notice], sequence: int, occurred_at: datetime) -> int:
        jobs = [Job(n, d, sequence, occurred_at) for n in notices for d in n.deliveries]
        return sum(self._dispatcher.submit(job) for job in jobs)

    async def _tick(self) -> None:
        """Digests whose window ended while the log is quiet (bound to the last position)."""
        while True:
            await asyncio.sleep(TICK_S)
            if not self.caught_up:
                continue
            now = datetime.now(UTC)
            notices = self._planner.due(now)
            if notices:
                sequence = self._watermark.last_seen
                self._watermark.seen(sequence, self._submit(notices, sequence, now))

    async def _keep_position(self) -> None:
        while True:
            await asyncio.sleep(TICK_S / 2)
            position = self._watermark.position
            if position == self._saved:
                continue
            try:
                await self._position.save(position)
            except NATS_TROUBLE as exc:  # NATS away: the next turn saves it
                get_logger().warning("saving the position failed", error=type(exc).__name__)
                continue
            self._saved = position
            POSITION.set(position)
