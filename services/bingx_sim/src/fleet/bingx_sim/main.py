"""Composition root of the simulator: ``create_app(settings)`` builds it, ``run()`` serves.

REST at BingX's paths (market data, account, trading, listenKey) and the ``/sim/`` admin
API, the market WebSocket (klines) and the user-data stream; a background ticker fills
delayed and resting orders, fires stops and pays funding.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.routing import Route

from fleet.bingx_sim import snapshot
from fleet.bingx_sim.api import admin, history, market, trading, ws
from fleet.bingx_sim.api.admin_auth import admin_guard
from fleet.bingx_sim.api.signed import error
from fleet.bingx_sim.clock import SimClock
from fleet.bingx_sim.domain.accounts import SimError
from fleet.bingx_sim.domain.limits import EdgeRefusal, RateLimits
from fleet.bingx_sim.domain.market import CsvPath, Market, PricePath
from fleet.bingx_sim.metrics import metrics_text
from fleet.bingx_sim.settings import SimSettings, parse_args
from fleet.bingx_sim.state import TICK_EVERY_S, SimState
from fleet.obs import configure_logging, count_unexpected, settle_collector

log = logging.getLogger(__name__)
HISTORY_MINUTES = 3 * 24 * 60  # klines exist from three simulated days before start


def build_state(settings: SimSettings, start_ms: int | None = None) -> SimState:
    """The simulator's in-memory world."""
    clock = SimClock(settings.speed, start_ms)
    origin = clock.now_ms() - HISTORY_MINUTES * 60_000
    paths: dict[str, PricePath] = {s: PricePath(s, settings.seed, origin) for s in settings.symbols}
    for csv_path in settings.candles:
        symbol = csv_path.stem.split("_")[0]
        paths[symbol] = CsvPath(symbol, csv_path, origin)
    return SimState(
        clock,
        Market(paths),
        limits=RateLimits(settings.rate_limits, escalate=settings.strict),
        push_interval_s=settings.push_interval_s,
        strict=settings.strict,
        final_push=settings.final_push,
    )


async def apply_faults_and_market_limits(request: Request) -> None:
    """Injected latency and errors, and the per-IP market-data limit (a dependency rather
    than an HTTP middleware: Starlette's middleware cost as much as signature checks)."""
    state: SimState = request.app.state.sim
    if state.faults.latency_ms:
        await asyncio.sleep(state.faults.latency_ms / 1000)
    if state.faults.bare_status_count > 0:
        state.faults.bare_status_count -= 1
        raise EdgeRefusal(state.faults.bare_status)
    if state.faults.error_rate and random.random() < state.faults.error_rate:  # noqa: S311
        raise SimError(100500, "The current system is busy, please try again later")
    path: str = request.scope["path"]
    if "/quote/" in path or "/ticker/" in path:
        ip = request.client.host if request.client else ""
        state.limits.check(path, "GET", ip, None, int(time.time() * 1000))


async def _place_order(request: Request) -> Response:
    await apply_faults_and_market_limits(request)
    return await trading.place_order(request)


def create_app(settings: SimSettings) -> FastAPI:
    """The simulator's HTTP application."""
    state = build_state(settings)
    if settings.snapshot is not None and settings.snapshot.exists():
        snapshot.load(state, settings.snapshot)

    async def ticker() -> None:
        """Delayed fills, resting orders, stops and funding move without any request."""
        while True:
            await asyncio.sleep(TICK_EVERY_S)
            try:
                state.tick()
            except Exception:  # one bad tick must not stop every later fill
                count_unexpected("bingx_sim.tick")
                log.exception("tick failed")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(ticker())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if settings.snapshot is not None:
            snapshot.save(state, settings.snapshot)

    app = FastAPI(title="BingX simulator", version="0.2.0", lifespan=lifespan)
    app.state.sim = state
    bingx_paths = [Depends(apply_faults_and_market_limits)]
    app.include_router(market.router, dependencies=bingx_paths)
    app.include_router(trading.router, dependencies=bingx_paths)
    app.include_router(admin.router, dependencies=[Depends(admin_guard(settings.host))])
    app.include_router(history.router, dependencies=[Depends(admin_guard(settings.host))])
    app.include_router(ws.router)
    # Placing an order, the one path a signal's fan-out takes a thousand times a second,
    # is a plain Starlette route matched first: FastAPI's dependency solving and its scan
    # of every route before it were a fifth of the simulator's CPU per order.
    app.router.routes.insert(0, Route(trading.ORDER_PATH, _place_order, methods=["POST"]))

    @app.exception_handler(EdgeRefusal)
    async def edge_refusal(_request: Request, exc: EdgeRefusal) -> PlainTextResponse:
        return PlainTextResponse(f"{exc.status} refused", status_code=exc.status)

    @app.exception_handler(SimError)
    async def bingx_error(_request: Request, exc: SimError) -> JSONResponse:
        return error(exc.code, exc.message)

    _add_probes(app, state, settings)
    return app


def _add_probes(app: FastAPI, state: SimState, settings: SimSettings) -> None:
    """``/metrics`` and ``/healthz``, outside BingX's paths (no faults, no limits)."""

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(metrics_text(state), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, object]:
        return {
            "service": "bingx_sim",
            "status": "ok",
            "symbols": list(settings.symbols),
            "speed": settings.speed,
            "time": int(time.time() * 1000),
        }


def run(argv: list[str] | None = None) -> None:
    """Entry point of ``bingx-sim`` and ``python -m fleet.bingx_sim``."""
    settings = parse_args(argv if argv is not None else sys.argv[1:])
    configure_logging("bingx_sim", "warning", "json")  # uvicorn's lines too (log_config=None)
    settle_collector()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        log_config=None,
    )
