"""Operations: ``/healthz`` (readiness with reasons) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

from typing import Annotated

import prometheus_client
from fastapi import Depends
from fastapi.responses import JSONResponse, Response

from fleet.gateway.api.common import ServicesDep, make_router
from fleet.gateway.deps import Access, authorize
from fleet.gateway.schemas.common import HealthOut

router = make_router("ops")


@router.get(
    "/healthz",
    summary="Liveness and readiness (NATS, event stream, PostgreSQL, read models)",
    operation_id="healthz",
    responses={
        200: {"model": HealthOut, "description": "Every check passed"},
        503: {"model": HealthOut, "description": "A dependency is down (reasons in checks)"},
    },
)
async def healthz(
    access: Annotated[Access, Depends(authorize("ops.health"))], found: ServicesDep
) -> JSONResponse:
    healthy, body = await found.health.report()
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/metrics", include_in_schema=False, operation_id="metrics")
async def metrics(access: Annotated[Access, Depends(authorize("ops.health"))]) -> Response:
    return Response(
        prometheus_client.generate_latest(), media_type=prometheus_client.CONTENT_TYPE_LATEST
    )
