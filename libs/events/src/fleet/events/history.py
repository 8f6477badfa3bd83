"""Imported trading history (aggregate ``history``, id = user id), owned by the executor:
trades a trader made before Fleet watched his account, from a legacy bot's SQLite file
(``source`` = ``legacy``) or from BingX's own fill history (``bingx``).

Each trade's identity is stable (``trade_id``, derived from the source's row or order id
and the user), so importing the same history twice stores it once.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from fleet.events.bounds import Amount, IdText, SymbolText
from fleet.events.commands import ReplyPayload
from fleet.events.executor_commands import ExecutorCommand
from fleet.events.registry import DomainEvent

HISTORY_AGGREGATE = "history"
HistorySource = Literal["legacy", "bingx"]
IMPORT_MAX = 1000  # trades one import command carries (one atomic append)


class ImportedTrade(BaseModel):
    """One trade of the past, as its source recorded it (times are the original ones)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trade_id: IdText
    source_id: IdText  # the row id in the legacy file, the order id at BingX
    symbol: SymbolText
    direction: Literal["long", "short"]
    quantity: Amount
    entry_price: Amount
    exit_price: Amount | None = None  # None while open
    realised_pnl: Amount | None = None  # None while open
    fees: Amount = Decimal(0)
    leverage: int = Field(default=1, ge=1, le=125)
    opened_at: datetime
    closed_at: datetime | None = None
    order_id: IdText | None = None


class TradeImported(DomainEvent):
    """A past trade entered the trader's history (shown marked imported, with its source)."""

    event_type = "history.trade_imported"
    source: HistorySource
    trade: ImportedTrade

    def idempotency_key(self) -> str | None:
        return self.trade.trade_id


HISTORY_EVENTS: tuple[type[DomainEvent], ...] = (TradeImported,)


class ImportTrades(ExecutorCommand):
    """Add past trades to a trader's history (those already there are skipped).
    Reply: :class:`TradesImported`."""

    name: ClassVar[str] = "import_trades"
    user_id: IdText
    source: HistorySource
    trades: Annotated[tuple[ImportedTrade, ...], Field(max_length=IMPORT_MAX)]


class TradesImported(ReplyPayload):
    imported: int
    already_there: int
