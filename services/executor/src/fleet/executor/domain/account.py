"""The trading-account aggregate: risk decisions, order intents and their outcomes."""

from __future__ import annotations

from fleet.events import AggregateId, DomainEvent
from fleet.events.trading import (
    ACCOUNT_AGGREGATE,
    OrderAccepted,
    OrderIntended,
    OrderRejected,
    SignalEvaluated,
)
from fleet.eventstore import Aggregate


class TradingAccount(Aggregate):
    """Knows which orders were intended and which have an outcome."""

    aggregate_type = ACCOUNT_AGGREGATE

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.intents: dict[str, OrderIntended] = {}
        self.outcomes: dict[str, OrderAccepted | OrderRejected] = {}
        self.evaluated_signals: set[str] = set()

    @property
    def open_intents(self) -> list[OrderIntended]:
        """Intents whose outcome is unknown (a crash or timeout came in between)."""
        return [i for cid, i in self.intents.items() if cid not in self.outcomes]

    def evaluate(self, event: SignalEvaluated) -> None:
        if event.signal_id not in self.evaluated_signals:
            self.record(event)

    def intend(self, intent: OrderIntended) -> bool:
        """Record an intent once; False when this clientOrderID was already intended."""
        if intent.client_order_id in self.intents:
            return False
        self.record(intent)
        return True

    def settle(self, outcome: OrderAccepted | OrderRejected) -> None:
        if outcome.client_order_id not in self.outcomes:
            self.record(outcome)

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, OrderIntended):
            self.intents[event.client_order_id] = event
        elif isinstance(event, OrderAccepted | OrderRejected):
            self.outcomes[event.client_order_id] = event
        elif isinstance(event, SignalEvaluated):
            self.evaluated_signals.add(event.signal_id)
