"""Composition root of the executor service: ``create_app`` builds everything, ``run`` reads
settings and serves. Nothing is built at import time."""

from __future__ import annotations

import sys

from faststream.asgi import AsgiFastStream

from fleet.bus import ServiceRuntime, make_broker, run_asgi
from fleet.executor.settings import ExecutorSettings
from fleet.settings import SettingsError, load_settings

NOTE = (
    "skeleton: connects to NATS and verifies the event stream; "
    "bots, risk engine and orders arrive with issue 7"
)


def create_app(settings: ExecutorSettings) -> AsgiFastStream:
    """Build the executor service: its NATS broker, subscribers and health endpoints."""
    runtime = ServiceRuntime(settings, make_broker(settings), note=NOTE)
    return runtime.asgi()


def run() -> None:
    """Entry point: read settings (one clear line on bad input), then serve."""
    try:
        settings = load_settings(ExecutorSettings)
    except SettingsError as exc:
        print(f"fleet-executor: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    run_asgi(create_app(settings), settings)
