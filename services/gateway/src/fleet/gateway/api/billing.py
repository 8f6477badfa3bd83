"""Performance fees and invoices: a trader's statements (closed periods and the running
estimate), every trader's invoices and their status, the revenue report; each also as CSV
(streamed, decimals as text, every download audited). The closes are the auth service's
period closer's (``billing.period_closed``); marking an invoice goes through auth too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from fleet.events.auth_commands import InvoiceState, SetInvoiceStatus
from fleet.gateway.api import csv_stream, exports
from fleet.gateway.api.exports import CSV_ANSWER
from fleet.gateway.api.routing import ServicesDep, audit, audited, make_router, settle
from fleet.gateway.deps import Access, Services, authorize
from fleet.gateway.read_models.billing import queries
from fleet.gateway.schemas.base import IdPath
from fleet.gateway.schemas.billing import (
    InvoicesOut,
    InvoiceStatusIn,
    InvoiceStatusOut,
    RevenueOut,
    RevenueRow,
    StatementOut,
    StatementsOut,
    TermsOut,
)

router = make_router("billing")
PERIOD_PATTERN = r"^\d{4}-\d{2}(-\d{2}-\d{6})?$"
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, examples=["2026-11"])]
PeriodQ = Annotated[str | None, Query(pattern=PERIOD_PATTERN, examples=["2026-11"])]
StatusQ = Annotated[Literal["open", "paid", "waived"] | None, Query()]


async def _statements(services: Services, user_id: str) -> StatementsOut:
    scheme, now = services.settings.period_scheme(), datetime.now(UTC)
    closed = await services.db.read(queries.statements_of, user_id)
    running = await services.db.read(queries.estimate, user_id, scheme, now)
    return StatementsOut(statements=closed, estimate=running)


def _csv(name: str, fields: Sequence[str], rows: Sequence[BaseModel]) -> StreamingResponse:
    async def fetch(_after: Any) -> tuple[Sequence[BaseModel], Any]:
        return rows, None

    body: AsyncIterator[str] = csv_stream.stream(fields, fetch)
    return exports.download(body, name)


STATEMENT_FIELDS = tuple(StatementOut.model_fields)


@router.get(
    "/api/billing/statements",
    summary="My fee statements (closed periods, newest first) and the running estimate",
    operation_id="billing_statements",
)
async def my_statements(
    access: Annotated[Access, Depends(authorize("billing.statements"))], services: ServicesDep
) -> StatementsOut:
    return await _statements(services, access.caller.user_id)


@router.get(
    "/api/billing/statements.csv",
    summary="My fee statements as CSV (the estimate last; audited)",
    responses=CSV_ANSWER,
    operation_id="billing_statements_csv",
    response_class=StreamingResponse,
)
async def my_statements_csv(
    access: Annotated[Access, Depends(authorize("billing.statements"))], services: ServicesDep
) -> StreamingResponse:
    user_id = access.caller.user_id
    found = await _statements(services, user_id)
    await audit(services, access, "trading.export.statements", target=user_id)
    rows = [*found.statements, *([found.estimate] if found.estimate else [])]
    return _csv(f"statements-{user_id}", STATEMENT_FIELDS, rows)


@router.get(
    "/api/admin/billing/invoices",
    summary="Every trader's closed periods and invoices (filter by period and status)",
    operation_id="billing_invoices",
)
async def all_invoices(
    access: Annotated[Access, Depends(authorize("admin.billing.read"))],
    services: ServicesDep,
    period: PeriodQ = None,
    status: StatusQ = None,
) -> InvoicesOut:
    return InvoicesOut(invoices=await services.db.read(queries.invoices, period, status))


@router.get(
    "/api/admin/billing/invoices.csv",
    summary="Every trader's invoices as CSV (audited)",
    responses=CSV_ANSWER,
    operation_id="billing_invoices_csv",
    response_class=StreamingResponse,
)
async def all_invoices_csv(
    access: Annotated[Access, Depends(authorize("admin.billing.read"))],
    services: ServicesDep,
    period: PeriodQ = None,
    status: StatusQ = None,
) -> StreamingResponse:
    rows = await services.db.read(queries.invoices, period, status)
    filters = {k: v for k, v in {"period": period, "status": status}.items() if v is not None}
    await audit(services, access, "admin.export.invoices", details=filters)
    return _csv("invoices", STATEMENT_FIELDS, rows)


@router.get(
    "/api/admin/billing/terms",
    summary="Every trader's performance-fee terms and plan",
    operation_id="billing_terms",
)
async def all_terms(
    access: Annotated[Access, Depends(authorize("admin.billing.read"))], services: ServicesDep
) -> TermsOut:
    return TermsOut(traders=await services.db.read(queries.traders_terms))


@router.get(
    "/api/admin/billing/revenue",
    summary="Revenue per period: fees, plan prices, paid, waived and open",
    operation_id="billing_revenue",
)
async def revenue(
    access: Annotated[Access, Depends(authorize("admin.billing.read"))], services: ServicesDep
) -> RevenueOut:
    return RevenueOut(periods=await services.db.read(queries.revenue))


@router.get(
    "/api/admin/billing/revenue.csv",
    summary="The revenue report as CSV (audited)",
    responses=CSV_ANSWER,
    operation_id="billing_revenue_csv",
    response_class=StreamingResponse,
)
async def revenue_csv(
    access: Annotated[Access, Depends(authorize("admin.billing.read"))], services: ServicesDep
) -> StreamingResponse:
    rows = await services.db.read(queries.revenue)
    await audit(services, access, "admin.export.revenue")
    return _csv("revenue", tuple(RevenueRow.model_fields), rows)


@router.put(
    "/api/admin/billing/invoices/{user_id}/{period}",
    summary="Mark a trader's period invoice open, paid or waived (audited)",
    operation_id="billing_invoice_status",
)
async def set_invoice_status(
    user_id: IdPath,
    period: PeriodPath,
    body: InvoiceStatusIn,
    access: Annotated[Access, Depends(authorize("admin.billing.invoices"))],
    services: ServicesDep,
) -> InvoiceStatusOut:
    command = SetInvoiceStatus(
        user_id=access.target_id,
        period=period,
        status=body.status,
        note=body.note,
        actor=access.caller.actor(),
        correlation_id=access.request_id,
    )
    details = {"period": period, "status": body.status}
    state = await audited(
        services,
        access,
        "admin.billing.invoice_status",
        command,
        InvoiceState,
        target=access.target_id,
        details=details,
    )
    await settle(services, "billing")
    return InvoiceStatusOut(**state.model_dump())
