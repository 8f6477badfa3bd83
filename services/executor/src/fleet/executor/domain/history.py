"""A trader's imported history: past trades from a legacy bot or from BingX, each once."""

from __future__ import annotations

from collections.abc import Iterable

from fleet.events import AggregateId
from fleet.events.aggregate import Aggregate
from fleet.events.history import HISTORY_AGGREGATE, HistorySource, ImportedTrade, TradeImported
from fleet.events.registry import DomainEvent


class ImportedHistory(Aggregate):
    """Knows which trades are in the history, so an import records only new ones."""

    aggregate_type = HISTORY_AGGREGATE

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.trade_ids: set[str] = set()

    def add(self, source: HistorySource, trades: Iterable[ImportedTrade]) -> int:
        """Record the trades not in the history yet; how many that was."""
        added = 0
        for trade in trades:
            if trade.trade_id not in self.trade_ids:
                self.record(TradeImported(source=source, trade=trade))
                added += 1
        return added

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, TradeImported):
            self.trade_ids.add(event.trade.trade_id)
