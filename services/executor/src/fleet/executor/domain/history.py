"""A trader's imported history: past trades from a legacy bot or from BingX, each once,
BingX's income rows, each once, and the state of his BingX history imports."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from fleet.events import AggregateId
from fleet.events.aggregate import Aggregate
from fleet.events.history import (
    HISTORY_AGGREGATE,
    BingxImportFinished,
    BingxImportProgressed,
    BingxImportStarted,
    BingxImportState,
    HistorySource,
    ImportedIncome,
    ImportedTrade,
    IncomeImported,
    TradeImported,
)
from fleet.events.registry import DomainEvent


class ImportedHistory(Aggregate):
    """Knows which trades and income rows are in the history, so an import records only
    new ones, and how the latest BingX import went."""

    aggregate_type = HISTORY_AGGREGATE

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.recorded: set[str | None] = set()  # the trades' and income rows' identities
        self.bingx_import = BingxImportState(status="none")

    def add(self, source: HistorySource, trades: Iterable[ImportedTrade]) -> int:
        """Record the trades not in the history yet; how many that was."""
        return self._add_new(TradeImported(source=source, trade=trade) for trade in trades)

    def add_income(self, source: HistorySource, rows: Iterable[ImportedIncome]) -> int:
        """Record the income rows not in the history yet; how many that was."""
        return self._add_new(IncomeImported(source=source, income=row) for row in rows)

    def _add_new(self, events: Iterable[TradeImported | IncomeImported]) -> int:
        added = 0
        for event in events:
            if event.idempotency_key() not in self.recorded:
                self.record(event)
                added += 1
        return added

    @property
    def importing(self) -> bool:
        return self.bingx_import.status == "running"

    def stalled(self, now: datetime, after: timedelta) -> bool:
        """Running, but nothing heard of it for ``after`` (its process ended)."""
        last = self.bingx_import.updated_at
        return self.importing and last is not None and now - last > after

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, TradeImported | IncomeImported):
            self.recorded.add(event.idempotency_key())
        elif isinstance(event, BingxImportStarted):
            self.bingx_import = BingxImportState(
                status="running",
                import_id=event.import_id,
                since=event.since,
                until=event.until,
                windows=event.windows,
                updated_at=event.at,
            )
        elif isinstance(event, BingxImportProgressed | BingxImportFinished):
            self._follow(event)

    def _follow(self, event: BingxImportProgressed | BingxImportFinished) -> None:
        if event.import_id != self.bingx_import.import_id:
            return
        if isinstance(event, BingxImportProgressed):
            changes = event.model_dump(exclude={"import_id", "at"})
        else:
            changes = event.model_dump(exclude={"import_id", "outcome", "at"})
            changes["status"] = event.outcome
        changes["updated_at"] = event.at
        self.bingx_import = self.bingx_import.model_copy(update=changes)


def match_open_trades(
    trades: Iterable[ImportedTrade], positions: Iterable[tuple[str, str]], now: datetime
) -> tuple[list[ImportedTrade], int, list[str]]:
    """Open imported trades compared with the exchange's open (symbol, direction) positions:
    one with a matching position is marked matched (still open: the executor's
    reconciliation follows the position); one without is closed at ``now``, unmatched,
    with the reason — never opened. The trades, how many matched, and "<source id>: why"
    for each unmatched one."""
    open_now = set(positions)
    result, matched, unmatched = [], 0, []
    for trade in trades:
        if trade.closed_at is not None:
            result.append(trade)
        elif (trade.symbol, trade.direction) in open_now:
            matched += 1
            note = f"matched the open BingX {trade.direction} position in {trade.symbol}"
            result.append(trade.model_copy(update={"position_match": "matched", "note": note}))
        else:
            why = f"no open BingX {trade.direction} position in {trade.symbol} at the import"
            unmatched.append(f"{trade.source_id}: {why}")
            changes = {"position_match": "unmatched", "note": why, "closed_at": now}
            result.append(trade.model_copy(update=changes))
    return result, matched, unmatched
