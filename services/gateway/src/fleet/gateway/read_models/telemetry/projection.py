"""The telemetry read model (schema ``rm_telemetry``): the routine skips (``no_cross``,
``holding``) the executor sends to ``FLEET_TELEMETRY`` instead of the log, in a table of
the same shape as ``rm_trading.decisions``; the decision feed reads the two as one.

It follows the telemetry stream, not the log: a rebuild reads what the stream still
keeps, so skips older than its retention (30 days) leave the feed, by design.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import MetaData

from fleet.events import DomainEvent, Envelope
from fleet.events import trading as ev
from fleet.gateway.read_models.dispatch import DispatchingProjection, Handler
from fleet.gateway.read_models.trading.decisions import decision_row, decisions_table
from fleet.projections import PROJECTION_SCHEMA, ProjectionTx

metadata = MetaData(schema=PROJECTION_SCHEMA)
decisions = decisions_table(metadata)


def _evaluated(tx: ProjectionTx, event: ev.SignalEvaluated, envelope: Envelope) -> None:
    tx.insert(decisions, decision_row(event, envelope))


class TelemetryProjection(DispatchingProjection):
    name = "telemetry"
    version = 1
    metadata: ClassVar[MetaData] = metadata
    handlers: ClassVar[dict[type[DomainEvent], Handler]] = {ev.SignalEvaluated: _evaluated}
