"""Reads of the audit read model."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from fleet.gateway.read_models.audit import projection as p
from fleet.gateway.read_models.live import live
from fleet.gateway.schemas.admin import AuditEntry
from fleet.gateway.schemas.base import Page

entries = live(p.entries, "audit")
_FIELDS = tuple(name for name in AuditEntry.model_fields if name != "details")


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show: by actor, target user, action (``auth.`` = a prefix when it
    ends with a dot) and time."""

    actor_id: str | None = None
    target_user_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _conditions(where: AuditFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.actor_id:
        conditions.append(entries.c.actor_id == where.actor_id)
    if where.target_user_id:
        conditions.append(entries.c.target_user_id == where.target_user_id)
    if where.action and where.action.endswith("."):
        conditions.append(entries.c.action.startswith(where.action, autoescape=True))
    elif where.action:
        conditions.append(entries.c.action == where.action)
    if where.since:
        conditions.append(entries.c.occurred_at >= where.since)
    if where.until:
        conditions.append(entries.c.occurred_at < where.until)
    return conditions


def audit_page(
    connection: Connection, where: AuditFilter, limit: int, offset: int
) -> Page[AuditEntry]:
    """Entries, newest first."""
    condition = and_(True, *_conditions(where))
    total = connection.execute(
        select(func.count()).select_from(entries).where(condition)
    ).scalar_one()
    rows = connection.execute(
        select(entries)
        .where(condition)
        .order_by(entries.c.sequence.desc())
        .limit(limit)
        .offset(offset)
    ).mappings()
    items = [_entry(row) for row in rows]
    return Page[AuditEntry](items=items, total=total, limit=limit, offset=offset)


def audit_before(
    connection: Connection, where: AuditFilter, before: int | None, limit: int
) -> list[AuditEntry]:
    """Entries older than sequence ``before`` (all when ``None``), newest first: stable
    pages for an export, whatever is recorded meanwhile."""
    conditions = _conditions(where)
    if before is not None:
        conditions.append(entries.c.sequence < before)
    rows = connection.execute(
        select(entries)
        .where(and_(True, *conditions))
        .order_by(entries.c.sequence.desc())
        .limit(limit)
    ).mappings()
    return [_entry(row) for row in rows]


def _entry(row: Mapping[Any, Any]) -> AuditEntry:
    return AuditEntry(**{name: row[name] for name in _FIELDS}, details=json.loads(row["details"]))


SECURITY_LOG_LIMIT = 50
_REFUSALS_SCANNED = 500  # recent refusal windows searched for the caller's username


def own_sign_ins(connection: Connection, user_id: str, username: str) -> list[dict[str, Any]]:
    """The caller's sign-ins (``auth.login``) and the refusal windows that tried his
    username (``security.logins_refused``: per source and window, not per attempt),
    newest first."""
    e = entries.c
    ok = (
        select(e.occurred_at, e.ip)
        .where(e.actor_id == user_id, e.action == "auth.login")
        .order_by(e.sequence.desc())
        .limit(SECURITY_LOG_LIMIT)
    )
    found = [
        {"at": row["occurred_at"], "ip": row["ip"] or "", "outcome": "success", "attempts": 1}
        for row in connection.execute(ok).mappings()
    ]
    refused = (
        select(e.occurred_at, e.ip, e.details)
        .where(e.action == "security.logins_refused")
        .order_by(e.sequence.desc())
        .limit(_REFUSALS_SCANNED)
    )
    name = username.lower()
    for row in connection.execute(refused).mappings():
        details = json.loads(row["details"])
        if name in details.get("usernames", "").split(","):
            attempts = int(details.get("refused", "1") or 1)
            found.append(
                {
                    "at": row["occurred_at"],
                    "ip": row["ip"] or "",
                    "outcome": "failure",
                    "attempts": attempts,
                }
            )
    found.sort(key=lambda item: item["at"], reverse=True)
    return found[:SECURITY_LOG_LIMIT]


def admin_actions_on(connection: Connection, user_id: str) -> list[dict[str, Any]]:
    """What admins did to the caller's account (entries naming him as target, by others)."""
    e = entries.c
    query = (
        select(e.occurred_at, e.action, e.actor_id, e.outcome)
        .where(e.target_user_id == user_id, e.actor_id != user_id, e.actor_role == "admin")
        .order_by(e.sequence.desc())
        .limit(SECURITY_LOG_LIMIT)
    )
    return [dict(row) for row in connection.execute(query).mappings()]
