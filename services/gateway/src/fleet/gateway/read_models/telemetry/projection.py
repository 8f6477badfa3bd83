"""The telemetry read model (schema ``rm_telemetry``): the routine skips (``no_cross``,
``holding``) the executor sends to ``FLEET_TELEMETRY`` instead of the log, in a table of
the same shape as ``rm_trading.decisions``; the decision feed reads the two as one.

It follows the telemetry stream, not the log: a rebuild reads what the stream still
keeps, so skips older than its retention (30 days) leave the feed, by design. The table
keeps no more than the stream: a user's rows older than the retention, counted back from
the start of the hour of his newest event, are deleted when his first event of each hour
is inserted (one indexed delete per user and hour, not per event; the age is the events'
own, so a rebuild gives the same table).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import MetaData, bindparam, delete

from fleet.events import DomainEvent, Envelope
from fleet.events import trading as ev
from fleet.eventstore.stream import TELEMETRY_MAX_AGE_DAYS
from fleet.gateway.read_models.dispatch import DispatchingProjection, Handler
from fleet.gateway.read_models.trading.decisions import decision_row, decisions_table
from fleet.projections import PROJECTION_SCHEMA, ProjectionTx

metadata = MetaData(schema=PROJECTION_SCHEMA)
decisions = decisions_table(metadata)
KEEP = timedelta(days=TELEMETRY_MAX_AGE_DAYS)  # what the stream keeps
_EXPIRED = delete(decisions).where(
    decisions.c.user_id == bindparam("b_user"), decisions.c.decided_at < bindparam("b_before")
)
# each user's hour whose expiry ran last (in this process): the next runs in another hour
_expired_in: dict[str, datetime] = {}


def _evaluated(tx: ProjectionTx, event: ev.SignalEvaluated, envelope: Envelope) -> None:
    tx.insert(decisions, decision_row(event, envelope))
    _expire(tx, envelope.aggregate.id, envelope.occurred_at)


def _expire(tx: ProjectionTx, user: str, at: datetime) -> None:
    """Delete ``user``'s rows the stream no longer keeps, once per hour of his events:
    a delete per event would also break up the batched inserts of a replay."""
    hour = at.replace(minute=0, second=0, microsecond=0)
    if _expired_in.get(user) == hour:
        return
    tx.execute(_EXPIRED, {"b_user": user, "b_before": hour - KEEP})
    _expired_in[user] = hour


class TelemetryProjection(DispatchingProjection):
    name = "telemetry"
    version = 1
    metadata: ClassVar[MetaData] = metadata
    handlers: ClassVar[dict[type[DomainEvent], Handler]] = {ev.SignalEvaluated: _evaluated}
