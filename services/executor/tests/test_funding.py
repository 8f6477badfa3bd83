"""Funding fees: read from BingX's income history when the stream says funding happened or
a funding time passed with a trade open; each payment recorded once, in the PnL."""

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest

from fleet.events import AggregateId
from fleet.events.trading import FundingPaid, TransferRecorded
from fleet.executor.adapters.bingx_account import (
    income_funding,
    income_transfer,
    stream_funding,
)
from fleet.executor.domain.account import OpenTrade, TradingAccount
from fleet.executor.execution import Execution
from fleet.executor.traders import Trader

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 8, 0, 5, tzinfo=UTC)  # just after the 08:00 funding
ROW = {
    "symbol": "BTC-USDT", "incomeType": "FUNDING_FEE", "income": "-0.0450", "asset": "USDT",
    "info": "Funding Fee", "time": 1764576000000, "tranId": "9001", "tradeId": "",
}  # fmt: skip
UPDATE = {
    "e": "ACCOUNT_UPDATE",
    "E": 1764576000100,
    "a": {"m": "FUNDING_FEE", "B": [{"a": "USDT", "wb": "99.95", "cw": "99.95", "bc": "-0.045"}]},
}


class IncomeHistory:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows, self.asked = rows, 0

    async def funding(self, _since_ms: int) -> list[FundingPaid]:
        self.asked += 1
        return [paid for paid in map(income_funding, self.rows) if paid is not None]

    async def transfers(self, _since_ms: int) -> list[TransferRecorded]:
        self.asked += 1
        return [moved for moved in map(income_transfer, self.rows) if moved is not None]


class FakeTrader:
    def __init__(self, exchange: IncomeHistory) -> None:
        self.user_id = "u1"
        self.account = TradingAccount(AggregateId("u1"))
        self.exchange = exchange
        self.lock = asyncio.Lock()

    async def save(self) -> None:
        return None


def execution() -> Execution:
    async def pause(_user: str, _reason: str) -> None:
        return None

    return Execution(cast(Any, None), pause, clock=lambda: NOW)


async def test_a_funding_fee_on_the_stream_is_read_from_the_income_history_once() -> None:
    history = IncomeHistory([ROW])
    trader = FakeTrader(history)
    run = execution()
    await run.on_funding(cast(Trader, trader), stream_funding(UPDATE))
    await run.on_funding(cast(Trader, trader), stream_funding(UPDATE))  # the same, again
    [paid] = [e for e in trader.account.pending if isinstance(e, FundingPaid)]
    assert paid.amount == Decimal("-0.045") and paid.symbol == "BTC-USDT"
    assert trader.account.funding == Decimal("-0.045") and history.asked == 2


async def test_funding_is_asked_for_only_when_due() -> None:
    history = IncomeHistory([ROW])
    trader = FakeTrader(history)
    run = execution()
    await run._fund(cast(Trader, trader))
    assert history.asked == 0  # no trade open, no stream news: nothing to ask
    trader.account.trades[("BTC-USDT", "long")] = OpenTrade(
        "t1", "BTC-USDT", "long", "LONG", Decimal(1), Decimal(100), manual=False
    )
    await run._fund(cast(Trader, trader))
    await run._fund(cast(Trader, trader))  # asked once per funding time
    assert history.asked == 1 and trader.account.funding == Decimal("-0.045")
