"""BingX's history as the simulator serves it (fills and income of up to 90 days, a bounded
window and bounded answers), read completely by the executor's paging reader."""

import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.bingx.errors import InvalidParameter
from fleet.bingx.ratelimit import TokenBucket
from fleet.executor.adapters.bingx_account import income_row
from fleet.executor.adapters.bingx_history import BingxHistory, windows
from fleet.executor.domain.bingx_fills import fold_fills, realised_by_fill

pytestmark = pytest.mark.integration
DAY_MS = 24 * 3_600_000


class PerEndpoint:
    """4 requests a second per endpoint (BingX allows 5 per UID): what the executor's
    budget does for it."""

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}

    async def acquire(self, endpoint: str) -> None:
        await self._buckets.setdefault(endpoint, TokenBucket(4, 1)).take()


async def sim_post(sim: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        answer = await http.post(path, json=body)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())


@pytest.fixture
async def seeded(bingx_sim: Any) -> AsyncIterator[tuple[BingxClient, dict[str, Any]]]:
    """A fresh account with 40 closed trades over the last 90 days; answers of at most 7
    rows (put back to 1000 afterwards: the simulator is shared)."""
    keys = await sim_post(bingx_sim, "/sim/accounts", {"balance": "10000"})
    past = await sim_post(
        bingx_sim, f"/sim/accounts/{keys['apiKey']}/history", {"round_trips": 40, "days": 90}
    )
    await sim_post(bingx_sim, "/sim/history-limits", {"rows_max": 7})
    client = BingxClient(
        Transport(
            bingx_sim.url,
            LocalHmacSigner(keys["apiKey"], keys["secretKey"]),
            budget=PerEndpoint(),
        )
    )
    try:
        yield client, past
    finally:
        await sim_post(bingx_sim, "/sim/history-limits", {"rows_max": 1000})
        await client.close()


async def test_a_fill_window_wider_than_thirty_days_is_refused(
    seeded: tuple[BingxClient, dict[str, Any]],
) -> None:
    client, _ = seeded
    now = int(time.time() * 1000)
    with pytest.raises(InvalidParameter, match="thirty days"):
        await client.fills(None, now - 31 * DAY_MS, now)
    assert len(await client.fills(None, now - 30 * DAY_MS, now)) == 7  # cut at rows_max


async def test_paging_by_window_reads_every_fill_and_income_row(
    seeded: tuple[BingxClient, dict[str, Any]],
) -> None:
    client, past = seeded
    reader = BingxHistory(client, fill_cap=7, income_limit=7)
    now = int(time.time() * 1000)
    fills, income = [], []
    for start, end in windows(now - 90 * DAY_MS, now, 7 * DAY_MS):
        fills += await reader.fills(start, end)
        income += await reader.income(start, end)
    assert len(fills) == past["fills"] == 80
    assert len(income) == past["incomeRows"] == 120  # a fee per fill, a PnL per close
    read = [row for row in map(income_row, income) if row is not None]
    assert len(read) == len(income)  # every row the simulator writes reads
    trades = fold_fills("u1", fills, realised_by_fill(read)).trades
    assert len(trades) == past["roundTrips"]
    assert sum(t.realised_pnl or 0 for t in trades) == Decimal(past["realisedPnl"])
    assert {t.direction for t in trades} == {"long", "short"}
