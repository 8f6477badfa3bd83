"""Audit entries (aggregate ``audit``, id = the acting user's id), written by the gateway
for actions that change no other aggregate or need the request's origin: an admin viewing
or acting on another user's account, credential changes, grant changes, logins.

The audit read model joins these with the domain events that are audit-worthy in
themselves (``user.locked``, ``credential.*``, ...). Never a secret in ``details``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from fleet.events.bounds import (
    CODE_MAX,
    DETAIL_ITEMS_MAX,
    REASON_MAX,
    CodeText,
    IdText,
    NameText,
)
from fleet.events.personal import PersonalIp
from fleet.events.registry import DomainEvent

DetailText = Annotated[str, Field(max_length=REASON_MAX)]
DetailKey = Annotated[str, Field(max_length=CODE_MAX)]

AUDIT_AGGREGATE = "audit"

AuditOutcome = Literal["ok", "denied", "failed"]


class AuditRecorded(DomainEvent):
    """Who did what to whom, when (the envelope's occurred_at) and from which IP."""

    event_type = "audit.recorded"
    action: NameText  # e.g. "admin.user.create", "bingx.connect", "auth.login", "dashboard.view"
    actor_id: IdText  # the acting user's id ("anonymous" for a failed login of no user)
    actor_role: CodeText
    ip: PersonalIp  # sealed with the actor's key (anonymous: the day's key)
    target_user_id: IdText | None = None
    outcome: AuditOutcome = "ok"
    details: Annotated[dict[DetailKey, DetailText], Field(max_length=DETAIL_ITEMS_MAX)] = {}


AUDIT_EVENTS: tuple[type[DomainEvent], ...] = (AuditRecorded,)
