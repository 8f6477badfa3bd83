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

from fleet.events.bounds import Amount, ClippedText, IdText, SymbolText
from fleet.events.commands import ReplyPayload
from fleet.events.executor_commands import ExecutorCommand
from fleet.events.registry import DomainEvent
from fleet.events.trading import income_id

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
    # an open legacy trade compared with the exchange's positions at import: "matched" (a
    # position with its symbol and direction is open: the executor follows that position),
    # "unmatched" (none: stored closed at the import, with ``note`` saying why, never opened)
    position_match: Literal["matched", "unmatched"] | None = None
    note: ClippedText | None = None


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
    # compare the open trades with the exchange's positions through the user's connected
    # key (signed inside Vault) before storing them
    match_open: bool = False


class TradesImported(ReplyPayload):
    imported: int
    already_there: int
    matched: int = 0  # open trades with a matching exchange position
    unmatched: tuple[str, ...] = ()  # "<source id>: <why>" for each open trade without one


# --- BingX's own history (the last 90 days of fills and income), imported on request ---

BINGX_KEEPS_DAYS = 90  # what BingX serves of an account's fills and income (API.md §4.2)
BingxImportOutcome = Literal["done", "failed"]


class ImportedIncome(BaseModel):
    """One row of BingX's income history (``GET /openApi/swap/v2/user/income``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tran_id: IdText  # BingX's identity of the row: the same row is imported once
    income_type: IdText  # TRANSFER, REALIZED_PNL, FUNDING_FEE, TRADING_FEE, ...
    symbol: SymbolText | None = None
    amount: Amount  # signed: negative is paid
    asset: IdText = "USDT"
    at: datetime


class IncomeImported(DomainEvent):
    """A past money movement of the account entered the trader's history."""

    event_type = "history.income_imported"
    source: HistorySource
    income: ImportedIncome

    def idempotency_key(self) -> str | None:
        return income_id(self.income.tran_id)


class BingxImportStarted(DomainEvent):
    """The trader (``actor``) asked for BingX's history between ``since`` and ``until``,
    read in ``windows`` time windows."""

    event_type = "history.bingx_import_started"
    import_id: IdText
    since: datetime
    until: datetime
    windows: int = Field(ge=1)
    at: datetime


class BingxImportProgressed(DomainEvent):
    """One more time window of fills and income read (counts are the import's so far)."""

    event_type = "history.bingx_import_progressed"
    import_id: IdText
    windows_done: int = Field(ge=0)
    fills_read: int = Field(ge=0)
    income_read: int = Field(ge=0)
    rate_limited: int = Field(ge=0)  # answers "rate limit" that were waited out
    at: datetime


class BingxImportFinished(DomainEvent):
    """The import ended: what it added (a second import of the same history adds 0)."""

    event_type = "history.bingx_import_finished"
    import_id: IdText
    outcome: BingxImportOutcome
    trades_imported: int = Field(ge=0)
    trades_already_there: int = Field(ge=0)
    income_imported: int = Field(ge=0)
    reason: ClippedText = ""
    at: datetime


HISTORY_EVENTS += (IncomeImported, BingxImportStarted, BingxImportProgressed, BingxImportFinished)


class ImportBingxHistory(ExecutorCommand):
    """Import the user's BingX fills and income of the last ``days`` days, in the
    background. Reply: :class:`BingxImportState` (the import just started, or the one
    still running)."""

    name: ClassVar[str] = "import_bingx_history"
    user_id: IdText
    days: int = Field(default=BINGX_KEEPS_DAYS, ge=1, le=BINGX_KEEPS_DAYS)


class GetBingxImport(ExecutorCommand):
    """The user's latest BingX history import. Reply: :class:`BingxImportState`."""

    name: ClassVar[str] = "get_bingx_import"
    user_id: IdText


class BingxImportState(ReplyPayload):
    """A trader's latest BingX history import (also the HTTP answer about it): ``status``
    none (never asked), running, done or failed (``reason`` says why); ``windows_done`` of
    ``windows`` time windows read so far; ``rate_limited`` counts BingX's rate-limit
    answers that were waited out."""

    status: Literal["none", "running", "done", "failed"]
    import_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    windows: int = 0
    windows_done: int = 0
    fills_read: int = 0
    income_read: int = 0
    rate_limited: int = 0
    trades_imported: int = 0
    trades_already_there: int = 0
    income_imported: int = 0
    reason: str = ""
    updated_at: datetime | None = None  # the last event of the import
