"""``/livez`` and ``/readyz`` for the kubelet and compose: status only, no detail.

``/livez`` answers while the event loop does (no dependency asked, so a NATS or
PostgreSQL outage never restarts the pod); ``/readyz`` is 200 only when every check of the
gateway's health report passes (NATS, event stream, PostgreSQL, read models).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse


async def livez(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    services = getattr(request.app.state, "services", None)
    if services is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    healthy, _ = await services.health.report()
    body = {"status": "ok" if healthy else "fail"}
    return JSONResponse(body, status_code=200 if healthy else 503)


def install_probes(app: FastAPI) -> None:
    """Add the two probe routes (outside the API schema and its policy table)."""
    app.add_route("/livez", livez, include_in_schema=False)
    app.add_route("/readyz", readyz, include_in_schema=False)
