"""Composition helpers shared by every service's ``main.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import prometheus_client
import uvicorn
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.middlewares import AckPolicy
from faststream.nats import NatsBroker

from fleet.eventstore import StreamSpec
from fleet.eventstore.stream import verify_stream
from fleet.obs import configure_logging, get_logger
from fleet.settings import ServiceSettings

Probe = Callable[[], Awaitable[str | None]]


def make_broker(settings: ServiceSettings) -> NatsBroker:
    """A FastStream NATS broker whose subscribers NACK (redeliver) when a handler raises."""
    return NatsBroker(
        settings.nats_url,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_reconnect_attempts=-1,
        connect_timeout=5,
    )


@dataclass
class ServiceRuntime:
    """What a service process runs: its broker, its health probes, what it is."""

    settings: ServiceSettings
    broker: NatsBroker
    note: str = ""
    probes: dict[str, Probe] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.probes.setdefault("nats", self._nats_probe)
        self.probes.setdefault("event_stream", self._stream_probe)

    async def _nats_probe(self) -> str | None:
        connection = self.broker.connection if hasattr(self.broker, "connection") else None
        if connection is None or not connection.is_connected:
            return "not connected to NATS"
        return None

    async def _stream_probe(self) -> str | None:
        connection = getattr(self.broker, "connection", None)
        if connection is None:
            return "not connected to NATS"
        spec = StreamSpec(name=self.settings.stream_name, prefix=self.settings.subject_prefix)
        try:
            verify_stream(await connection.jetstream().stream_info(spec.name), spec)
        except Exception as exc:
            return f"event stream {spec.name}: {exc}"
        return None

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """Run every probe: ``(healthy, body)``."""
        results = {name: await probe() for name, probe in self.probes.items()}
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
        """The ASGI app: the broker's lifecycle plus ``/healthz`` and ``/metrics``."""

        @get
        async def healthz(_scope: Any) -> AsgiResponse:
            import json

            healthy, body = await self.health()
            return AsgiResponse(
                json.dumps(body).encode(),
                status_code=200 if healthy else 503,
                headers={"content-type": "application/json"},
            )

        @get
        async def metrics(_scope: Any) -> AsgiResponse:
            return AsgiResponse(
                prometheus_client.generate_latest(),
                status_code=200,
                headers={"content-type": prometheus_client.CONTENT_TYPE_LATEST},
            )

        return AsgiFastStream(
            self.broker, asgi_routes=[("/healthz", healthz), ("/metrics", metrics)]
        )


def run_asgi(app: Any, settings: ServiceSettings) -> None:
    """Configure logging and serve ``app`` on the service's health/HTTP port."""
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    get_logger().info("starting", host=settings.http_host, port=settings.http_port)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_level="warning")
