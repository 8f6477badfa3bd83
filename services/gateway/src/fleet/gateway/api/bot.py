"""A trader's bot (``/api/bot/*``): start, stop, pause, resume, sent to the executor.

The executor checks the domain rules (a verified credential, trading enabled, admins own
no bot); a missing executor is a 503 with a clear message.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends

from fleet.events.executor_commands import (
    BotChanged,
    ExecutorCommand,
    PauseBot,
    ResumeBot,
    StartBot,
    StopBot,
)
from fleet.events.ids import UserId
from fleet.gateway.api.routing import ServicesDep, audited, make_router, settle
from fleet.gateway.deps import Access, Services, authorize
from fleet.gateway.schemas.admin import Reason
from fleet.gateway.schemas.trading import BotCommandResult

router = make_router("bot")
BotVerb = Literal["start", "stop", "pause", "resume"]
_DONE = {
    "start": "bot started",
    "stop": "bot stopped",
    "pause": "bot paused",
    "resume": "bot resumed",
}


def bot_command(verb: BotVerb, user_id: UserId, access: Access, reason: str) -> ExecutorCommand:
    """The executor command for ``verb`` on ``user_id``'s bot."""
    actor = access.caller.actor()
    if verb == "start":
        return StartBot(user_id=user_id, actor=actor, correlation_id=access.request_id)
    if verb == "resume":
        return ResumeBot(user_id=user_id, actor=actor, correlation_id=access.request_id)
    if verb == "pause":
        return PauseBot(
            user_id=user_id,
            reason=reason or "paused by the user",
            actor=actor,
            correlation_id=access.request_id,
        )
    return StopBot(
        user_id=user_id,
        reason=reason or "stopped by the user",
        actor=actor,
        correlation_id=access.request_id,
    )


async def run_bot_command(
    services: Services, access: Access, verb: BotVerb, user_id: UserId, reason: str = ""
) -> BotCommandResult:
    """Send the command and audit it: ``bot.<verb>`` when the trader acts on his own bot,
    ``admin.bot.<verb>`` when an admin acts on someone else's."""
    command = bot_command(verb, user_id, access, reason)
    own = user_id == access.caller.user_id
    action = f"bot.{verb}" if own else f"admin.bot.{verb}"
    bot = await audited(services, access, action, command, BotChanged, target=user_id)
    await settle(services, "bots", "trading")
    return BotCommandResult(
        status=bot.status,
        session_id=bot.session_id or None,
        message=_DONE[verb],
    )


@router.post("/api/bot/start", summary="Start my bot", operation_id="bot_start")
async def start(
    access: Annotated[Access, Depends(authorize("bot.start"))], services: ServicesDep
) -> BotCommandResult:
    return await run_bot_command(services, access, "start", access.caller.user_id)


@router.post("/api/bot/stop", summary="Stop my bot (ends the session)", operation_id="bot_stop")
async def stop(
    access: Annotated[Access, Depends(authorize("bot.stop"))],
    services: ServicesDep,
    why: Reason | None = None,
) -> BotCommandResult:
    return await run_bot_command(services, access, "stop", access.caller.user_id, _reason(why))


@router.post("/api/bot/pause", summary="Pause my bot (positions stay)", operation_id="bot_pause")
async def pause(
    access: Annotated[Access, Depends(authorize("bot.pause"))],
    services: ServicesDep,
    why: Reason | None = None,
) -> BotCommandResult:
    return await run_bot_command(services, access, "pause", access.caller.user_id, _reason(why))


@router.post("/api/bot/resume", summary="Resume my paused bot", operation_id="bot_resume")
async def resume(
    access: Annotated[Access, Depends(authorize("bot.resume"))], services: ServicesDep
) -> BotCommandResult:
    return await run_bot_command(services, access, "resume", access.caller.user_id)


def _reason(why: Reason | None) -> str:
    return why.reason if why else ""
