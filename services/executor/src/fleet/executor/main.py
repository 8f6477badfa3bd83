"""Composition root of the executor service: ``create_app`` builds everything, ``run`` reads
settings and serves. Nothing is built at import time."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from fleet.bus import ServiceRuntime, make_broker, serve
from fleet.executor.settings import ExecutorSettings
from fleet.executor.subscribers import register
from fleet.executor.worker import ExecutorWorker

NOTE = "per-user bots: risk decisions, orders never placed twice, positions, partitions"


def create_app(settings: ExecutorSettings) -> AsgiFastStream:
    """Build the executor: its NATS broker, command subscribers, worker and health."""
    broker = make_broker(settings)
    worker = ExecutorWorker(settings)
    register(broker, worker.deps)
    runtime = ServiceRuntime(settings, broker, note=NOTE)

    async def caught_up() -> str | None:
        if not worker.directory_caught_up.is_set():
            return "still reading users, credentials and bots from the log"
        return None

    runtime.probes["directory"] = caught_up
    return runtime.run_worker(worker)


def run() -> None:
    """Entry point: read settings (one clear line on bad input), then serve."""
    serve(ExecutorSettings, create_app)
