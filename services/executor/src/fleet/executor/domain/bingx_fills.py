"""BingX's fill and income history as past trades (pure, no I/O).

A BingX fill row says neither whether it opened or closed a position (recorded rows have
no ``side``) nor what it earned; the income history does: a ``REALIZED_PNL`` row at the
fill's millisecond on its symbol. (Income rows carry a ``tradeId``, but API.md lists none on
``allFillOrders`` rows, so time is the one key both sides have.) The partial fills of one
order at one millisecond are first merged into one fill — their quantities and fees
summed, their price the quantity-weighted average — since the REALIZED_PNL rows of that
millisecond are summed too: an order closing in three partials is one closed trade, not one
close and two made-up openings. A fill with realised PnL is a *closing* fill and becomes one
closed trade — its exit price the fill's, its PnL BingX's figure, its entry price the
average BingX closed against (exit ∓ PnL / quantity), opened at the earliest opening fill
it used up (first in, first out) — and the other fills are openings. Two orders on one
symbol closing in the same millisecond cannot be told apart: the PnL goes to the first. A
close at exactly zero PnL has no income row and is taken for an opening: BingX gives no
way to tell. Openings still open at the end are a live position, not history: the
executor's reconciliation follows that. A fill whose direction cannot be told (one-way
mode without a ``side``) is counted as skipped.

Each closing fill's trade has a stable identity (order id, fill time, quantity, price — a
single fill's as before partials were merged), so importing the same history twice stores
it once.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
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

    @property
    def at_ms(self) -> int:
        return int(self.at.timestamp() * 1000)

    @property
    def identity(self) -> str:
        return f"{self.order_id}|{self.at_ms}|{self.quantity}|{self.price}"


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
    def symbol(self) -> str | None: ...
    @property
    def at(self) -> datetime: ...
    @property
    def amount(self) -> Decimal: ...


def realised_by_fill(rows: Iterable[IncomeFigure]) -> dict[tuple[str, int], Decimal]:
    """(symbol, time in ms) → realised PnL, summed, from the REALIZED_PNL rows."""
    found: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.income_type == "REALIZED_PNL" and row.symbol:
            found[(row.symbol, int(row.at.timestamp() * 1000))] += row.amount
    return dict(found)


def merged_partials(fills: Iterable[FillRow]) -> list[FillRow]:
    """The fills with the partials of each order at each millisecond merged into one."""
    groups: dict[tuple[str, int], list[FillRow]] = defaultdict(list)
    for fill in fills:
        groups[(fill.order_id, fill.at_ms)].append(fill)
    return [_merged(group) for group in groups.values()]


def _merged(group: list[FillRow]) -> FillRow:
    if len(group) == 1:
        return group[0]
    quantity = sum((f.quantity for f in group), Decimal(0))
    price = sum((f.price * f.quantity for f in group), Decimal(0)) / quantity
    return replace(
        group[0],
        quantity=quantity,
        price=price.quantize(PRICE_PLACES),
        fee=sum((f.fee for f in group), Decimal(0)),
    )


def trade_id(user_id: str, fill: FillRow) -> str:
    digest = hashlib.sha256(f"bingx|{user_id}|{fill.identity}".encode()).hexdigest()
    return f"bingx-{digest[:32]}"


def fold_fills(
    user_id: str, fills: Iterable[FillRow], realised: Mapping[tuple[str, int], Decimal]
) -> FoldedHistory:
    """The closed trades the fills make (in time order); see the module's docstring."""
    folded = FoldedHistory()
    lots: dict[tuple[str, Direction], deque[_Lot]] = defaultdict(deque)
    unused = dict(realised)  # two orders closing in one millisecond: the PnL goes to the first
    for fill in sorted(merged_partials(fills), key=lambda f: (f.at_ms, f.order_id)):
        pnl = unused.pop((fill.symbol, fill.at_ms), None)
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
