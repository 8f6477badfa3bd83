"""Composition root of the simulator: ``create_app(settings)`` builds it, ``run()`` serves.

Today: ``GET /healthz`` and BingX's server time on the simulated clock. Market data,
accounts, trading and WebSockets arrive with issue 3.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

from fleet.bingx_sim.clock import SimClock
from fleet.bingx_sim.settings import SimSettings, parse_args


def create_app(settings: SimSettings) -> FastAPI:
    """The simulator's HTTP application."""
    clock = SimClock(settings.speed)
    app = FastAPI(title="BingX simulator", version="0.1.0")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, object]:
        return {
            "service": "bingx_sim",
            "status": "ok",
            "symbols": list(settings.symbols),
            "speed": settings.speed,
        }

    @app.get("/openApi/swap/v2/server/time")
    async def server_time() -> dict[str, object]:
        return {"code": 0, "msg": "", "data": {"serverTime": clock.now_ms()}}

    return app


def run(argv: list[str] | None = None) -> None:
    """Entry point of ``bingx-sim`` and ``python -m fleet.bingx_sim``."""
    settings = parse_args(argv if argv is not None else sys.argv[1:])
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
