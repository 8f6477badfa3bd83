"""CSV downloads: a trader's closed trades, sessions and risk decisions (the trader his
own, a viewer his granted traders', an admin any trader's) and the audit log (admins).
Streamed page by page from the read model through the same filters as the JSON lists;
every download is an audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from fleet.gateway.api import csv_stream
from fleet.gateway.api.routing import ServicesDep, audit, make_router
from fleet.gateway.deps import Access, Services, authorize
from fleet.gateway.read_models.audit.queries import AuditFilter, audit_before
from fleet.gateway.read_models.trading import history
from fleet.gateway.read_models.trading.queries import TradeFilter
from fleet.gateway.schemas.admin import AuditEntry
from fleet.gateway.schemas.base import IdPath
from fleet.gateway.schemas.history import (
    AuditExportFilter,
    DecisionsFilter,
    IncomeFilter,
    IncomeOut,
    TradesFilter,
)
from fleet.gateway.schemas.trading import DecisionOut, SessionOut, TradeOut

router = make_router("exports")
PAGE = 500
Kind = Literal["trades", "sessions", "decisions", "income"]
CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}
}
ROW_MODELS: dict[str, type[BaseModel]] = {
    "trades": TradeOut,
    "sessions": SessionOut,
    "decisions": DecisionOut,
    "income": IncomeOut,
}
TradesQ = Annotated[TradesFilter, Query()]
DecisionsQ = Annotated[DecisionsFilter, Query()]
IncomeQ = Annotated[IncomeFilter, Query()]


def _fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(model.model_fields)


def _csv(services: Services, user_id: str, kind: Kind, where: BaseModel | None) -> Any:
    """The rows of one kind for one trader, with the filters ``where`` gives."""

    async def fetch(after: Any) -> tuple[Sequence[BaseModel], Any]:
        cursor = history.Cursor.decode(after) if after else None
        page = await services.db.read(_page, user_id, kind, where, cursor)
        return page.items, page.next_before

    return csv_stream.stream(_fields(ROW_MODELS[kind]), fetch)


def _page(
    connection: Any, user_id: str, kind: Kind, where: Any, cursor: history.Cursor | None
) -> history.HistoryPage:
    if kind == "trades":
        found = TradeFilter(where.symbol, where.since, where.until)
        return history.trades_history(connection, user_id, found, cursor, PAGE)
    if kind == "sessions":
        return history.sessions_history(connection, user_id, cursor, PAGE)
    if kind == "income":
        moved = history.IncomeFilter(where.income_type, where.since, where.until)
        return history.income_history(connection, user_id, moved, cursor, PAGE)
    return history.decisions_history(
        connection, user_id, history.DecisionFilter(where.symbol), cursor, PAGE
    )


def download(rows: Any, name: str) -> StreamingResponse:
    """A CSV attachment named ``fleet-<name>-<UTC stamp>.csv``, never cached."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    disposition = f'attachment; filename="fleet-{name}-{stamp}.csv"'
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


async def _export(
    services: Services, access: Access, user_id: str, kind: Kind, where: BaseModel | None
) -> StreamingResponse:
    filters = where.model_dump(mode="json", exclude_none=True) if where else {}
    role = access.caller.role
    action = f"{'trading' if role == 'trader' else role}.export.{kind}"
    await audit(services, access, action, target=user_id, details=filters)
    return download(_csv(services, user_id, kind, where), f"{kind}-{user_id}")


# the trader's own


@router.get(
    "/api/trades.csv",
    summary="My closed trades as CSV",
    responses=CSV_ANSWER,
    operation_id="export_trades",
    response_class=StreamingResponse,
)
async def my_trades(
    access: Annotated[Access, Depends(authorize("trading.export"))],
    services: ServicesDep,
    where: TradesQ,
) -> StreamingResponse:
    return await _export(services, access, access.caller.user_id, "trades", where)


@router.get(
    "/api/income.csv",
    summary="My account's income (funding, fees, transfers) as CSV",
    responses=CSV_ANSWER,
    operation_id="export_income",
    response_class=StreamingResponse,
)
async def my_income(
    access: Annotated[Access, Depends(authorize("trading.export"))],
    services: ServicesDep,
    where: IncomeQ,
) -> StreamingResponse:
    return await _export(services, access, access.caller.user_id, "income", where)


