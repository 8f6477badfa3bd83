"""Feeding a projection from the log: live (follow forever) and rebuild (replay + swap)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from fleet.events import Envelope, EventRegistry
from fleet.eventstore import EventStore
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
    ) -> None:
        self.store = store
        self.projection = projection
        self.tables = ProjectionTables(engine, projection, registry)
        self.batch_size = batch_size

    async def prepare(self) -> None:
        """Create the live schema if missing; rebuild it if the projection's version changed."""
        stored = await asyncio.to_thread(self.tables.checkpoint, self.projection.schema)
        if stored is None:
            await asyncio.to_thread(self.tables.create, self.projection.schema)
        elif stored[0] != self.projection.version:
            await self.rebuild()

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
        batch: list[Envelope] = []
        async for stored in self.store.subscribe(from_sequence=last + 1):
            batch.append(stored.envelope)
            sequence = stored.envelope.sequence or 0
            reached = until is not None and sequence >= until
            if len(batch) >= self.batch_size or stored.pending == 0 or reached:
                last = await asyncio.to_thread(self.tables.apply, schema, batch)
                batch = []
                if on_progress is not None:
                    total = until if until is not None else last + stored.pending
                    on_progress(Progress(last, total, time.monotonic() - started))
                if reached:
                    return last
        return last
