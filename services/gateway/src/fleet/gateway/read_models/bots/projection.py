"""The bots read model (schema ``rm_bots``): each trader's bot as the executor's events
(``ev.bot.<user id>``) describe it."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Boolean, Column, DateTime, MetaData, String, Table, update
from sqlalchemy.dialects.postgresql import insert

from fleet.events import AggregateRef, DomainEvent, Envelope
from fleet.events import bots as ev
from fleet.gateway.read_models.dispatch import DispatchingProjection, Handler
from fleet.projections import PROJECTION_SCHEMA, ProjectionTx
from fleet.projections.columns import text_column

metadata = MetaData(schema=PROJECTION_SCHEMA)
bots = Table(
    "bots",
    metadata,
    text_column("user_id", AggregateRef, "id", primary_key=True),
    Column("status", String(16), nullable=False),  # running | paused | stopped
    text_column("session_id", ev.BotStarted, "session_id"),
    text_column("pause_reason", ev.BotPaused, "reason"),
    Column("paused_automatically", Boolean, nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("stopped_at", DateTime(timezone=True)),
    text_column("stop_reason", ev.BotStopped, "reason"),
    text_column("changed_by", ev.BotPaused, "by", nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def _set(tx: ProjectionTx, envelope: Envelope, **values: Any) -> None:
    tx.execute(
        update(bots)
        .where(bots.c.user_id == envelope.aggregate.id)
        .values(updated_at=envelope.occurred_at, **values)
    )


def _started(tx: ProjectionTx, event: ev.BotStarted, envelope: Envelope) -> None:
    row = {
        "user_id": envelope.aggregate.id,
        "status": "running",
        "session_id": event.session_id,
        "pause_reason": None,
        "paused_automatically": False,
        "started_at": envelope.occurred_at,
        "stopped_at": None,
        "stop_reason": None,
        "changed_by": event.by,
        "updated_at": envelope.occurred_at,
    }
    upsert = insert(bots).values(row)
    tx.execute(upsert.on_conflict_do_update(index_elements=["user_id"], set_=row))


def _paused(tx: ProjectionTx, event: ev.BotPaused, envelope: Envelope) -> None:
    _set(
        tx,
        envelope,
        status="paused",
        pause_reason=event.reason[:512],
        paused_automatically=event.automatic,
        changed_by=event.by,
    )


def _resumed(tx: ProjectionTx, event: ev.BotResumed, envelope: Envelope) -> None:
    _set(
        tx,
        envelope,
        status="running",
        pause_reason=None,
        paused_automatically=False,
        changed_by=event.by,
    )


def _stopped(tx: ProjectionTx, event: ev.BotStopped, envelope: Envelope) -> None:
    _set(
        tx,
        envelope,
        status="stopped",
        pause_reason=None,
        stopped_at=envelope.occurred_at,
        stop_reason=event.reason[:512],
        changed_by=event.by,
    )


class BotsProjection(DispatchingProjection):
    """One row per trader whose bot ever started."""

    name = "bots"
    version = 2  # 2: text columns follow the event bounds
    metadata: ClassVar[MetaData] = metadata
    handlers: ClassVar[dict[type[DomainEvent], Handler]] = {
        ev.BotStarted: _started,
        ev.BotPaused: _paused,
        ev.BotResumed: _resumed,
        ev.BotStopped: _stopped,
    }
