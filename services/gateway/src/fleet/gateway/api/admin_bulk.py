"""Bulk bot commands of the admin API (``/api/admin/bots/{start,pause,stop}``): the same
command for each trader of a selection, one executor command, one bot event and one
audit entry per trader; one trader's refusal does not stop the others."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from fleet.events.executor_commands import BotChanged, ResumeTrading, TradingResumedReply
from fleet.events.ids import UserId
from fleet.gateway.api.bot import BotVerb, bot_command
from fleet.gateway.api.routing import (
    ServicesDep,
    audit,
    audited,
    make_router,
    send,
    settle,
)
from fleet.gateway.deps import Access, Services, authorize
from fleet.gateway.errors import check
from fleet.gateway.read_models.bots.queries import paused_by_an_admin
from fleet.gateway.read_models.users.queries import roles_of
from fleet.gateway.schemas.admin import (
    BulkBotCommand,
    BulkBotOutcome,
    BulkBotResult,
    ResumeAll,
    ResumeAllResult,
)

router = make_router("admin: trading")
BULK_MAX = 500  # a bulk command's most traders (BulkBotCommand.user_ids)


async def _one(
    services: Services, access: Access, verb: BotVerb, user_id: str, reason: str
) -> BulkBotOutcome:
    command = bot_command(verb, UserId(user_id), access, reason or f"{verb} by an admin")
    reply = await send(services, command)
    error = reply.error
    await audit(
        services,
        access,
        f"admin.bot.{verb}",
        target=user_id,
        outcome="ok" if error is None else "failed",
        details={"bulk": "true"} | ({"reason": error.code} if error else {}),
    )
    if error is not None:
        return BulkBotOutcome(user_id=user_id, ok=False, error=error.code, message=error.message)
    bot = check(reply, BotChanged)
    return BulkBotOutcome(user_id=user_id, ok=True, status=bot.status, events=bot.events)


async def _bulk(
    services: Services, access: Access, verb: BotVerb, body: BulkBotCommand
) -> BulkBotResult:
    chosen = list(dict.fromkeys(body.user_ids))  # each trader once, in the order given
    roles = await services.db.read(roles_of, chosen)
    outcomes: list[BulkBotOutcome] = []
    for user_id in chosen:
        if roles.get(user_id) != "trader":
            refusal = "no such trader" if user_id not in roles else "only traders have a bot"
            outcomes.append(
                BulkBotOutcome(user_id=user_id, ok=False, error="not_found", message=refusal)
            )
            continue
        outcomes.append(await _one(services, access, verb, user_id, body.reason))
    await settle(services, "bots", "trading")
    done = sum(1 for outcome in outcomes if outcome.ok)
    return BulkBotResult(done=done, failed=len(outcomes) - done, outcomes=outcomes)


@router.post(
    "/api/admin/bots/start",
    summary="Start the bots of a selection of traders (audited, one entry each)",
    operation_id="admin_bots_start",
)
async def start_bots(
    body: BulkBotCommand,
    access: Annotated[Access, Depends(authorize("admin.bots.start"))],
    services: ServicesDep,
) -> BulkBotResult:
    return await _bulk(services, access, "start", body)


@router.post(
    "/api/admin/bots/pause",
    summary="Pause the bots of a selection of traders (audited, one entry each)",
    operation_id="admin_bots_pause",
)
async def pause_bots(
    body: BulkBotCommand,
    access: Annotated[Access, Depends(authorize("admin.bots.pause"))],
    services: ServicesDep,
) -> BulkBotResult:
    return await _bulk(services, access, "pause", body)


@router.post(
    "/api/admin/bots/stop",
    summary="Stop the bots of a selection of traders (audited, one entry each)",
    operation_id="admin_bots_stop",
)
async def stop_bots(
    body: BulkBotCommand,
    access: Annotated[Access, Depends(authorize("admin.bots.stop"))],
    services: ServicesDep,
) -> BulkBotResult:
    return await _bulk(services, access, "stop", body)


@router.post(
    "/api/admin/resume-all",
    summary="Lift the kill switch (one trading.resumed), then resume every bot an admin "
    "paused; audited",
    operation_id="admin_resume_all",
)
async def resume_all(
    access: Annotated[Access, Depends(authorize("admin.kill_switch"))],
    services: ServicesDep,
    body: ResumeAll | None = None,
) -> ResumeAllResult:
    """The kill switch undone: ``trading.resumed`` (every executor allows entries again at
    once), then the bots paused by an admin (a bulk pause, or the kill switch before it was
    one event; not those their trader or a risk limit paused) are resumed through the bulk
    path; one ``admin.resume_all`` entry sums it up. The lift has an entry of its own
    (``admin.resume_trading``), written as soon as it is answered, like the kill switch's:
    should the bulk resume fail, trading is on again and the audit log says who did it."""
    reason = body.reason if body else ""
    command = ResumeTrading(
        reason=reason, actor=access.caller.actor(), correlation_id=access.request_id
    )
    noted = {"reason": reason} if reason else {}
    lifted = await audited(
        services, access, "admin.resume_trading", command, TradingResumedReply, details=noted
    )
    chosen = await services.db.read(paused_by_an_admin)
    result = ResumeAllResult(done=0, failed=0, outcomes=[], trading_resumed=lifted.was_halted)
    for start in range(0, len(chosen), BULK_MAX):
        selection = BulkBotCommand(user_ids=chosen[start : start + BULK_MAX], reason=reason)
        part = await _bulk(services, access, "resume", selection)
        result.done += part.done
        result.failed += part.failed
        result.outcomes += part.outcomes
    details = {
        "resumed": str(result.done),
        "refused": str(result.failed),
        "trading_resumed": str(lifted.was_halted).lower(),
    }
    await audit(
        services,
        access,
        "admin.resume_all",
        details=details | ({"reason": reason} if reason else {}),
    )
    return result
