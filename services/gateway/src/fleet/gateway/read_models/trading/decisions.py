"""The risk decisions' table shape and row, shared by the two read models that hold them:
``trading`` (decisions in the log) and ``telemetry`` (routine skips, kept 30 days). The
decision feed reads both as one (:mod:`queries`)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, Text

from fleet.events import Envelope
from fleet.events import trading as ev
from fleet.projections.columns import text_column


def decisions_table(metadata: MetaData) -> Table:
    """The ``decisions`` table in ``metadata``'s (placeholder) schema."""
    return Table(
        "decisions",
        metadata,
        Column("event_id", String(64), primary_key=True),
        Column("user_id", String(128), nullable=False),
        text_column("signal_id", ev.SignalEvaluated, "signal_id", nullable=False),
        text_column("symbol", ev.SignalEvaluated, "symbol", nullable=False),
        Column("decision", String(8), nullable=False),
        text_column("code", ev.SignalEvaluated, "code", nullable=False),
        Column("reason", Text, nullable=False),
        Column("numbers", Text, nullable=False),  # JSON object of strings
        Column("decided_at", DateTime(timezone=True), nullable=False),
        Index("decisions_by_user", "user_id", "decided_at"),
    )


def decision_row(event: ev.SignalEvaluated, envelope: Envelope) -> dict[str, Any]:
    """The row of one decision (its envelope says whose and when)."""
    return {
        "event_id": envelope.id,
        "user_id": envelope.aggregate.id,
        "signal_id": event.signal_id,
        "symbol": event.symbol,
        "decision": event.decision,
        "code": event.code,
        "reason": event.reason,
        "numbers": json.dumps(event.numbers, sort_keys=True),
        "decided_at": envelope.occurred_at,
    }
