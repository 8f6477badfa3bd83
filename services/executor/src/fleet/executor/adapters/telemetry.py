"""Routine decisions to the telemetry stream (``FLEET_TELEMETRY``, ``tm.account.<user>``).

A decision that changes no state is kept for the trader's feed, not for the log: a
publish that fails is logged and counted (``executor_telemetry_lost_total``) and the
trader's turn goes on — the feed misses one skip, no order waits for it.
"""

from __future__ import annotations

from datetime import datetime

from nats.aio.client import Client

from fleet.events import EventId
from fleet.events.trading import SignalEvaluated
from fleet.eventstore.stream import TelemetrySpec
from fleet.eventstore.telemetry import TelemetryPublisher, decisions_since
from fleet.executor import metrics
from fleet.obs import get_logger


class JetStreamTelemetry:
    """:class:`~fleet.executor.ports.DecisionTelemetry` on a JetStream telemetry stream."""

    def __init__(self, nc: Client, spec: TelemetrySpec) -> None:
        self._nc = nc
        self._spec = spec
        self._publisher = TelemetryPublisher(nc, spec)

    async def decided(
        self, user_id: str, evaluation: SignalEvaluated, causation_id: EventId
    ) -> None:
        try:
            outcome = await self._publisher.publish_decision(user_id, evaluation, causation_id)
        except Exception as exc:  # a lost skip never stops trading
            self._lost(user_id, evaluation, repr(exc))
            return
        if outcome.last_sequence is None:
            self._lost(user_id, evaluation, outcome.error)

    async def decided_since(self, since: datetime) -> dict[str, set[str]]:
        try:
            return await decisions_since(self._nc, self._spec, since)
        except Exception as exc:  # unread: the replay decides those signals again
            get_logger().warning("recent routine decisions not read", error=repr(exc))
            return {}

    def _lost(self, user_id: str, evaluation: SignalEvaluated, error: str) -> None:
        metrics.TELEMETRY_LOST.inc()
        get_logger().warning(
            "routine decision not stored in telemetry",
            user=user_id,
            signal=evaluation.signal_id,
            code=evaluation.code,
            error=error,
        )
