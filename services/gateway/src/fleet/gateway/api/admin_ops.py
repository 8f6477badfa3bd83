"""The admin API for trading (``/api/admin/*``): any trader's dashboard and bot, flatten,
the kill switch, the overview of every account, and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from fleet.events import AggregateId, AggregateRef
from fleet.events.executor_commands import (
    BotsPaused,
    FlattenPositions,
    FlattensRequested,
    KillSwitch,
)
from fleet.events.halt import HALT_AGGREGATE, HALT_ID, HaltState
from fleet.gateway.adapters import marks
from fleet.gateway.api.bot import BotVerb, run_bot_command
from fleet.gateway.api.routing import ServicesDep, audit, audited, make_router, settle
from fleet.gateway.deps import Access, Services, authorize
from fleet.gateway.read_models import views
from fleet.gateway.read_models.audit.queries import AuditFilter, audit_page
from fleet.gateway.schemas.admin import (
    AuditEntry,
    Dashboard,
    FlattenResult,
    KillSwitchResult,
    Overview,
    OverviewQuery,
    Reason,
)
from fleet.gateway.schemas.base import IdPath, Page
from fleet.gateway.schemas.queries import AuditQuery
from fleet.gateway.schemas.trading import BotCommandResult

router = make_router("admin: trading")


@router.get(
    "/api/admin/users/{user_id}/dashboard",
    summary="A trader's dashboard (the view is audited)",
    operation_id="admin_dashboard",
)
async def dashboard(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.dashboard"))],
    services: ServicesDep,
) -> Dashboard:
    assert access.target is not None
    await audit(services, access, "admin.dashboard.view", target=access.target_id)
    found = await services.db.read(views.dashboard_of, access.target)
    return await marks.valued_dashboard(services.nc, found)


async def _bot(
    services: Services, access: Access, verb: BotVerb, why: Reason | None
) -> BotCommandResult:
    reason = why.reason if why and why.reason else f"{verb} by an admin"
    return await run_bot_command(services, access, verb, access.target_id, reason)


@router.post(
    "/api/admin/users/{user_id}/bot/start",
    summary="Start a trader's bot",
    operation_id="admin_bot_start",
)
async def start_bot(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.bot.start"))],
    services: ServicesDep,
) -> BotCommandResult:
    return await _bot(services, access, "start", None)


@router.post(
    "/api/admin/users/{user_id}/bot/stop",
    summary="Stop a trader's bot",
    operation_id="admin_bot_stop",
)
async def stop_bot(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.bot.stop"))],
    services: ServicesDep,
    why: Reason | None = None,
) -> BotCommandResult:
    return await _bot(services, access, "stop", why)


@router.post(
    "/api/admin/users/{user_id}/bot/pause",
    summary="Pause a trader's bot",
    operation_id="admin_bot_pause",
)
async def pause_bot(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.bot.pause"))],
    services: ServicesDep,
    why: Reason | None = None,
) -> BotCommandResult:
    return await _bot(services, access, "pause", why)


@router.post(
    "/api/admin/users/{user_id}/bot/resume",
    summary="Resume a trader's bot",
    operation_id="admin_bot_resume",
)
async def resume_bot(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.bot.resume"))],
    services: ServicesDep,
) -> BotCommandResult:
    return await _bot(services, access, "resume", None)


@router.post(
    "/api/admin/users/{user_id}/flatten",
    summary="Close every position of one trader",
    operation_id="admin_flatten",
)
async def flatten(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.flatten"))],
    services: ServicesDep,
    why: Reason | None = None,
) -> FlattenResult:
    command = FlattenPositions(
        user_id=access.target_id,
        reason=_reason(why, "flatten requested by an admin"),
        actor=access.caller.actor(),
        correlation_id=access.request_id,
    )
    sent = await audited(
        services, access, "admin.flatten", command, FlattensRequested, target=access.target_id
    )
    await settle(services, "trading")
    return FlattenResult(users=sent.users)


@router.post(
    "/api/admin/kill-switch",
    summary="Halt new entries on every executor at once (one trading.halted; exits still go)",
    operation_id="admin_kill_switch",
)
async def kill_switch(
    access: Annotated[Access, Depends(authorize("admin.kill_switch"))],
    services: ServicesDep,
    why: Reason | None = None,
) -> KillSwitchResult:
    command = KillSwitch(
        reason=_reason(why, "kill switch"),
        actor=access.caller.actor(),
        correlation_id=access.request_id,
    )
    halted = await audited(services, access, "admin.kill_switch", command, BotsPaused)
    return KillSwitchResult(paused=halted.paused, halted=halted.halted)


async def halt_state(services: Services) -> HaltState:
    """The kill switch as the log says now (read, not projected, so the overview right
    after the switch shows it). Each event of ``halt.platform`` sets every field of the
    state, so its last event alone is the state: one direct get per overview poll, not a
    replay of every halt and resume since the platform began."""
    state = HaltState()
    store = services.read_models.store
    last = await store.last(AggregateRef(type=HALT_AGGREGATE, id=AggregateId(HALT_ID)))
    if last is not None:
        state.apply(store.registry.decode(last))
    return state


@router.post(
    "/api/admin/flatten-all",
    summary="Close every position of every trader",
    operation_id="admin_flatten_all",
)
async def flatten_all(
    access: Annotated[Access, Depends(authorize("admin.flatten_all"))],
    services: ServicesDep,
    why: Reason | None = None,
) -> FlattenResult:
    command = FlattenPositions(
        user_id=None,
        reason=_reason(why, "flatten requested by an admin"),
        actor=access.caller.actor(),
        correlation_id=access.request_id,
    )
    sent = await audited(services, access, "admin.flatten_all", command, FlattensRequested)
    await settle(services, "trading")
    return FlattenResult(users=sent.users)


@router.get(
    "/api/admin/overview",
    summary="Every trader's account: totals and one line each",
    operation_id="admin_overview",
)
async def overview(
    access: Annotated[Access, Depends(authorize("admin.overview"))],
    services: ServicesDep,
    query: Annotated[OverviewQuery, Query()],
) -> Overview:
    found_overview = await services.db.read(views.overview, query.only)
    found_overview.simulated = services.settings.bingx_simulated
    halt = await halt_state(services)
    found_overview.halted, found_overview.halt_reason = halt.halted, halt.reason or None
    return found_overview


@router.get(
    "/api/admin/audit",
    summary="The audit log, newest first (filter by actor, target, action, time)",
    operation_id="admin_audit",
)
async def audit_log(
    access: Annotated[Access, Depends(authorize("admin.audit"))],
    services: ServicesDep,
    query: Annotated[AuditQuery, Query()],
) -> Page[AuditEntry]:
    where = AuditFilter(query.actor, query.target, query.action, query.since, query.until)
    return await services.db.read(audit_page, where, query.limit, query.offset)


def _reason(why: Reason | None, default: str) -> str:
    return why.reason if why and why.reason else default
