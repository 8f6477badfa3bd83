"""BingX's fill and income history as past trades (pure, no I/O).

A BingX fill row says neither whether it opened or closed a position (recorded rows have
no ``side``) nor what it earned; the income history does: a ``REALIZED_PNL`` row carrying
the fill's ``tradeId``. So a fill with realised PnL is a *closing* fill and becomes one
closed trade — its exit price the fill's, its PnL BingX's figure, its entry price the
average BingX closed against (exit ∓ PnL / quantity), opened at the earliest opening fill
it used up (first in, first out) — and the other fills are openings. The pairing is by
``tradeId``, not by time: a market order closing in several partial fills in one
millisecond has one REALIZED_PNL row per partial, each its own trade. A close at exactly
zero PnL has no income row and is taken for an opening: BingX gives no way to tell.
Openings still open at the end are a live position, not history: the executor's
reconciliation follows that. A fill whose direction cannot be told (one-way mode without a
``side``) is counted as skipped.

Each closing fill's trade has a stable identity (its ``tradeId``), so importing the same
history twice stores it once.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

from fleet.events.history import ImportedTrade

Direction = Literal["long", "short"]
PRICE_PLACES = Decimal("0.00000001")


@dataclass(frozen=True)
class FillRow:
    """One row of ``allFillOrders`` as the adapter read it."""

    order_id: str
    symbol: str
    side: Literal["BUY", "SELL"] | None
    position_side: Literal["LONG", "SHORT", "BOTH"] | None
    price: Decimal
    quantity: Decimal
    fee: Decimal  # paid, positive
    at: datetime  # to the millisecond
    trade_id: str  # BingX's ``tradeId``: the fill's identity, named by its income rows too

    @property
    def at_ms(self) -> int:
        return int(self.at.timestamp() * 1000)

    @property
    def identity(self) -> str:
        """BingX's own id: two equal partials of one order are still two fills."""
        return self.trade_id


@dataclass
class _Lot:
    quantity: Decimal
    fee_per_unit: Decimal
    at: datetime


@dataclass
class FoldedHistory:
    trades: list[ImportedTrade] = field(default_factory=list)
    skipped: int = 0  # fills whose direction BingX's rows do not tell


class IncomeFigure(Protocol):
    """What the fold needs of an income row (the adapter's parsed row): read once by the
    adapter, never re-parsed from text here."""

    @property
    def income_type(self) -> str: ...
    @property
    def trade_id(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...


def realised_by_fill(rows: Iterable[IncomeFigure]) -> dict[str, Decimal]:
    """tradeId → realised PnL, from the income history's REALIZED_PNL rows (a row without
    a ``tradeId`` names no fill, so it closes none)."""
    found: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.income_type == "REALIZED_PNL" and row.trade_id:
            found[row.trade_id] += row.amount
    return dict(found)


def trade_id(user_id: str, fill: FillRow) -> str:
    digest = hashlib.sha256(f"bingx|{user_id}|{fill.identity}".encode()).hexdigest()
    return f"bingx-{digest[:32]}"


def fold_fills(
    user_id: str, fills: Iterable[FillRow], realised: Mapping[str, Decimal]
) -> FoldedHistory:
    """The closed trades the fills make (in time order); see the module's docstring."""
    folded = FoldedHistory()
    lots: dict[tuple[str, Direction], deque[_Lot]] = defaultdict(deque)
    for fill in sorted(fills, key=lambda f: (f.at_ms, f.order_id, f.trade_id)):
        pnl = realised.get(fill.trade_id)
        direction = _direction(fill, closing=pnl is not None)
        if direction is None:
            folded.skipped += 1
            continue
        queue = lots[(fill.symbol, direction)]
        if pnl is None:
            queue.append(_Lot(fill.quantity, fill.fee / fill.quantity, fill.at))
            continue
        opened_at, opening_fees = _use_lots(queue, fill.quantity)
        folded.trades.append(_closed(user_id, fill, direction, pnl, opened_at, opening_fees))
    return folded


def _direction(fill: FillRow, *, closing: bool) -> Direction | None:
    if fill.position_side in ("LONG", "SHORT"):
        return "long" if fill.position_side == "LONG" else "short"
    if fill.side is None:
        return None
    buys_long = fill.side == "BUY"
    return "long" if buys_long != closing else "short"


def _use_lots(queue: deque[_Lot], quantity: Decimal) -> tuple[datetime | None, Decimal]:
    """The earliest opening time and the opening fees of ``quantity`` taken first in,
    first out (none when the opening was before the history's start)."""
    opened_at: datetime | None = None
    fees, left = Decimal(0), quantity
    while left > 0 and queue:
        lot = queue[0]
        used = min(left, lot.quantity)
        opened_at = opened_at or lot.at
        fees += used * lot.fee_per_unit
        lot.quantity -= used
        left -= used
        if lot.quantity <= 0:
            queue.popleft()
    return opened_at, fees


def _closed(
    user_id: str,
    fill: FillRow,
    direction: Direction,
    pnl: Decimal,
    opened_at: datetime | None,
    opening_fees: Decimal,
) -> ImportedTrade:
    per_unit = pnl / fill.quantity
    entry = fill.price - per_unit if direction == "long" else fill.price + per_unit
    return ImportedTrade(
        trade_id=trade_id(user_id, fill),
        source_id=fill.order_id,
        symbol=fill.symbol,
        direction=direction,
        quantity=fill.quantity,
        entry_price=entry.quantize(PRICE_PLACES),
        exit_price=fill.price,
        realised_pnl=pnl,
        fees=(fill.fee + opening_fees).quantize(PRICE_PLACES),
        opened_at=opened_at or fill.at,
        closed_at=fill.at,
        order_id=fill.order_id,
    )
