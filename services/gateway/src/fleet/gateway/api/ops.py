"""``/healthz`` on the public port: up or not, with no detail. Every check, the
read-model lag and ``/metrics`` are on the internal port (``internal.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.responses import JSONResponse

from fleet.gateway.api.routing import ServicesDep, make_router
from fleet.gateway.deps import Access, authorize
from fleet.gateway.schemas.base import LivenessOut

router = make_router("ops")


@router.get(
    "/healthz",
    summary="Up or not (the detail is on the internal port)",
    operation_id="healthz",
    responses={
        200: {"model": LivenessOut, "description": "Serving"},
        503: {"model": LivenessOut, "description": "A dependency is down"},
    },
)
async def healthz(
    access: Annotated[Access, Depends(authorize("ops.health"))], services: ServicesDep
) -> JSONResponse:
    healthy, _detail = await services.health.report()
    return JSONResponse(
        {"status": "ok" if healthy else "fail"}, status_code=200 if healthy else 503
    )
