"""Composition root of the gateway: ``create_app`` builds everything, ``run`` serves.
Nothing is built at import time."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import prometheus_client
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, create_engine, text

from fleet.bus import ServiceRuntime, make_broker
from fleet.gateway.settings import GatewaySettings
from fleet.obs import configure_logging
from fleet.settings import SettingsError, load_settings

NOTE = (
    "skeleton: serves /healthz and /metrics, checks NATS, the event stream and PostgreSQL; "
    "the HTTP API, web UI and read models arrive with issue 5"
)


def create_app(settings: GatewaySettings, *, engine: Engine | None = None) -> FastAPI:
    """Build the gateway: NATS broker, database engine, routes."""
    broker = make_broker(settings)
    database = engine or create_engine(settings.database_url, pool_pre_ping=True)
    runtime = ServiceRuntime(settings, broker, note=NOTE)

    async def database_probe() -> str | None:
        def ping() -> None:
            with database.connect() as connection:
                connection.execute(text("SELECT 1"))

        try:
            await asyncio.to_thread(ping)
        except Exception as exc:
            return f"PostgreSQL unreachable: {type(exc).__name__}"
        return None

    runtime.probes["postgres"] = database_probe

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await broker.start()
        try:
            yield
        finally:
            await broker.stop()
            database.dispose()

    app = FastAPI(title="Fleet gateway", version="0.1.0", lifespan=lifespan)

    @app.get("/healthz", tags=["ops"], summary="Liveness and readiness of the gateway")
    async def healthz() -> JSONResponse:
        healthy, body = await runtime.health()
        return JSONResponse(body, status_code=200 if healthy else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(
            prometheus_client.generate_latest(), media_type=prometheus_client.CONTENT_TYPE_LATEST
        )

    return app


def run() -> None:
    """Entry point: read settings (one clear line on bad input), then serve."""
    try:
        settings = load_settings(GatewaySettings)
    except SettingsError as exc:
        print(f"fleet-gateway: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    uvicorn.run(
        create_app(settings), host=settings.http_host, port=settings.http_port, log_level="warning"
    )
