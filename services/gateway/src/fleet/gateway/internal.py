"""The internal port: detailed health (every check, read-model lag) and ``/metrics``,
served on ``FLEET_GATEWAY_INTERNAL_HOST:FLEET_GATEWAY_INTERNAL_PORT`` (loopback by
default), never on the public port. Each gateway worker serves it on one shared port
(``SO_REUSEPORT``), so with several workers a scrape sees one worker's counters."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager

import prometheus_client
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fleet.gateway.health import CachedHealth


def internal_app(health: CachedHealth) -> Starlette:
    """``/healthz`` with every check and ``/metrics``."""

    async def detailed(_request: Request) -> Response:
        healthy, body = await health.report()
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def metrics(_request: Request) -> Response:
        latest = prometheus_client.generate_latest()
        return Response(latest, media_type=prometheus_client.CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/healthz", detailed), Route("/metrics", metrics)])


class _Embedded(uvicorn.Server):
    """A uvicorn server inside the gateway's own loop: the signals stay the main
    server's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _shared_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


@asynccontextmanager
async def internal_server(host: str, port: int | None, health: CachedHealth) -> AsyncIterator[None]:
    """Serve the internal port while the gateway runs (nothing when ``port`` is None)."""
    if port is None:
        yield
        return
    config = uvicorn.Config(
        internal_app(health),
        lifespan="off",
        log_level="warning",
        log_config=None,  # keep Fleet's JSON handler (uvicorn's default config has its own)
        access_log=False,
        server_header=False,
    )
    server = _Embedded(config)
    sock = _shared_socket(host, port)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield
    finally:
        server.should_exit = True
        await task
        sock.close()