@router.get(
    "/api/sessions.csv",
    summary="My trading sessions as CSV",
    responses=CSV_ANSWER,
    operation_id="export_sessions",
    response_class=StreamingResponse,
)
async def my_sessions(
    access: Annotated[Access, Depends(authorize("trading.export"))], services: ServicesDep
) -> StreamingResponse:
    return await _export(services, access, access.caller.user_id, "sessions", None)


@router.get(
    "/api/decisions.csv",
    summary="My risk decisions as CSV",
    responses=CSV_ANSWER,
    operation_id="export_decisions",
    response_class=StreamingResponse,
)
async def my_decisions(
    access: Annotated[Access, Depends(authorize("trading.export"))],
    services: ServicesDep,
    where: DecisionsQ,
) -> StreamingResponse:
    return await _export(services, access, access.caller.user_id, "decisions", where)


# a viewer's granted trader


@router.get(
    "/api/viewer/traders/{trader_id}/trades.csv",
    summary="A granted trader's trades",
    responses=CSV_ANSWER,
    operation_id="viewer_export_trades",
    response_class=StreamingResponse,
)
async def viewer_trades(
    trader_id: IdPath,
    access: Annotated[Access, Depends(authorize("viewer.export"))],
    services: ServicesDep,
    where: TradesQ,
) -> StreamingResponse:
    return await _export(services, access, access.target_id, "trades", where)


@router.get(
    "/api/viewer/traders/{trader_id}/sessions.csv",
    summary="A granted trader's sessions",
    responses=CSV_ANSWER,
    operation_id="viewer_export_sessions",
    response_class=StreamingResponse,
)
async def viewer_sessions(
    trader_id: IdPath,
    access: Annotated[Access, Depends(authorize("viewer.export"))],
    services: ServicesDep,
) -> StreamingResponse:
    return await _export(services, access, access.target_id, "sessions", None)


@router.get(
    "/api/viewer/traders/{trader_id}/decisions.csv",
    summary="A granted trader's risk decisions",
    responses=CSV_ANSWER,
    operation_id="viewer_export_decisions",
    response_class=StreamingResponse,
)
async def viewer_decisions(
    trader_id: IdPath,
    access: Annotated[Access, Depends(authorize("viewer.export"))],
    services: ServicesDep,
    where: DecisionsQ,
) -> StreamingResponse:
    return await _export(services, access, access.target_id, "decisions", where)


# admins: any trader, and the audit log


@router.get(
    "/api/admin/users/{user_id}/trades.csv",
    summary="A trader's trades as CSV",
    responses=CSV_ANSWER,
    operation_id="admin_export_trades",
    response_class=StreamingResponse,
)
async def admin_trades(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.export"))],
    services: ServicesDep,
    where: TradesQ,
) -> StreamingResponse:
    return await _export(services, access, access.target_id, "trades", where)


@router.get(
    "/api/admin/users/{user_id}/sessions.csv",
    summary="A trader's sessions as CSV",
    responses=CSV_ANSWER,
    operation_id="admin_export_sessions",
    response_class=StreamingResponse,
)
async def admin_sessions(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.export"))],
    services: ServicesDep,
) -> StreamingResponse:
    return await _export(services, access, access.target_id, "sessions", None)


@router.get(
    "/api/admin/users/{user_id}/decisions.csv",
    summary="A trader's risk decisions as CSV",
    responses=CSV_ANSWER,
    operation_id="admin_export_decisions",
    response_class=StreamingResponse,
)
async def admin_decisions(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.export"))],
    services: ServicesDep,
    where: DecisionsQ,
) -> StreamingResponse:
    return await _export(services, access, access.target_id, "decisions", where)


@router.get(
    "/api/admin/audit.csv",
    summary="The audit log as CSV (same filters)",
    responses=CSV_ANSWER,
    operation_id="admin_export_audit",
    response_class=StreamingResponse,
)
async def audit_csv(
    access: Annotated[Access, Depends(authorize("admin.audit.export"))],
    services: ServicesDep,
    query: Annotated[AuditExportFilter, Query()],
) -> StreamingResponse:
    where = AuditFilter(query.actor, query.target, query.action, query.since, query.until)
    filters = query.model_dump(mode="json", exclude_none=True)
    await audit(services, access, "admin.export.audit", details=filters)

    async def fetch(before: int | None) -> tuple[Sequence[BaseModel], int | None]:
        rows = await services.db.read(audit_before, where, before, PAGE)
        return rows, (rows[-1].sequence if len(rows) == PAGE else None)

    return download(csv_stream.stream(_fields(AuditEntry), fetch), "audit")
