"""An account's past from BingX: ``allFillOrders`` and ``income`` read window by window.

BingX answers one bounded time window per request (``allFillOrders``: 30 days at most, as
ccxt asks) and a bounded number of rows (``income``: ``limit`` ≤ 1000; ``allFillOrders``:
undocumented). A window whose answer is full may have more: it is split in two halves and
each read again, until every answer is below the cap — so nothing is lost whichever rows a
full answer keeps. Requests go through the user's transport: signed inside Vault, paced by
the per-UID and egress budgets. A rate-limit refusal the transport could not wait out is
reported to the caller (:class:`RateLimited`), which pauses and reads the window again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any

from fleet.bingx import BingxClient
from fleet.bingx.models import Fill
from fleet.events.history import ImportedIncome
from fleet.executor.adapters.bingx_account import IncomeRow
from fleet.executor.domain.bingx_fills import FillRow

FILL_WINDOW_MS = 30 * 24 * 3_600_000
INCOME_LIMIT = 1000  # BingX's largest page
FILL_PAGE_GUESS = 1000  # an answer of this many fills may have been cut
ALL_INCOME = ""  # no incomeType: every kind


def windows(since_ms: int, until_ms: int, span_ms: int = FILL_WINDOW_MS) -> list[tuple[int, int]]:
    """[since, until] cut into consecutive windows of at most ``span_ms`` (inclusive ends)."""
    cuts, start = [], since_ms
    while start <= until_ms:
        end = min(start + span_ms - 1, until_ms)
        cuts.append((start, end))
        start = end + 1
    return cuts


Page = Callable[[int, int], Awaitable[list[Any]]]


async def _all_rows(page: Page, start: int, end: int, cap: int) -> list[Any]:
    """Every row of [start, end]: a full answer is split in halves and each read again."""
    rows = await page(start, end)
    if len(rows) < cap or end <= start:
        return rows
    middle = (start + end) // 2
    return await _all_rows(page, start, middle, cap) + await _all_rows(page, middle + 1, end, cap)


class BingxHistory:
    """Fills and income of one account, one window at a time."""

    def __init__(
        self,
        client: BingxClient,
        *,
        fill_cap: int = FILL_PAGE_GUESS,
        income_limit: int = INCOME_LIMIT,
    ) -> None:
        self._client = client
        self._fill_cap = fill_cap
        self._income_limit = income_limit

    async def fills(self, start_ms: int, end_ms: int) -> list[FillRow]:
        """Every fill of the window, on every symbol."""

        async def page(start: int, end: int) -> list[Fill]:
            return await self._client.fills(None, start, end)

        found = await _all_rows(page, start_ms, end_ms, self._fill_cap)
        return [row for row in map(fill_row, found) if row is not None]

    async def income(self, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        """Every income row of the window (each ``tranId`` once)."""

        async def page(start: int, end: int) -> list[dict[str, Any]]:
            return await self._client.income(ALL_INCOME, start, end, self._income_limit)

        found = await _all_rows(page, start_ms, end_ms, self._income_limit)
        return list({str(row.get("tranId")): row for row in found if row.get("tranId")}.values())


def fill_row(fill: Fill) -> FillRow | None:
    """A fill as the fold reads it; ``None`` when it has no time or no quantity."""
    at = fill.filled_at
    if at is None or fill.quantity <= 0:
        return None
    return FillRow(
        order_id=fill.order_id,
        symbol=fill.symbol,
        side=fill.side,
        position_side=fill.position_side,
        price=fill.price,
        quantity=fill.quantity,
        fee=abs(fill.commission),
        at=at.astimezone(UTC),
    )


def imported_income(read: IncomeRow) -> ImportedIncome | None:
    """An income row (read by :func:`income_row`) as history; ``None`` if it is out of
    the event's bounds (an over-long id or symbol)."""
    try:
        return ImportedIncome(
            tran_id=read.tran_id,
            income_type=read.income_type,
            symbol=read.symbol,
            amount=read.amount,
            asset=read.asset,
            at=read.at,
        )
    except ValueError:  # pydantic's ValidationError
        return None
