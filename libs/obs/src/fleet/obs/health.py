"""``GET /healthz`` and ``GET /metrics`` for every service, served by uvicorn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import prometheus_client
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class HealthCheck:
    """A named readiness probe; ``probe`` returns ``None`` when healthy, else a reason."""

    name: str
    probe: Callable[[], Awaitable[str | None]]


def health_app(service: str, checks: list[HealthCheck], note: str = "") -> Starlette:
    """A tiny ASGI app: ``/healthz`` runs every check (503 with reasons if one fails)."""

    async def healthz(_request: Request) -> JSONResponse:
        results = {check.name: await check.probe() for check in checks}
        failed = {name: reason for name, reason in results.items() if reason is not None}
        body: dict[str, object] = {
            "service": service,
            "status": "fail" if failed else "ok",
            "checks": {name: reason or "ok" for name, reason in results.items()},
        }
        if note:
            body["note"] = note
        return JSONResponse(body, status_code=503 if failed else 200)

    async def metrics(_request: Request) -> Response:
        return Response(
            prometheus_client.generate_latest(), media_type=prometheus_client.CONTENT_TYPE_LATEST
        )

    return Starlette(routes=[Route("/healthz", healthz), Route("/metrics", metrics)])


def health_server(app: Starlette, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for ``app`` that the caller runs with ``await server.serve()``."""
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", log_config=None
    )
    return uvicorn.Server(config)


async def serve_health(app: Starlette, host: str, port: int) -> None:
    """Serve ``app`` until cancelled."""
    await health_server(app, host, port).serve()
