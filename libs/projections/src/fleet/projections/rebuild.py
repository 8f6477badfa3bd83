"""Rebuilding projections with a progress bar each (events done / total, rate, ETA).

Several projections rebuild in parallel, one process each (``jobs``, default one per
core): a replay spends its time decoding in Python, so threads of one process would share
one core. Each rebuild replays into its own shadow schema and swaps it in alone, so a
projection rebuilds while every other one (and its live runner) goes on.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import nats
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy import create_engine

from fleet.eventstore import EventStore, StreamSpec
from fleet.obs import settle_collector
from fleet.projections.catalog import ProjectionSpec, select_projections
from fleet.projections.meta import migrate, record_rebuild
from fleet.projections.runner import Progress as ReplayProgress
from fleet.projections.runner import ProjectionRunner
from fleet.settings import nats_tls_from_env

_POLL_S = 0.2


@dataclass(frozen=True)
class Target:
    """Where a rebuild reads and writes."""

    database_url: str
    nats_url: str
    stream: str
    prefix: str


def default_jobs() -> int:
    """One rebuild per core."""
    return os.cpu_count() or 1


async def rebuild_all(specs: list[ProjectionSpec], target: Target, jobs: int = 1) -> None:
    """Rebuild each projection, ``jobs`` at a time, showing progress on the terminal."""
    console = Console(stderr=True)
    engine = create_engine(target.database_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    with Progress(*_COLUMNS, console=console, transient=False) as bar:
        tasks = {
            spec.projection.name: bar.add_task(spec.projection.name, rate=0.0) for spec in specs
        }
        if jobs <= 1 or len(specs) == 1:
            for spec in specs:
                show = _shower(bar, tasks[spec.projection.name])
                done, elapsed = await rebuild_one(spec, target, show)
                _finished(
                    console, target, spec.projection.name, spec.projection.version, done, elapsed
                )
            return
        await asyncio.to_thread(_in_processes, specs, target, min(jobs, len(specs)), bar, tasks)


def _in_processes(
    specs: list[ProjectionSpec], target: Target, jobs: int, bar: Progress, tasks: dict[str, TaskID]
) -> None:
    console = bar.console
    context = multiprocessing.get_context("spawn")  # no forked copies of loops and sockets
    with context.Manager() as manager, ProcessPoolExecutor(jobs, mp_context=context) as pool:
        progress = manager.Queue()
        running: dict[Future[tuple[int, float]], ProjectionSpec] = {
            pool.submit(_rebuild_in_process, spec.projection.name, target, progress): spec
            for spec in specs
        }
        while running:
            try:
                name, done, total, rate = progress.get(timeout=_POLL_S)
                bar.update(tasks[name], completed=done, total=total, rate=rate)
            except queue.Empty:
                pass
            for future in [f for f in running if f.done()]:
                spec = running.pop(future)
                done, elapsed = future.result()  # a failed rebuild fails the command
                _finished(
                    console, target, spec.projection.name, spec.projection.version, done, elapsed
                )


def _rebuild_in_process(
    name: str, target: Target, progress: queue.Queue[tuple[str, int, int, float]]
) -> tuple[int, float]:
    settle_collector()  # a process of its own: set like a service's
    spec = select_projections([name])[0]

    def show(step: ReplayProgress) -> None:
        progress.put((name, step.done, step.total, step.rate))

    return asyncio.run(rebuild_one(spec, target, show))


async def rebuild_one(
    spec: ProjectionSpec, target: Target, show: Callable[[ReplayProgress], None]
) -> tuple[int, float]:
    """Rebuild one projection (shadow schema, then swap); ``(events done, seconds)``."""
    nc = await nats.connect(
        target.nats_url, connect_timeout=5, max_reconnect_attempts=1, tls=nats_tls_from_env()
    )
    engine = create_engine(target.database_url)
    started = time.monotonic()
    try:
        # the log is screened with the event types this projection reads
        stream = spec.stream(StreamSpec(name=target.stream, prefix=target.prefix))
        store = EventStore(nc, stream, registry=spec.registry)
        runner = ProjectionRunner(
            engine, store, spec.registry, spec.projection, write_in_thread=False
        )
        done = await runner.rebuild(on_progress=show)
    finally:
        engine.dispose()
        await nc.close()
    return done, time.monotonic() - started


def _finished(
    console: Console, target: Target, name: str, version: int, done: int, elapsed: float
) -> None:
    engine = create_engine(target.database_url)
    try:
        record_rebuild(engine, name, version, done, elapsed)
    finally:
        engine.dispose()
    console.print(f"{name}: rebuilt from {done:,} events")


def _shower(bar: Progress, task: TaskID) -> Callable[[ReplayProgress], None]:
    def show(progress: ReplayProgress) -> None:
        bar.update(task, completed=progress.done, total=progress.total, rate=progress.rate)

    return show


_COLUMNS = (
    TextColumn("[bold]{task.description}"),
    BarColumn(),
    MofNCompleteColumn(),
    TextColumn("{task.fields[rate]:>9,.0f} events/s"),
    TimeRemainingColumn(),
)
