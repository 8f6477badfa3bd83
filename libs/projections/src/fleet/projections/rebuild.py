"""Rebuilding projections with a progress bar (events done / total, rate, ETA)."""

from __future__ import annotations

import time

import nats
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy import create_engine

from fleet.eventstore import EventStore, StreamSpec
from fleet.projections.catalog import ProjectionSpec
from fleet.projections.meta import migrate, record_rebuild
from fleet.projections.runner import Progress as ReplayProgress
from fleet.projections.runner import ProjectionRunner
from fleet.settings import nats_tls_from_env


async def rebuild_all(
    specs: list[ProjectionSpec], database_url: str, nats_url: str, stream: str, prefix: str
) -> None:
    """Rebuild each projection in turn, showing progress on the terminal."""
    console = Console(stderr=True)
    nc = await nats.connect(
        nats_url, connect_timeout=5, max_reconnect_attempts=1, tls=nats_tls_from_env()
    )
    engine = create_engine(database_url)
    try:
        migrate(engine)
        for spec in specs:
            # the log is screened with the event types this projection reads
            store = EventStore(nc, StreamSpec(name=stream, prefix=prefix), registry=spec.registry)
            runner = ProjectionRunner(engine, store, spec.registry, spec.projection)
            started = time.monotonic()
            done = await _rebuild_one(runner, spec.projection.name, console)
            elapsed = time.monotonic() - started
            record_rebuild(engine, spec.projection.name, spec.projection.version, done, elapsed)
            console.print(f"{spec.projection.name}: rebuilt from {done:,} events")
    finally:
        engine.dispose()
        await nc.close()


async def _rebuild_one(runner: ProjectionRunner, name: str, console: Console) -> int:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>9,.0f} events/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(name, total=None, rate=0.0)

        def show(progress: ReplayProgress) -> None:
            bar.update(task, completed=progress.done, total=progress.total, rate=progress.rate)

        return await runner.rebuild(on_progress=show)
