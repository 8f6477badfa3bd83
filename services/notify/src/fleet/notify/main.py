"""Composition root of the notify service: ``create_app`` builds everything, ``run`` reads
settings and serves. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

from faststream.asgi import AsgiFastStream
from nats.aio.client import Client
from sqlalchemy import Engine

from fleet.bus import ServiceRuntime, make_broker, serve
from fleet.bus.loops import supervise
from fleet.eventstore import EventStore, StreamSpec
from fleet.notify.adapters.position import KvPosition
from fleet.notify.adapters.webhook import WebhookGuard
from fleet.notify.branding import keep_following
from fleet.notify.dispatcher import Dispatcher
from fleet.notify.domain.planner import Planner
from fleet.notify.errors import NotifyError
from fleet.notify.follower import Follower
from fleet.notify.settings import NotifySettings
from fleet.notify.subscribers import register
from fleet.notify.watermark import Watermark
from fleet.obs import get_logger
from fleet.projections.engine import service_engine
from fleet.projections.meta import migrate
from fleet.projections.personal_keys import PersonalKeys

NOTE = "notifications: follows the log; in-app, e-mail and webhooks, each delivery once"


class NotifyWorker:
    """The follower and the dispatcher, started and stopped with the app."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self._store: EventStore | None = None
        self._dispatcher: Dispatcher | None = None
        self._task: asyncio.Task[None] | None = None
        self._branding: asyncio.Task[None] | None = None
        self._engine: Engine | None = None

    def store(self) -> EventStore:
        if self._store is None:
            raise NotifyError("the notify service is still starting")
        return self._store

    async def start(self, nc: Client) -> None:
        """Follow the log and deliver on ``nc``, the service's one NATS connection (its
        broker's, which closes it after :meth:`stop`)."""
        s = self.settings
        self._store = EventStore(nc, StreamSpec(name=s.stream_name, prefix=s.subject_prefix))
        position = KvPosition(nc.jetstream(), s.notify_position_bucket)
        window = timedelta(seconds=s.notify_merge_window_s)
        planner = Planner(s.notify_max_per_hour, window, s.ui_url)
        watermark = Watermark(0)
        self._dispatcher = Dispatcher(s, self._store, watermark.finished)
        self._engine = service_engine(s.database_url, pool_size=2)
        await asyncio.to_thread(migrate, self._engine)  # fleet_meta: the personal-data keys
        keys = PersonalKeys(self._engine)

        async def reveal(data: dict[str, Any]) -> dict[str, Any]:
            opened: dict[str, Any] = await asyncio.to_thread(keys.reveal, data)
            return opened

        follower = Follower(
            self._store, position, planner, self._dispatcher, watermark, reveal=reveal
        )
        self._dispatcher.start()
        # resumes from its saved position whenever the supervisor restarts it
        self._task = supervise("notify follower", follower.run)
        store = self._store
        self._branding = supervise("branding", lambda: keep_following(store))

    async def probe(self) -> str | None:
        """``/healthz``: the follower must be running."""
        if self._task is None:
            return "not started"
        if self._task.done():  # cancelled: stopping
            return "the log follower stopped"
        return None  # failing and restarting: the runtime's "loops" check says so

    async def stop(self) -> None:
        if self._branding is not None:
            self._branding.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._branding
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._dispatcher is not None:
            await self._dispatcher.stop()
        if self._engine is not None:
            self._engine.dispose()
        get_logger().info("notify stopped")


def create_app(settings: NotifySettings, worker: NotifyWorker | None = None) -> AsgiFastStream:
    """Build the notify service: its NATS broker, command subscriber and health endpoints."""
    broker = make_broker(settings)
    worker = worker or NotifyWorker(settings)
    guard = WebhookGuard(settings.webhook_allowed_hosts).check
    register(broker, worker.store, guard)
    runtime = ServiceRuntime(settings, broker, note=NOTE, probes={"follower": worker.probe})
    return runtime.run_worker(worker)


def run() -> None:
    """Entry point: read settings (one clear line on bad input), then serve."""
    serve(NotifySettings, create_app)
