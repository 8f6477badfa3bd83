"""Composition root of the gateway: ``create_app`` builds everything, ``run`` serves.
Nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import nats
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.middleware.trustedhost import TrustedHostMiddleware

from fleet.bus.loops import supervise
from fleet.eventstore import EventStore, StreamSpec
from fleet.gateway.adapters.audit_log import AuditLog
from fleet.gateway.adapters.commands import CommandBus
from fleet.gateway.adapters.database import Database
from fleet.gateway.adapters.wrapping_keys import WrappingKeys
from fleet.gateway.api import (
    account,
    admin_bulk,
    admin_history,
    admin_ops,
    admin_plans,
    admin_settings,
    admin_system,
    admin_users,
    auth,
    billing,
    bingx,
    bingx_history,
    bot,
    charts,
    dev_mails,
    email_links,
    exports,
    live,
    notifications,
    ops,
    positions,
    tokens,
    viewer,
)
from fleet.gateway.deps import Services, check_every_route_authorized
from fleet.gateway.docs import install_docs
from fleet.gateway.errors import install_error_handlers
from fleet.gateway.health import CachedHealth, health
from fleet.gateway.internal import internal_server
from fleet.gateway.live.wiring import running_hub
from fleet.gateway.observability import RequestMetrics
from fleet.gateway.probes import install_probes
from fleet.gateway.read_models.runners import ReadModels
from fleet.gateway.request_limits import BodyLimit
from fleet.gateway.response_headers import NoStore
from fleet.gateway.sessions import SessionPolicy, SessionStore
from fleet.gateway.settings import GatewaySettings
from fleet.gateway.web import install_web_ui
from fleet.gateway.write_limits import WriteLimiter
from fleet.gateway.written_scope import WrittenScope
from fleet.obs import configure_logging, get_logger, settle_collector
from fleet.projections.engine import service_engine
from fleet.projections.meta import migrate
from fleet.projections.personal_keys import PersonalKeys
from fleet.settings import SettingsError, load_settings

DB_THREADS = 32  # worker threads of asyncio.to_thread (PostgreSQL calls); the pool has 40

TITLE = "Fleet gateway"
ROUTERS = (
    ops,
    auth,
    email_links,
    tokens,
    account,
    bingx,
    bingx_history,
    bot,
    admin_users,
    admin_ops,
    viewer,
    live,
    positions,
    exports,
    admin_history,
    notifications,
    dev_mails,
    charts,
    admin_bulk,
    admin_system,
    admin_settings,
    admin_plans,
    billing,
)
DESCRIPTION = """The only door for people. Browser clients sign in with
`POST /api/auth/login` (session cookie + `fleet_csrf` cookie, whose value every
state-changing request repeats in `X-CSRF-Token`); API clients send
`Authorization: Bearer flt_...` personal access tokens. Errors always have the shape
`{"error": {"code", "message", "details"}}`."""


@dataclass(frozen=True)
class Overrides:
    """What a test may replace: the database engine (the rest is real)."""

    engine: Engine | None = None


def database_engine(database_url: str) -> Engine:
    """The gateway's pool (Fleet's service pool rules: :func:`service_engine`)."""
    return service_engine(database_url, pool_size=20, max_overflow=20)


def create_app(settings: GatewaySettings, *, overrides: Overrides | None = None) -> FastAPI:
    """Build the gateway: routes, error mapping, and a lifespan that connects NATS,
    starts the read models and purges dead sessions."""
    chosen = overrides or Overrides()
    engine = chosen.engine or database_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _running(settings, engine) as services, running_hub(services) as hub:
            app.state.services = services
            app.state.live = hub
            yield

    app = FastAPI(
        title=TITLE,
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from local files by install_docs
        redoc_url=None,
        redirect_slashes=False,  # a redirect would name the Host the client sent
    )
    install_error_handlers(app)
    _install_middleware(app, settings)
    for module in ROUTERS:
        app.include_router(module.router)
    check_every_route_authorized(app)
    install_docs(app, TITLE)
    install_web_ui(app)
    install_probes(app)
    return app


def _install_middleware(app: FastAPI, settings: GatewaySettings) -> None:
    # the last added runs first: headers on every answer, then the Host check, then the
    # body limit, before anything is routed or parsed; the innermost opens the request's
    # read-your-writes scope
    app.add_middleware(WrittenScope)
    app.add_middleware(RequestMetrics)
    app.add_middleware(BodyLimit, max_bytes=settings.http_max_body_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.served_hosts())
    hsts = settings.hsts_max_age_s if settings.cookie_secure else 0
    app.add_middleware(NoStore, hsts_max_age_s=hsts)


@asynccontextmanager
async def _running(settings: GatewaySettings, engine: Engine) -> AsyncIterator[Services]:
    # every read model's runner commits in a worker thread, and the live hub's and the
    # write paths' waits poll checkpoints in one: asyncio's default of cpu + 4 threads
    # (6 here) queued those polls behind the commits for seconds
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="gateway-db")
    )
    nc = await nats.connect(
        **settings.nats_options(), connect_timeout=5, max_reconnect_attempts=-1, name="gateway"
    )
    stream = StreamSpec(name=settings.stream_name, prefix=settings.subject_prefix)
    store = EventStore(nc, stream)
    lifetimes = SessionPolicy(
        ttl=timedelta(hours=settings.session_ttl_hours),
        idle=timedelta(minutes=settings.session_idle_minutes),
    )
    read_models = ReadModels(engine, store)
    commands = CommandBus(nc, timeout=settings.command_timeout_s)
    services = Services(
        settings=settings,
        db=Database(engine),
        sessions=SessionStore(engine, lifetimes),
        commands=commands,
        audit=AuditLog(store, PersonalKeys(engine)),
        read_models=read_models,
        nc=nc,
        stream=stream,
        health=CachedHealth(lambda: health(nc, stream, engine, read_models)),
        writes=WriteLimiter(settings.user_writes_per_minute, settings.user_writes_burst),
        wrapping_keys=WrappingKeys(commands, timeout=settings.connect_timeout_s),
    )
    await asyncio.to_thread(migrate, engine)  # fleet_meta: the personal-data keys
    await asyncio.to_thread(services.sessions.create_schema)
    await services.read_models.start(own_loop_nats=settings.nats_options())
    # housekeeping: supervised (restarted with back-off, counted) but never failing /readyz
    purger = supervise("gateway session purge", lambda: _purge_sessions(services), required=False)
    internal = internal_server(
        settings.gateway_internal_host, settings.gateway_internal_port, services.health
    )
    try:
        async with internal:
            yield services
    finally:
        purger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purger
        await services.read_models.stop()
        await nc.close()
        engine.dispose()


async def _purge_sessions(services: Services) -> None:
    log = get_logger("fleet.gateway.sessions")
    while True:
        await asyncio.sleep(services.settings.session_purge_minutes * 60)
        purged = await asyncio.to_thread(services.sessions.purge)  # a failure: restarted
        if purged:
            log.info("sessions purged", count=purged)


def run() -> None:
    """Entry point: read settings (one clear line on bad input), then serve, in
    ``FLEET_HTTP_WORKERS`` processes (each builds its own app from the environment)."""
    settings = _settings_or_exit()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    get_logger().info(
        "starting", host=settings.http_host, port=settings.http_port, workers=settings.http_workers
    )
    many = settings.http_workers > 1
    settle_collector()  # this process's; each of many workers settles its own
    app: FastAPI | str = "fleet.gateway.main:worker_app" if many else create_app(settings)
    uvicorn.run(
        app,
        factory=many,
        workers=settings.http_workers,
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
        # log_config=None: uvicorn's own lines keep the handler configure_logging set (JSON)
        log_config=None,
        access_log=False,
        proxy_headers=False,  # the client address is deps.client_ip's job alone
        server_header=False,
        http="h11",  # h11 bounds the request head; httptools does not
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
        ws="websockets-sansio",
        ws_max_size=settings.live_max_message_bytes,
        ws_ping_interval=settings.live_ping_s,
        ws_ping_timeout=settings.live_ping_s,
    )


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn's factory when ``FLEET_HTTP_WORKERS`` > 1)."""
    settings = _settings_or_exit()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    settle_collector()
    return create_app(settings)


def _settings_or_exit() -> GatewaySettings:
    try:
        return load_settings(GatewaySettings)
    except SettingsError as exc:
        print(f"fleet-gateway: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
