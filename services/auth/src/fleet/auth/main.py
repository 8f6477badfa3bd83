"""Composition root of the auth service: ``create_app`` builds everything, ``run`` reads
settings and serves. Nothing is built at import time."""

from __future__ import annotations

import sys

from faststream.asgi import AsgiFastStream

from fleet.auth.settings import AuthSettings
from fleet.bus import ServiceRuntime, make_broker, run_asgi
from fleet.settings import SettingsError, load_settings

NOTE = (
    "skeleton: connects to NATS and verifies the event stream; "
    "users, roles, sessions and grants arrive with issue 5"
)


def create_app(settings: AuthSettings) -> AsgiFastStream:
    """Build the auth service: its NATS broker, subscribers and health endpoints."""
    runtime = ServiceRuntime(settings, make_broker(settings), note=NOTE)
    return runtime.asgi()


def run() -> None:
    """Entry point: read settings (one clear line on bad input), then serve."""
    try:
        settings = load_settings(AuthSettings)
    except SettingsError as exc:
        print(f"fleet-auth: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    run_asgi(create_app(settings), settings)
