"""Composition helpers shared by every service's ``main.py``."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import prometheus_client
import uvicorn
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.exceptions import IncorrectState
from faststream.middlewares import AckPolicy
from faststream.nats import NatsBroker
from faststream.nats.security import NatsNKey, NatsSecurity
from nats.aio.client import Client

from fleet.bus.loops import LOOPS
from fleet.eventstore import StreamSpec
from fleet.eventstore.errors import NATS_TROUBLE
from fleet.eventstore.stream import verify_stream
from fleet.obs import configure_logging, get_logger, settle_collector
from fleet.settings import ServiceSettings, SettingsError, load_settings

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)

Probe = Callable[[], Awaitable[str | None]]
# What a service starts once NATS is up, on the one connection its broker opened.
Start = Callable[[Client], Awaitable[None]]
# The pod's terminationGracePeriodSeconds is 30: shutdown hooks and the broker's drain get
# this long, then the process exits anyway (with NATS down, each release or drain would
# otherwise wait for its own timeouts, one after another, far past the grace period).
STOP_BUDGET_S = 20.0
# A probe answers within this, whatever its dependency does: a NATS outage must make
# /readyz say "fail" quickly, never make the kubelet's request time out.
PROBE_TIMEOUT_S = 2.0


async def bounded(probe: Probe, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """``probe()``'s answer, or a reason when it takes longer than ``timeout``."""
    try:
        return await asyncio.wait_for(probe(), timeout)
    except TimeoutError:
        return f"no answer in {timeout:.0f} s"


def make_broker(settings: ServiceSettings) -> NatsBroker:
    """A FastStream NATS broker whose subscribers NACK (redeliver) when a handler raises."""
    options = settings.nats_options()
    servers, tls = options.pop("servers"), options.pop("tls", None)
    seed = options.pop("nkeys_seed", None)
    # FastStream takes the seed and the TLS context (verify-full) as one security object
    security: NatsSecurity | None = None
    if seed is not None:
        security = NatsNKey(seed, ssl_context=tls)
    elif tls is not None:
        security = NatsSecurity(ssl_context=tls)
    return NatsBroker(
        servers,
        **options,
        security=security,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_reconnect_attempts=-1,
        connect_timeout=5,
        name=settings.service_name,  # how nats-server's /connz names it
        # our own loggers: FastStream adds a coloured handler only to its default one,
        # so these reach Fleet's JSON renderer (fleet.obs.configure_logging)
        logger=logging.getLogger("faststream.broker"),
    )


class Worker(Protocol):
    """What a service runs beside its command subscribers, on the broker's connection."""

    async def start(self, nc: Client) -> None:
        """Start on the process's one NATS connection."""

    async def stop(self) -> None:
        """Stop (a shutdown hook: bounded by :data:`STOP_BUDGET_S`)."""


