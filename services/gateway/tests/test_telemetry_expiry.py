"""The telemetry read model keeps no more than its stream (30 days): a user's older rows
are deleted with one indexed delete per user and hour of his events, aged by the events'
own time (so a rebuild gives the same table), never one per event (no PostgreSQL here: a
transaction that records its statements; the delete is compiled for PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.sql import Delete

from fleet.events import AggregateId, AggregateRef, Envelope, wrap
from fleet.events import trading as ev
from fleet.eventstore.stream import TELEMETRY_MAX_AGE_DAYS
from fleet.gateway.read_models.telemetry.projection import TelemetryProjection

T0 = datetime(2026, 3, 1, 9, 10, tzinfo=UTC)


class Recording:
    """A projection transaction that keeps what it was asked to run."""

    def __init__(self) -> None:
        self.inserted: list[dict[str, Any]] = []
        self.deletes: list[tuple[Delete, dict[str, Any]]] = []

    def insert(self, table: Any, row: dict[str, Any]) -> None:
        self.inserted.append(row)

    def execute(self, statement: Any, params: Any = None) -> None:
        assert isinstance(statement, Delete), statement
        self.deletes.append((statement, params))


def _skip(user: str, at: datetime) -> tuple[ev.SignalEvaluated, Envelope]:
    event = ev.SignalEvaluated(
        signal_id=f"s-{at.isoformat()}",
        symbol="ETH-USDT",
        decision="skip",
        code="no_cross",
        reason="no cross",
        numbers={},
    )
    ref = AggregateRef(type="trading", id=AggregateId(user))
    return event, wrap(event, ref).model_copy(update={"occurred_at": at})


def _apply(tx: Recording, user: str, at: datetime) -> None:
    event, envelope = _skip(user, at)
    TelemetryProjection().apply(tx, event, envelope)  # type: ignore[arg-type]


def test_a_users_rows_past_the_streams_age_are_deleted_once_an_hour() -> None:
    tx = Recording()
    for minutes in (0, 5, 49):  # one hour of one user's events: one delete
        _apply(tx, "tina", T0 + timedelta(minutes=minutes))
    _apply(tx, "tom", T0)  # another user's: his own
    _apply(tx, "tina", T0 + timedelta(hours=1))  # the next hour: again
    assert len(tx.inserted) == 5
    hour = T0.replace(minute=0)
    keep = timedelta(days=TELEMETRY_MAX_AGE_DAYS)
    assert [params for _, params in tx.deletes] == [
        {"b_user": "tina", "b_before": hour - keep},
        {"b_user": "tom", "b_before": hour - keep},
        {"b_user": "tina", "b_before": hour + timedelta(hours=1) - keep},
    ]
    sql = str(tx.deletes[0][0].compile(dialect=PGDialect()))  # type: ignore[no-untyped-call]
    assert "DELETE FROM" in sql and "decisions.user_id =" in sql
    assert "decisions.decided_at <" in sql  # by the index (user_id, decided_at)
