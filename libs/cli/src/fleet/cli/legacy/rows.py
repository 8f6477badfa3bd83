"""Reading the legacy bot's ``trades`` rows into :class:`LegacyTrade` values (pure, no I/O).

Column names match case-insensitively from :data:`SYNONYMS` (``--map column=field`` adds
others). Sides are LONG/SHORT or BUY/SELL; times are ISO-8601 text or epoch seconds or
milliseconds (numbers above :data:`EPOCH_MS_FROM` are milliseconds); symbols normalise to
BingX's ``BASE-USDT``. A row that cannot be read raises :class:`BadRow` with its id and the
reason, so a caller can refuse the whole file before storing anything.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from fleet.cli.errors import CliError

# field -> column names the legacy bots used for it (lower case)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "row_id": ("id", "trade_id", "rowid"),
    "symbol": ("symbol", "pair", "ticker", "market"),
    "side": ("side", "direction", "position_side", "type"),
    "quantity": ("quantity", "qty", "size", "amount", "volume"),
    "entry_price": ("entry_price", "entry", "open_price", "price_in"),
    "exit_price": ("exit_price", "exit", "close_price", "price_out"),
    "pnl": ("pnl", "profit", "realized_pnl", "realised_pnl", "profit_loss"),
    "entry_time": ("entry_time", "opened_at", "open_time", "entry_timestamp", "timestamp"),
    "exit_time": ("exit_time", "closed_at", "close_time", "exit_timestamp"),
    "status": ("status", "state"),
    "fees": ("fees", "fee", "commission"),
    "order_id": ("order_id", "orderid", "exchange_order_id"),
    "leverage": ("leverage", "lev"),
}
REQUIRED = ("symbol", "side", "quantity", "entry_price", "entry_time")
EPOCH_MS_FROM = 100_000_000_000  # 1973 in ms, year 5138 in s: larger is milliseconds
QUOTES = ("USDT", "USDC", "USD")
LONG_SIDES = {"LONG", "BUY", "L"}
SHORT_SIDES = {"SHORT", "SELL", "S"}
OPEN_STATUSES = {"OPEN", "ACTIVE", "RUNNING"}
CLOSED_STATUSES = {"CLOSED", "CLOSE", "DONE", "FILLED", "EXITED"}


class BadRow(CliError, ValueError):
    """A row the importer cannot read: its id and why."""

    error_code = "legacy_bad_row"

    def __init__(self, row_id: str, reason: str) -> None:
        super().__init__(f"row {row_id}: {reason}")
        self.row_id = row_id
        self.reason = reason


class BadMapping(CliError, ValueError):
    """A ``--map`` argument that is not ``column=field`` with a known field."""

    error_code = "legacy_bad_mapping"


@dataclass(frozen=True)
class LegacyTrade:
    """One row of the legacy ``trades`` table, read and checked."""

    row_id: str
    symbol: str
    direction: Literal["long", "short"]
    quantity: Decimal
    entry_price: Decimal
    exit_price: Decimal | None
    pnl: Decimal | None
    opened_at: datetime
    closed_at: datetime | None
    fees: Decimal
    order_id: str | None
    leverage: int

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def trade_id(self, user_id: str, file_fingerprint: str) -> str:
        """Stable across runs: the same row of the same file of the same user is the same
        trade; another file's row with the same id is another trade."""
        key = f"legacy|{user_id}|{file_fingerprint}|{self.row_id}"
        return f"legacy-{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def file_fingerprint(trades: Sequence[LegacyTrade]) -> str:
    """The file's identity: a hash of its first trade's entry (row id, symbol, side,
    quantity, entry price and time), which never changes: a bot appends trades and closes
    open ones, so the fingerprint stays as the file grows, and two bots' files (whose row
    ids both start at 1) differ."""
    if not trades:
        return "empty"
    first = trades[0]
    entry = (first.row_id, first.symbol, first.direction, first.quantity, first.entry_price)
    text = "|".join(map(str, entry)) + f"|{first.opened_at.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """``["Coin=symbol", ...]`` → ``{"coin": "symbol"}`` (column lower-cased)."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip() or field.strip() not in SYNONYMS:
            known = ", ".join(SYNONYMS)
            raise BadMapping(f"--map {pair!r}: expected column=field, field one of {known}")
        mapping[column.strip().lower()] = field.strip()
    return mapping


