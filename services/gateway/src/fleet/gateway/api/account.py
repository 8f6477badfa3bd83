"""A trader's own account: status, trading settings, positions, trades, sessions, stats
and risk decisions (reads of the read models; settings changes go to the auth service)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Query, Response

from fleet.events.auth_commands import AccountChanged, UpdateTradingSettings
from fleet.gateway.adapters import marks
from fleet.gateway.api.admin_history import before_cursor
from fleet.gateway.api.routing import ServicesDep, audited, make_router, settle
from fleet.gateway.deps import Access, authorize
from fleet.gateway.errors import invalid, not_found
from fleet.gateway.read_models import views
from fleet.gateway.read_models.trading import history
from fleet.gateway.read_models.trading import queries as trading
from fleet.gateway.read_models.users.queries import settings_of
from fleet.gateway.schemas.base import IdPath, Page
from fleet.gateway.schemas.history import CursorPage, IncomeHistoryQuery, IncomeOut
from fleet.gateway.schemas.queries import DecisionsQuery, PageQuery, StatsQuery, TradesQuery
from fleet.gateway.schemas.trading import (
    DecisionPage,
    OrderOut,
    PositionOut,
    SessionOut,
    SettingsOut,
    SettingsUpdate,
    StatsOut,
    StatusOut,
    TradeOut,
)

router = make_router("account")


@router.get(
    "/api/status",
    summary="My account, positions and bot",
    operation_id="status",
    response_model=StatusOut,
)
async def status(
    access: Annotated[Access, Depends(authorize("account.status"))], services: ServicesDep
) -> Response:
    # The hot read: one statement, and the model serialised once (not validated again).
    found_status = await services.db.read(views.status_of, access.caller.user_id)
    if found_status is None:
        raise not_found("your account no longer exists")
    found_status.simulated = services.settings.bingx_simulated
    if found_status.positions:
        settings = await services.db.read(settings_of, access.caller.user_id)
        found_status.positions = await marks.value_positions(
            services.nc, found_status.positions, settings.timeframe
        )
    return Response(found_status.model_dump_json(), media_type="application/json")


@router.get("/api/settings", summary="My trading settings", operation_id="settings_read")
async def get_settings(
    access: Annotated[Access, Depends(authorize("settings.read"))], services: ServicesDep
) -> SettingsOut:
    return await services.db.read(settings_of, access.caller.user_id)


@router.put(
    "/api/settings",
    summary="Change my trading settings (only the fields given)",
    operation_id="settings_update",
)
async def put_settings(
    update: SettingsUpdate,
    access: Annotated[Access, Depends(authorize("settings.update"))],
    services: ServicesDep,
) -> SettingsOut:
    caller = access.caller
    changes = update.model_dump(mode="json", exclude_none=True)
    if changes:
        command = UpdateTradingSettings(
            user_id=caller.user_id, changes=changes, actor=caller.actor()
        )
        fields = ",".join(sorted(changes))
        await audited(
            services,
            access,
            "settings.update",
            command,
            AccountChanged,
            target=caller.user_id,
            details={"fields": fields},
        )
        await settle(services, "users", "audit")
    return await services.db.read(settings_of, caller.user_id)


@router.get("/api/positions", summary="My open positions", operation_id="positions")
async def positions(
    access: Annotated[Access, Depends(authorize("trading.positions"))], services: ServicesDep
) -> list[PositionOut]:
    found = await services.db.read(trading.positions_of, access.caller.user_id)
    if not found:
        return found
    settings = await services.db.read(settings_of, access.caller.user_id)
    return await marks.value_positions(services.nc, found, settings.timeframe)


@router.get(
    "/api/orders",
    summary="My orders not filled yet (pending: accepted by BingX, nothing filled)",
    operation_id="orders",
)
async def pending_orders(
    access: Annotated[Access, Depends(authorize("trading.orders"))], services: ServicesDep
) -> list[OrderOut]:
    return await services.db.read(trading.pending_orders_of, access.caller.user_id)


@router.get(
    "/api/trades",
    summary="My closed trades, newest first (filter by symbol and close time)",
    operation_id="trades",
)
async def trades(
    access: Annotated[Access, Depends(authorize("trading.trades"))],
    services: ServicesDep,
    query: Annotated[TradesQuery, Query()],
) -> Page[TradeOut]:
    where = trading.TradeFilter(query.symbol, query.since, query.until)
    return await services.db.read(
        trading.trades_page, access.caller.user_id, where, query.limit, query.offset
    )


@router.get(
    "/api/income",
    summary="My account's income: funding, fees, realised PnL, transfers (newest first, "
    "cursor pages; live and imported from BingX)",
    operation_id="income",
)
async def income(
    access: Annotated[Access, Depends(authorize("trading.income"))],
    services: ServicesDep,
    query: Annotated[IncomeHistoryQuery, Query()],
) -> CursorPage[IncomeOut]:
    where = history.IncomeFilter(query.income_type, query.since, query.until)
    cursor = before_cursor(query.before)
    page = await services.db.read(
        history.income_history, access.caller.user_id, where, cursor, query.limit
    )
    return CursorPage[IncomeOut].model_validate(
        {"items": page.items, "limit": query.limit, "next_before": page.next_before},
        from_attributes=True,
    )


@router.get("/api/sessions", summary="My trading sessions", operation_id="sessions")
async def sessions(
    access: Annotated[Access, Depends(authorize("trading.sessions"))],
    services: ServicesDep,
    query: Annotated[PageQuery, Query()],
) -> Page[SessionOut]:
    return await services.db.read(
        trading.sessions_page, access.caller.user_id, query.limit, query.offset
    )


@router.get(
    "/api/sessions/{session_id}", summary="One of my trading sessions", operation_id="session"
)
async def session(
    session_id: IdPath,
    access: Annotated[Access, Depends(authorize("trading.session"))],
    services: ServicesDep,
) -> SessionOut:
    found_session = await services.db.read(trading.session_of, access.caller.user_id, session_id)
    if found_session is None:
        raise not_found()
    return found_session


@router.get("/api/stats", summary="My trading statistics", operation_id="stats")
async def stats(
    access: Annotated[Access, Depends(authorize("trading.stats"))],
    services: ServicesDep,
    query: Annotated[StatsQuery, Query()],
) -> StatsOut:
    zone = zone_named(query.tz) if query.tz else None
    return await services.db.read(trading.stats_of, access.caller.user_id, zone)


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (400 when there is none of that name)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid("tz", f"{name!r} is not a known IANA time zone") from None


@router.get(
    "/api/decisions",
    summary="The risk engine's decisions for me, with reasons",
    operation_id="decisions",
)
async def decisions(
    access: Annotated[Access, Depends(authorize("trading.decisions"))],
    services: ServicesDep,
    query: Annotated[DecisionsQuery, Query()],
) -> DecisionPage:
    cursor = before_cursor(query.before)
    where = history.DecisionFilter(query.symbol, query.decision, query.routine)
    return await services.db.read(
        history.decisions_feed, access.caller.user_id, where, cursor, query.limit, query.offset
    )
