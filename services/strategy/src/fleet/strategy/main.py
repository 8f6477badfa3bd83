"""Composition root of the strategy service: ``create_app`` builds everything, ``run`` reads
settings and serves. Nothing is built at import time."""

from __future__ import annotations

import sys

from faststream.asgi import AsgiFastStream

from fleet.bus import ServiceRuntime, make_broker, run_asgi
from fleet.settings import SettingsError, load_settings
from fleet.strategy.settings import StrategySettings

NOTE = (
    "skeleton: connects to NATS and verifies the event stream; "
    "market data, indicators and signals arrive with issue 4"
)


def create_app(settings: StrategySettings) -> AsgiFastStream:
    """Build the strategy service: its NATS broker, subscribers and health endpoints."""
    runtime = ServiceRuntime(settings, make_broker(settings), note=NOTE)
    return runtime.asgi()


def run() -> None:
    """Entry point: read settings (one clear line on bad input), then serve."""
    try:
        settings = load_settings(StrategySettings)
    except SettingsError as exc:
        print(f"fleet-strategy: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    run_asgi(create_app(settings), settings)
