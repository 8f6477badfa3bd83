"""Composition root of the strategy service: ``create_app`` builds everything, ``run`` reads
settings and serves. Nothing is built at import time."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from fleet.bus import ServiceRuntime, make_broker, serve
from fleet.strategy.settings import StrategySettings
from fleet.strategy.worker import StrategyWorker

NOTE = (
    "market data in once for every running bot, candles out, signals into the event log; "
    "active/standby by a lease in NATS KV"
)


def create_app(settings: StrategySettings) -> AsgiFastStream:
    """Build the strategy service: its NATS broker, subscribers and health endpoints."""
    worker = StrategyWorker(settings)
    runtime = ServiceRuntime(
        settings, make_broker(settings), note=NOTE, probes={"market_stream": worker.market_probe}
    )
    # it serves no command: its broker is there for the connection and the lifecycle
    return runtime.run_worker(worker, after_broker=True)


def run() -> None:
    """Entry point: read settings (one clear line on bad input), then serve."""
    serve(StrategySettings, create_app)
