"""Viewers (``/api/viewer/*``): the traders an admin granted them, read-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from fleet.gateway.adapters import marks
from fleet.gateway.api.admin_history import before_cursor, decisions_page
from fleet.gateway.api.routing import ServicesDep, make_router
from fleet.gateway.deps import Access, authorize
from fleet.gateway.read_models import views
from fleet.gateway.schemas.admin import Dashboard, GrantedTrader
from fleet.gateway.schemas.base import IdPath
from fleet.gateway.schemas.history import CursorPage, DecisionsHistoryQuery
from fleet.gateway.schemas.trading import DecisionOut

router = make_router("viewer")


@router.get("/api/viewer/traders", summary="The traders I may read", operation_id="viewer_traders")
async def traders(
    access: Annotated[Access, Depends(authorize("viewer.traders"))], services: ServicesDep
) -> list[GrantedTrader]:
    return await services.db.read(views.granted_traders, access.caller.user_id)


@router.get(
    "/api/viewer/traders/{trader_id}/dashboard",
    summary="A granted trader's dashboard, read-only",
    operation_id="viewer_dashboard",
)
async def dashboard(
    trader_id: IdPath,
    access: Annotated[Access, Depends(authorize("viewer.dashboard"))],
    services: ServicesDep,
) -> Dashboard:
    assert access.target is not None
    found = await services.db.read(views.dashboard_of, access.target)
    return await marks.valued_dashboard(services.nc, found)


@router.get(
    "/api/viewer/traders/{trader_id}/decisions",
    summary="A granted trader's risk decisions, newest first (cursor pages)",
    operation_id="viewer_decisions",
)
async def decisions(
    trader_id: IdPath,
    access: Annotated[Access, Depends(authorize("viewer.decisions"))],
    services: ServicesDep,
    query: Annotated[DecisionsHistoryQuery, Query()],
) -> CursorPage[DecisionOut]:
    cursor = before_cursor(query.before)
    return await decisions_page(services, access.target_id, query, cursor)