@dataclass
class ServiceRuntime:
    """What a service process runs: its broker, its health probes, what it is.

    The broker's connection is the process's only NATS connection: commands, the event
    store, KV buckets and raw subscriptions all use it (:meth:`on_connected`), and the
    probes check it. The broker drains and closes it after the shutdown hooks."""

    settings: ServiceSettings
    broker: NatsBroker
    note: str = ""
    probes: dict[str, Probe] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.probes.setdefault("nats", self._nats_probe)
        self.probes.setdefault("event_stream", self._stream_probe)
        self.probes.setdefault("loops", LOOPS.probe)

    def on_connected(
        self, app: AsgiFastStream, start: Start, *, after_broker: bool = False
    ) -> None:
        """Run ``start`` at startup with the broker's connection (opened here when the
        broker has not started yet: its own start then reuses it): before the command
        subscribers start, or after them when ``after_broker``."""

        async def hook() -> None:
            await start(await self.broker.connect())

        if after_broker:
            app.after_startup(hook)
        else:
            app.on_startup(hook)

    def run_worker(self, worker: Worker, *, after_broker: bool = False) -> AsgiFastStream:
        """The service's ASGI app (:meth:`asgi`) with ``worker`` started on the broker's
        connection (:meth:`on_connected`) and stopped at shutdown."""
        app = self.asgi()
        self.on_connected(app, worker.start, after_broker=after_broker)
        app.on_shutdown(worker.stop)
        return app

    def _connection(self) -> Client | None:
        """The broker's connection, or ``None`` before it connected (FastStream's state
        then raises instead of answering)."""
        try:
            return self.broker.connection
        except IncorrectState:
            return None

    async def _nats_probe(self) -> str | None:
        connection = self._connection()
        if connection is None or not connection.is_connected:
            return "not connected to NATS"
        return None

    async def _stream_probe(self) -> str | None:
        connection = self._connection()
        if connection is None or not connection.is_connected:
            return "not connected to NATS"
        spec = StreamSpec(name=self.settings.stream_name, prefix=self.settings.subject_prefix)
        try:
            verify_stream(await connection.jetstream().stream_info(spec.name), spec)
        except NATS_TROUBLE as exc:
            return f"event stream {spec.name}: {exc}"
        return None

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """Run every probe: ``(healthy, body)``."""
        results = {name: await bounded(probe) for name, probe in self.probes.items()}
        failed = any(reason is not None for reason in results.values())
        body: dict[str, Any] = {
            "service": self.settings.service_name,
            "status": "fail" if failed else "ok",
            "checks": {name: reason or "ok" for name, reason in results.items()},
        }
        if self.note:
            body["note"] = self.note
        return not failed, body

    def asgi(self) -> AsgiFastStream:
        """The ASGI app: the broker's lifecycle plus ``/livez`` (the process's event loop
        answers; no dependency is asked, so a NATS outage never restarts the pod),
        ``/readyz`` and ``/healthz`` (every probe, bounded: 503 with reasons) and
        ``/metrics``."""

        @get
        async def livez(_scope: Any) -> AsgiResponse:
            return _json({"service": self.settings.service_name, "status": "ok"}, 200)

        @get
        async def readyz(_scope: Any) -> AsgiResponse:
            healthy, body = await self.health()
            return _json(body, 200 if healthy else 503)

        @get
        async def metrics(_scope: Any) -> AsgiResponse:
            return AsgiResponse(
                prometheus_client.generate_latest(),
                status_code=200,
                headers={"content-type": prometheus_client.CONTENT_TYPE_LATEST},
            )

        routes = [("/livez", livez), ("/readyz", readyz), ("/healthz", readyz)]
        return BoundedStopApp(
            self.broker,
            asgi_routes=[*routes, ("/metrics", metrics)],
            logger=logging.getLogger("faststream.app"),
        )


class BoundedStopApp(AsgiFastStream):
    """An ASGI FastStream app whose stop (shutdown hooks, then the broker) ends within
    :data:`STOP_BUDGET_S`, whatever NATS does."""

    async def stop(self) -> None:
        """Run the shutdown hooks and stop the broker; cut short after the budget."""
        try:
            await asyncio.wait_for(super().stop(), STOP_BUDGET_S)
        except TimeoutError:
            get_logger().warning("stop cut short: still waiting", after_s=STOP_BUDGET_S)


def _json(body: dict[str, Any], status: int) -> AsgiResponse:
    return AsgiResponse(
        json.dumps(body).encode(), status_code=status, headers={"content-type": "application/json"}
    )


def serve(settings_type: type[SettingsT], build: Callable[[SettingsT], Any]) -> None:
    """A service's entry point: read its settings (bad input: one line naming the variable,
    exit code 2, no traceback), build its app, then serve it."""
    try:
        settings = load_settings(settings_type)
    except SettingsError as exc:
        name = settings_type.model_fields["service_name"].default
        print(f"fleet-{name}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    run_asgi(build(settings), settings)


def run_asgi(app: Any, settings: ServiceSettings) -> None:
    """Configure logging and serve ``app`` on the service's health/HTTP port."""
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    get_logger().info("starting", host=settings.http_host, port=settings.http_port)
    settle_collector()
    # log_config=None: uvicorn keeps the handlers configure_logging set (JSON, no colours)
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
        log_config=None,
        server_header=False,  # no "server: uvicorn" banner
    )
