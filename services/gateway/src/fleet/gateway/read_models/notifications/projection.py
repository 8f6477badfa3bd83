"""The notifications read model (schema ``rm_notifications``): per recipient, the
notifications the notify service created (``ev.notification.<user id>``), when he read
them, how each channel's delivery ended, and his notification preferences
(``ev.notify_prefs.<user id>``)."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    or_,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from fleet.events import DomainEvent, Envelope
from fleet.events import notifications as ev
from fleet.gateway.read_models.dispatch import DispatchingProjection, Handler
from fleet.projections import PROJECTION_SCHEMA, ProjectionTx
from fleet.projections.columns import text_column

metadata = MetaData(schema=PROJECTION_SCHEMA)
notifications = Table(
    "notifications",
    metadata,
    Column("notification_id", Text, primary_key=True),
    Column("recipient_id", Text, nullable=False, index=True),
    Column("sequence", BigInteger, nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("kind", Text, nullable=False),
    text_column("title", ev.NotificationCreated, "title", nullable=False),
    text_column("body", ev.NotificationCreated, "body", nullable=False),
    Column("digest_of", Integer, nullable=False),
    Column("read_at", DateTime(timezone=True)),
)
deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", Text, primary_key=True),
    Column("notification_id", Text, nullable=False, index=True),
    Column("recipient_id", Text, nullable=False, index=True),
    text_column("channel", ev.NotificationFailed, "channel", nullable=False),
    Column("outcome", String(16), nullable=False),  # delivered | failed
    text_column("error", ev.NotificationFailed, "error", nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sequence", BigInteger, nullable=False, unique=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)
preferences = Table(
    "preferences",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("default_choice", JSON, nullable=False),
    Column("kinds", JSON, nullable=False),
    text_column("webhook_url", ev.NotificationPreferencesSet, "webhook_url"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def _created(tx: ProjectionTx, event: ev.NotificationCreated, envelope: Envelope) -> None:
    row = {
        "notification_id": event.notification_id,
        "recipient_id": envelope.aggregate.id,
        "sequence": envelope.sequence,
        "created_at": envelope.occurred_at,
        "kind": event.kind,
        "title": event.title,
        "body": event.body,
        "digest_of": event.digest_of,
        "read_at": None,
    }
    tx.execute(insert(notifications).values(row).on_conflict_do_nothing())


def _outcome(
    tx: ProjectionTx,
    event: ev.NotificationDelivered | ev.NotificationFailed,
    envelope: Envelope,
    error: str,
) -> None:
    row: dict[str, Any] = {
        "delivery_id": event.delivery_id,
        "notification_id": event.notification_id,
        "recipient_id": envelope.aggregate.id,
        "channel": event.channel,
        "outcome": "failed" if error else "delivered",
        "error": error,
        "attempts": event.attempts,
        "sequence": envelope.sequence,
        "at": envelope.occurred_at,
    }
    tx.execute(insert(deliveries).values(row).on_conflict_do_nothing())


def _delivered(tx: ProjectionTx, event: ev.NotificationDelivered, envelope: Envelope) -> None:
    _outcome(tx, event, envelope, "")


def _failed(tx: ProjectionTx, event: ev.NotificationFailed, envelope: Envelope) -> None:
    _outcome(tx, event, envelope, event.error or "failed")


def _read(tx: ProjectionTx, event: ev.NotificationsRead, envelope: Envelope) -> None:
    chosen: list[Any] = []
    if event.notification_ids:
        chosen.append(notifications.c.notification_id.in_(event.notification_ids))
    if event.all_until is not None:
        chosen.append(notifications.c.created_at <= event.all_until)
    tx.execute(
        update(notifications)
        .where(
            notifications.c.recipient_id == envelope.aggregate.id,
            notifications.c.read_at.is_(None),
            or_(False, *chosen),
        )
        .values(read_at=envelope.occurred_at)
    )


def _preferences(
    tx: ProjectionTx, event: ev.NotificationPreferencesSet, envelope: Envelope
) -> None:
    row = {
        "user_id": envelope.aggregate.id,
        "default_choice": event.default.model_dump(),
        "kinds": {kind: choice.model_dump() for kind, choice in event.kinds.items()},
        "webhook_url": event.webhook_url,
        "updated_at": envelope.occurred_at,
    }
    upsert = insert(preferences).values(row)
    tx.execute(upsert.on_conflict_do_update(index_elements=["user_id"], set_=row))


class NotificationsProjection(DispatchingProjection):
    """Notifications per recipient, with read markers and delivery outcomes."""

    name = "notifications"
    version = 1
    metadata: ClassVar[MetaData] = metadata
    handlers: ClassVar[dict[type[DomainEvent], Handler]] = {
        ev.NotificationCreated: _created,
        ev.NotificationDelivered: _delivered,
        ev.NotificationFailed: _failed,
        ev.NotificationsRead: _read,
        ev.NotificationPreferencesSet: _preferences,
    }
