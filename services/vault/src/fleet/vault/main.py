"""Composition root of the vault service: ``create_app`` builds everything, ``run`` reads
settings and serves. Nothing is built at import time."""

from __future__ import annotations

from faststream.asgi import AsgiFastStream

from fleet.bus import ServiceRuntime, make_broker, serve
from fleet.vault.settings import VaultSettings
from fleet.vault.subscribers import register
from fleet.vault.worker import VaultWorker

NOTE = (
    "BingX credentials in Vault transit: connect, verify, sign, rotate, disconnect "
    "(crypto-shredding), periodic health checks"
)


def create_app(settings: VaultSettings, worker: VaultWorker | None = None) -> AsgiFastStream:
    """Build the vault service: its NATS broker, subscribers and health endpoints."""
    broker = make_broker(settings)
    worker = worker or VaultWorker(settings)
    register(broker, worker.deps)
    runtime = ServiceRuntime(settings, broker, note=NOTE, probes={"vault_view": worker.view_probe})
    return runtime.run_worker(worker)


def run() -> None:
    """Entry point: read settings (one clear line on bad input), then serve."""
    serve(VaultSettings, create_app)
