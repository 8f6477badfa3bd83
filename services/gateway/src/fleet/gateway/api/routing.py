"""What every router shares: the services, the documented error answers, audit entries
and waiting for the read models after a write."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends

from fleet.events.audit import AuditOutcome, AuditRecorded
from fleet.events.commands import Command, CommandReply
from fleet.events.written import written_through
from fleet.gateway.deps import Access, Services, app_services
from fleet.gateway.errors import check
from fleet.gateway.schemas.base import ERROR_RESPONSES

ServicesDep = Annotated[Services, Depends(app_services)]
PayloadT = TypeVar("PayloadT")


def make_router(tag: str) -> APIRouter:
    """A router whose every route documents the one error shape."""
    return APIRouter(tags=[tag], responses=dict(ERROR_RESPONSES))


async def ask(
    services: Services,
    command: Command,
    answer: type[PayloadT],
    *,
    timeout: float | None = None,
) -> PayloadT:
    """Send a command; its payload read as ``answer``, or the mapped HTTP error raised."""
    return check(await services.commands.send(command, timeout=timeout), answer)


async def send(
    services: Services, command: Command, *, timeout: float | None = None
) -> CommandReply:
    """Send a command and return the reply as it is (the caller maps it)."""
    return await services.commands.send(command, timeout=timeout)


async def settle(services: Services, *read_models: str, sequence: int | None = None) -> None:
    """Read your writes: wait (bounded) until ``read_models`` have applied what this
    request wrote (``sequence``, else the highest sequence its commands' replies and its
    own appends carried), so the next read shows the change — not the end of the whole
    log, which other users keep moving. When nothing says how far (no scope, nothing
    written), what the log holds now. Past the bound the answer goes out anyway and the
    change appears a moment later."""
    target = sequence or written_through() or None
    await services.read_models.caught_up(
        read_models, target, timeout=services.settings.read_your_writes_s
    )


async def audit(
    services: Services,
    access: Access,
    action: str,
    *,
    target: str | None = None,
    outcome: AuditOutcome = "ok",
    details: dict[str, str] | None = None,
) -> int:
    """Record an audit entry for the authenticated caller; returns its sequence."""
    caller = access.caller
    entry = AuditRecorded(
        action=action,
        actor_id=caller.user_id,
        actor_role=caller.role,
        ip=access.ip,
        target_user_id=target,
        outcome=outcome,
        details=details or {},
    )
    return await services.audit.record(entry, access.request_id)


async def audited(  # noqa: PLR0913 - the request, the answer it expects and the audit entry
    services: Services,
    access: Access,
    action: str,
    command: Command,
    answer: type[PayloadT],
    *,
    target: str | None = None,
    details: dict[str, str] | None = None,
) -> PayloadT:
    """Send a command and record the attempt and its outcome in the audit log; the
    reply's payload read as ``answer``, or the mapped HTTP error raised."""
    reply = await services.commands.send(command)
    noted = dict(details or {})
    if reply.error is not None:
        noted["reason"] = reply.error.code
    await audit(
        services,
        access,
        action,
        target=target,
        outcome="ok" if reply.ok else "failed",
        details=noted,
    )
    return check(reply, answer)
