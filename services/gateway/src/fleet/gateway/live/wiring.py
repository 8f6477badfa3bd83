"""The live hub's life: built from the gateway's services and settings, started after the
read models, stopped before them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fleet.eventstore import EventStore
from fleet.eventstore.stream import TelemetrySpec
from fleet.gateway.deps import Services
from fleet.gateway.live.hub import LiveHub, LiveLimits


@asynccontextmanager
async def running_hub(services: Services) -> AsyncIterator[LiveHub]:
    """A started hub for this process's sockets."""
    settings = services.settings
    limits = LiveLimits(
        sockets=settings.live_max_sockets,
        sockets_per_user=settings.live_max_sockets_per_user,
        queue_frames=settings.live_queue_frames,
        session_idle=timedelta(minutes=settings.session_idle_minutes),
    )
    read_models = services.read_models
    store = read_models.store
    telemetry = EventStore(store.nc, TelemetrySpec.beside(store.spec).as_log())
    hub = LiveHub(store, read_models, read_models.engine, limits, telemetry)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()
