"""Feeding a projection from the log: live (follow forever) and rebuild (replay + swap)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Engine

from fleet.events import EventRegistry
from fleet.eventstore import EventStore
from fleet.eventstore.reading import event_read_by
from fleet.eventstore.store import StoredEvent, position_of
from fleet.projections.errors import CheckpointMoved
from fleet.projections.projection import Projection
from fleet.projections.tables import ProjectionTables

DEFAULT_BATCH = 1000


@dataclass(frozen=True)
class Progress:
    """How far a replay is: events done of total, rate, estimated time left."""

    done: int
    total: int
    elapsed_s: float

    @property
    def rate(self) -> float:
        """Events per second so far."""
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float:
        """Seconds left at the current rate."""
        return (self.total - self.done) / self.rate if self.rate > 0 else 0.0


ProgressCallback = Callable[[Progress], None]


class ProjectionRunner:
    """Keeps one projection's live schema up to date with the event log."""

    def __init__(
        self,
        engine: Engine,
        store: EventStore,
        registry: EventRegistry,
        projection: Projection,
        *,
        batch_size: int = DEFAULT_BATCH,
        write_in_thread: bool = True,
    ) -> None:
        self.store = store
        self.projection = projection
        self.tables = ProjectionTables(engine, projection, partial(event_read_by, registry, store))
        self.batch_size = batch_size
        # A process that serves (the gateway) writes PostgreSQL on a worker thread, so its
        # event loop never waits for a batch. A process that only rebuilds (the rebuild
        # command) writes on the loop's own thread: both sides are Python, so they share
        # one interpreter lock, and handing it back and forth with a writer thread costs
        # more than the overlap gives. The log's next batches still arrive meanwhile
        # (two pull requests stay outstanding).
        self._write_in_thread = write_in_thread

    async def prepare(self) -> None:
        """Create the live schema if missing; rebuild it if the projection's version changed.
        One process at a time (a PostgreSQL advisory lock): two gateway workers starting
        together neither both create nor both rebuild."""
        schema = self.projection.schema
        held = await asyncio.to_thread(self.tables.lock, schema)
        try:
            stored = await asyncio.to_thread(self.tables.checkpoint, schema)
            if stored is None:
                await asyncio.to_thread(self.tables.create, schema)
            elif stored[0] != self.projection.version:
                await self.rebuild()
        finally:
            await asyncio.to_thread(self.tables.unlock, held, schema)

    async def run(self, *, until: int | None = None) -> int:
        """Apply events from the checkpoint on. Follows the log forever unless ``until``
        (a stream sequence) is given; returns the last applied sequence."""
        await self.prepare()
        return await self._follow(self.projection.schema, until=until, on_progress=None)

    async def rebuild(self, on_progress: ProgressCallback | None = None) -> int:
        """Replay the whole log into fresh tables, then swap them in; returns events done."""
        live = self.projection.schema
        shadow = f"{live}__rebuild"
        await asyncio.to_thread(self.tables.drop, shadow)
        await asyncio.to_thread(self.tables.create, shadow)
        target = await self.store.last_sequence()
        last = await self._follow(shadow, until=target, on_progress=on_progress)
        await asyncio.to_thread(self.tables.swap, shadow, live)
        return last

    async def _follow(
        self, schema: str, *, until: int | None, on_progress: ProgressCallback | None
    ) -> int:
        stored = await asyncio.to_thread(self.tables.checkpoint, schema)
        last = stored[1] if stored else 0
        started = time.monotonic()
        while until is None or last < until:
            try:
                last = await self._consume(schema, last, until, on_progress, started)
            except CheckpointMoved as moved:
                last = moved.last_sequence
        return last

    async def _consume(
        self,
        schema: str,
        last: int,
        until: int | None,
        on_progress: ProgressCallback | None,
        started: float,
    ) -> int:
        # Reading the log and writing PostgreSQL overlap: the reader fills at most two
        # batches ahead while the previous batch commits in a worker thread.
        batches: asyncio.Queue[_Batch] = asyncio.Queue(maxsize=2)
        reader = asyncio.create_task(self._read_batches(last, until, batches))
        try:
            while True:
                batch = await _next_batch(batches, reader)
                write = (batch.events, batch.through, batch.start)
                if self._write_in_thread:
                    last = await asyncio.to_thread(self.tables.apply, schema, *write)
                else:
                    last = self.tables.apply(schema, *write)
                if on_progress is not None:
                    total = until if until is not None else last + batch.pending
                    on_progress(Progress(last, total, time.monotonic() - started))
                if batch.final:
                    return last
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _read_batches(
        self, last: int, until: int | None, batches: asyncio.Queue[_Batch]
    ) -> None:
        # A quarantined position (not a valid event) is passed over, not applied: the
        # checkpoint still moves past it, so the read model neither stops nor lags on it.
        # So is a position of a type the projection does not use (read, never decoded).
        events: list[StoredEvent] = []
        start = last + 1
        types = self.projection.event_types()
        read = self.store.follow_batches(from_sequence=start, types=types)
        async with contextlib.aclosing(read):
            async for pulled in read:
                for item in pulled:
                    if isinstance(item, StoredEvent):
                        events.append(item)
                    sequence = position_of(item)
                    reached = until is not None and sequence >= until
                    if len(events) >= self.batch_size or item.pending == 0 or reached:
                        batch = _Batch(events, item.pending, start, sequence, final=reached)
                        await batches.put(batch)
                        events, start = [], sequence + 1
                        if reached:
                            return


async def _next_batch(batches: asyncio.Queue[_Batch], reader: asyncio.Task[None]) -> _Batch:
    """The next batch, or the reader's exception if it failed first (never hang)."""
    waiter = asyncio.ensure_future(batches.get())
    done, _ = await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
    if waiter in done:
        return waiter.result()
    waiter.cancel()
    reader.result()  # raises the reader's error
    raise RuntimeError("the event reader stopped without reaching its target")


@dataclass(frozen=True)
class _Batch:
    events: list[StoredEvent]
    pending: int
    start: int  # the first stream sequence this batch covers
    through: int  # the last stream sequence this batch covers (quarantined ones included)
    final: bool