def column_fields(columns: Sequence[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """field → the table's column holding it (``--map`` first, then the synonyms)."""
    by_lower = {c.lower(): c for c in columns}
    found: dict[str, str] = {}
    for column, field in mapping.items():
        if column in by_lower:
            found[field] = by_lower[column]
    for field, names in SYNONYMS.items():
        if field not in found:
            match = next((by_lower[n] for n in names if n in by_lower), None)
            if match is not None:
                found[field] = match
    return found


def missing_fields(fields: Mapping[str, str]) -> list[str]:
    """Required fields no column provides."""
    return [f for f in REQUIRED if f not in fields]


def normalise_symbol(raw: str) -> str:
    """``btcusdt``, ``BTC/USDT:USDT``, ``BTC_USDT``, ``BTC-USDT`` → ``BTC-USDT``."""
    text = raw.strip().upper().split(":")[0]
    parts = [p for p in re.split(r"[-/_ ]", text) if p]
    if len(parts) == 2 and parts[0].isalnum() and parts[1] in QUOTES:
        return f"{parts[0]}-USDT"
    if len(parts) == 1:
        for quote in QUOTES:
            base = parts[0].removesuffix(quote)
            if base != parts[0] and base.isalnum():
                return f"{base}-USDT"
    raise ValueError(f"symbol {raw!r} is not a USDT pair")


def parse_time(raw: object) -> datetime:
    """ISO-8601 text (naive = UTC), or epoch seconds or milliseconds (number or digits)."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"time {raw!r} is not a time")
    if isinstance(raw, int | float) or (isinstance(raw, str) and _is_number(raw)):
        value = Decimal(str(raw))
        seconds = value / 1000 if value >= EPOCH_MS_FROM else value
        return datetime.fromtimestamp(float(seconds), tz=UTC)
    if isinstance(raw, str):
        text = raw.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"time {raw!r} is neither ISO-8601 nor epoch") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise ValueError(f"time {raw!r} is not a time")


def _is_number(text: str) -> bool:
    return re.fullmatch(r"\s*\d+(\.\d+)?\s*", text) is not None


def parse_direction(raw: object) -> Literal["long", "short"]:
    side = str(raw or "").strip().upper()
    if side in LONG_SIDES:
        return "long"
    if side in SHORT_SIDES:
        return "short"
    raise ValueError(f"side {raw!r} is none of LONG, SHORT, BUY, SELL")


def parse_amount(raw: object, name: str, *, positive: bool = False) -> Decimal:
    if raw is None or isinstance(raw, bool) or str(raw).strip() == "":
        raise ValueError(f"{name} is empty")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"{name} {raw!r} is not a number") from None
    if not value.is_finite() or (positive and value <= 0):
        raise ValueError(f"{name} {raw!r} must be a positive number" if positive else name)
    return value


def _optional(row: Mapping[str, object], fields: Mapping[str, str], field: str) -> object:
    column = fields.get(field)
    value = row.get(column) if column is not None else None
    return None if value is None or str(value).strip() == "" else value


def read_row(row: Mapping[str, object], fields: Mapping[str, str], index: int) -> LegacyTrade:
    """One row as a :class:`LegacyTrade`; :class:`BadRow` (with the row's id) if unreadable."""
    raw_id = _optional(row, fields, "row_id")
    row_id = str(raw_id) if raw_id is not None else str(index)
    try:
        return _read(row, fields, row_id)
    except ValueError as exc:
        raise BadRow(row_id, str(exc)) from None


def _read(row: Mapping[str, object], fields: Mapping[str, str], row_id: str) -> LegacyTrade:
    def get(field: str) -> object:
        return _optional(row, fields, field)

    exit_time = get("exit_time")
    closed_at = parse_time(exit_time) if exit_time is not None else None
    is_open = _is_open(get("status"), closed_at)
    exit_price, pnl = get("exit_price"), get("pnl")
    if not is_open and (exit_price is None or pnl is None or closed_at is None):
        raise ValueError("a closed trade needs exit_price, pnl and exit_time")
    opened_at = parse_time(get("entry_time"))
    if closed_at is not None and closed_at < opened_at:
        raise ValueError("exit_time is before entry_time")
    leverage = get("leverage")
    return LegacyTrade(
        row_id=row_id,
        symbol=normalise_symbol(str(get("symbol") or "")),
        direction=parse_direction(get("side")),
        quantity=parse_amount(get("quantity"), "quantity", positive=True),
        entry_price=parse_amount(get("entry_price"), "entry_price", positive=True),
        exit_price=None if is_open else parse_amount(exit_price, "exit_price", positive=True),
        pnl=None if is_open else parse_amount(pnl, "pnl"),
        opened_at=opened_at,
        closed_at=None if is_open else closed_at,
        fees=parse_amount(get("fees"), "fees") if get("fees") is not None else Decimal(0),
        order_id=str(get("order_id")) if get("order_id") is not None else None,
        leverage=int(parse_amount(leverage, "leverage", positive=True)) if leverage else 1,
    )


def _is_open(status: object, closed_at: datetime | None) -> bool:
    if status is None:
        return closed_at is None
    text = str(status).strip().upper()
    if text in OPEN_STATUSES:
        return True
    if text in CLOSED_STATUSES:
        return False
    raise ValueError(f"status {status!r} is neither open nor closed")


def read_rows(rows: Sequence[Mapping[str, object]], fields: Mapping[str, str]) -> list[LegacyTrade]:
    """Every row read, or :class:`BadRow` for the first that cannot be (nothing partial)."""
    trades = [read_row(row, fields, i + 1) for i, row in enumerate(rows)]
    seen: set[str] = set()
    for trade in trades:
        if trade.row_id in seen:
            raise BadRow(trade.row_id, "the row id appears twice")
        seen.add(trade.row_id)
    return trades
