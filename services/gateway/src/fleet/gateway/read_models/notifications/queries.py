"""Reads of the notifications read model: a user's own list, unread count and
preferences, and delivery failures in aggregate (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from fleet.gateway.read_models.live import live
from fleet.gateway.read_models.notifications import projection as p
from fleet.gateway.schemas.notifications import (
    KINDS,
    ChannelsIn,
    DeliveryOut,
    FailureGroup,
    FailuresOut,
    NotificationOut,
    NotificationPage,
    NotificationsQuery,
    PreferencesOut,
)

notifications = live(p.notifications, "notifications")
deliveries = live(p.deliveries, "notifications")
preferences = live(p.preferences, "notifications")


def unread_count(connection: Connection, user_id: str) -> int:
    """How many of ``user_id``'s notifications he has not read."""
    n = notifications
    statement = select(func.count()).where(n.c.recipient_id == user_id, n.c.read_at.is_(None))
    return int(connection.execute(statement).scalar_one())


def notifications_page(
    connection: Connection, user_id: str, query: NotificationsQuery
) -> NotificationPage:
    """``user_id``'s notifications, newest first, before the cursor (a sequence)."""
    n = notifications
    statement = select(n).where(n.c.recipient_id == user_id)
    if query.unread:
        statement = statement.where(n.c.read_at.is_(None))
    if query.before is not None:
        statement = statement.where(n.c.sequence < query.before)
    rows = list(
        connection.execute(statement.order_by(n.c.sequence.desc()).limit(query.limit + 1))
        .mappings()
        .all()
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    outcomes = _deliveries_of(connection, [row["notification_id"] for row in rows])
    items = [_notification(row, outcomes.get(row["notification_id"], [])) for row in rows]
    return NotificationPage(
        items=items,
        unread=unread_count(connection, user_id),
        next_cursor=rows[-1]["sequence"] if more else None,
    )


def _deliveries_of(connection: Connection, ids: list[str]) -> dict[str, list[DeliveryOut]]:
    if not ids:
        return {}
    d = deliveries
    rows = connection.execute(
        select(d).where(d.c.notification_id.in_(ids)).order_by(d.c.sequence)
    ).mappings()
    found: dict[str, list[DeliveryOut]] = {}
    for row in rows:
        found.setdefault(row["notification_id"], []).append(
            DeliveryOut(
                channel=row["channel"],
                outcome=row["outcome"],
                error=row["error"],
                attempts=row["attempts"],
                at=row["at"],
            )
        )
    return found


def _notification(row: Any, outcomes: list[DeliveryOut]) -> NotificationOut:
    return NotificationOut(
        notification_id=row["notification_id"],
        kind=row["kind"],
        title=row["title"],
        body=row["body"],
        digest_of=row["digest_of"],
        created_at=row["created_at"],
        read=row["read_at"] is not None,
        read_at=row["read_at"],
        deliveries=outcomes,
    )


def preferences_of(connection: Connection, user_id: str) -> PreferencesOut:
    """``user_id``'s preferences, or the notify service's defaults."""
    row = (
        connection.execute(select(preferences).where(preferences.c.user_id == user_id))
        .mappings()
        .first()
    )
    if row is None:
        return PreferencesOut()
    return PreferencesOut.model_validate(
        {
            "default": ChannelsIn(**row["default_choice"]),
            "kinds": {
                kind: ChannelsIn(**choice)
                for kind, choice in row["kinds"].items()
                if kind in KINDS  # a kind no longer sent is not offered
            },
            "webhook_url": row["webhook_url"],
        }
    )


def failures_since(connection: Connection, since: datetime) -> FailuresOut:
    """Failed deliveries since ``since``, grouped by channel and error (no recipient
    named: the aggregate an admin needs to see a broken channel)."""
    d = deliveries
    statement = (
        select(
            d.c.channel,
            d.c.error,
            func.count().label("failures"),
            func.count(d.c.recipient_id.distinct()).label("users"),
            func.max(d.c.at).label("last_at"),
        )
        .where(d.c.outcome == "failed", d.c.at >= since)
        .group_by(d.c.channel, d.c.error)
        .order_by(func.count().desc())
        .limit(100)
    )
    groups = [FailureGroup(**row) for row in connection.execute(statement).mappings()]
    return FailuresOut(since=since, total=sum(g.failures for g in groups), groups=groups)
