"""The platform's kill switch as one aggregate (``halt.platform``): halted or not, why and
by whom. Pure. Every executor folds the same events (:class:`fleet.events.halt.HaltState`), so
one append stops new entries everywhere at once; the risk gate does the refusing."""

from __future__ import annotations

from fleet.events import AggregateId, DomainEvent
from fleet.events.aggregate import Aggregate
from fleet.events.halt import HALT_AGGREGATE, HaltState, TradingHalted, TradingResumed


class PlatformHalt(Aggregate):
    """halt / resume, by an admin. Halting while halted and resuming while not halted
    record nothing: the switch is a state, not a counter."""

    aggregate_type = HALT_AGGREGATE

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.state = HaltState()

    def halt(self, reason: str, by: str) -> bool:
        """Halt trading; False when it was halted already."""
        if self.state.halted:
            return False
        self.record(TradingHalted(reason=reason, by=by))
        return True

    def resume(self, reason: str, by: str) -> bool:
        """Lift the halt; False when trading was not halted."""
        if not self.state.halted:
            return False
        self.record(TradingResumed(reason=reason, by=by))
        return True

    def apply(self, event: DomainEvent) -> None:
        self.state.apply(event)
