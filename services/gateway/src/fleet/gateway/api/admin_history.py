"""An admin reads one trader's whole history, read-only: every closed trade, session and
risk decision, newest first, in cursor pages (``before``) that rows arriving meanwhile
never shift. The first page of each list is an audit entry (paging on is the same view)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from fleet.gateway.api.routing import ServicesDep, audit, make_router
from fleet.gateway.deps import Access, Services, authorize
from fleet.gateway.errors import invalid
from fleet.gateway.read_models.trading import history
from fleet.gateway.read_models.trading.queries import TradeFilter
from fleet.gateway.schemas.base import IdPath
from fleet.gateway.schemas.history import (
    CursorPage,
    CursorQuery,
    DecisionsHistoryQuery,
    TradesHistoryQuery,
)
from fleet.gateway.schemas.trading import DecisionOut, SessionOut, TradeOut

router = make_router("admin: trading")


async def _start(
    services: Services, access: Access, query: CursorQuery, kind: str
) -> history.Cursor | None:
    if query.before is None:
        await audit(
            services,
            access,
            "admin.history.view",
            target=access.target_id,
            details={"list": kind},
        )
        return None
    return before_cursor(query.before)


def before_cursor(before: str | None) -> history.Cursor | None:
    """A page's ``before=`` cursor (none: the first page); a bad one is a 400 on
    ``before`` (every cursor-paged list: the trader's, the viewer's, the admin's)."""
    if not before:
        return None
    try:
        return history.Cursor.decode(before)
    except history.BadCursor as exc:
        raise invalid("before", str(exc)) from None


@router.get(
    "/api/admin/users/{user_id}/trades",
    summary="Every closed trade of a trader, newest first (cursor pages)",
    operation_id="admin_trades",
)
async def trades(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.history"))],
    services: ServicesDep,
    query: Annotated[TradesHistoryQuery, Query()],
) -> CursorPage[TradeOut]:
    cursor = await _start(services, access, query, "trades")
    where = TradeFilter(query.symbol, query.since, query.until)
    page = await services.db.read(
        history.trades_history, access.target_id, where, cursor, query.limit
    )
    return CursorPage[TradeOut].model_validate(
        {"items": page.items, "limit": query.limit, "next_before": page.next_before},
        from_attributes=True,
    )


@router.get(
    "/api/admin/users/{user_id}/sessions",
    summary="Every trading session of a trader, newest first (cursor pages)",
    operation_id="admin_sessions",
)
async def sessions(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.history"))],
    services: ServicesDep,
    query: Annotated[CursorQuery, Query()],
) -> CursorPage[SessionOut]:
    cursor = await _start(services, access, query, "sessions")
    page = await services.db.read(history.sessions_history, access.target_id, cursor, query.limit)
    return CursorPage[SessionOut].model_validate(
        {"items": page.items, "limit": query.limit, "next_before": page.next_before},
        from_attributes=True,
    )


@router.get(
    "/api/admin/users/{user_id}/decisions",
    summary="Every risk decision for a trader, newest first (cursor pages)",
    operation_id="admin_decisions",
)
async def decisions(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.history"))],
    services: ServicesDep,
    query: Annotated[DecisionsHistoryQuery, Query()],
) -> CursorPage[DecisionOut]:
    cursor = await _start(services, access, query, "decisions")
    return await decisions_page(services, access.target_id, query, cursor)


async def decisions_page(
    services: Services, user_id: str, query: DecisionsHistoryQuery, cursor: history.Cursor | None
) -> CursorPage[DecisionOut]:
    """One cursor page of a trader's decisions (the admin's list and the viewer's)."""
    page = await services.db.read(
        history.decisions_history,
        user_id,
        history.DecisionFilter(query.symbol, query.decision, query.routine),
        cursor,
        query.limit,
    )
    return CursorPage[DecisionOut].model_validate(
        {"items": page.items, "limit": query.limit, "next_before": page.next_before},
        from_attributes=True,
    )
