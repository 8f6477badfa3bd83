"""Audit entries (aggregate ``audit``, id = the acting user's id), written by the gateway
for actions that change no other aggregate or need the request's origin: an admin viewing
or acting on another user's account, credential changes, grant changes, logins.

The audit read model joins these with the domain events that are audit-worthy in
themselves (``user.locked``, ``credential.*``, ...). Never a secret in ``details``.
"""

from __future__ import annotations

from typing import Literal

from fleet.events.registry import DomainEvent

AUDIT_AGGREGATE = "audit"

AuditOutcome = Literal["ok", "denied", "failed"]


class AuditRecorded(DomainEvent):
    """Who did what to whom, when (the envelope's occurred_at) and from which IP."""

    event_type = "audit.recorded"
    action: str  # e.g. "admin.user.create", "bingx.connect", "auth.login", "dashboard.view"
    actor_id: str  # the acting user's id ("anonymous" for a failed login of no user)
    actor_role: str
    ip: str
    target_user_id: str | None = None
    outcome: AuditOutcome = "ok"
    details: dict[str, str] = {}


AUDIT_EVENTS: tuple[type[DomainEvent], ...] = (AuditRecorded,)
