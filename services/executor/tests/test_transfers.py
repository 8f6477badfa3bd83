"""Deposits and withdrawals: read from BingX's income history (``TRANSFER`` rows) when the
stream reports one (``ACCOUNT_UPDATE`` reason ``DEPOSIT`` / ``WITHDRAW``) or at most every
``transfers_every``; each recorded once on the trading account."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

from fleet.events import AggregateId
from fleet.events.trading import TransferRecorded
from fleet.executor.adapters.bingx_account import income_transfer, stream_transfer
from fleet.executor.domain.account import TradingAccount
from fleet.executor.execution import Execution
from fleet.executor.traders import Trader

from .test_funding import FakeTrader, IncomeHistory

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 8, 0, 5, tzinfo=UTC)
DEPOSIT = {
    "symbol": "", "incomeType": "TRANSFER", "income": "500.00000000", "asset": "USDT",
    "info": "Transfer", "time": 1764576000000, "tranId": "7001", "tradeId": "7001",
}  # fmt: skip
WITHDRAWAL = {**DEPOSIT, "income": "-120.50000000", "tranId": "7002", "time": 1764576060000}
UPDATE: dict[str, Any] = {
    "e": "ACCOUNT_UPDATE",
    "E": 1764576000100,
    "a": {"m": "DEPOSIT", "B": [{"a": "USDT", "wb": "1500", "cw": "1500", "bc": "500"}]},
}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def execution(clock: Clock) -> Execution:
    async def pause(_user: str, _reason: str) -> None:
        return None

    return Execution(cast(Any, None), pause, clock=clock)


def recorded(trader: FakeTrader) -> list[TransferRecorded]:
    return [e for e in trader.account.pending if isinstance(e, TransferRecorded)]


def test_the_stream_reasons_and_the_income_rows() -> None:
    assert stream_transfer(UPDATE)
    assert not stream_transfer({**UPDATE, "a": {**UPDATE["a"], "m": "FUNDING_FEE"}})
    assert not stream_transfer({"e": "ORDER_TRADE_UPDATE", "a": {"m": "DEPOSIT"}})
    moved = income_transfer(WITHDRAWAL)
    assert moved is not None and moved.amount == Decimal("-120.5")
    assert moved.transfer_id == "income-7002" and moved.moved_at.year == 2025
    assert income_transfer({**DEPOSIT, "incomeType": "FUNDING_FEE"}) is None
    assert income_transfer({**DEPOSIT, "tranId": ""}) is None


async def test_a_transfer_on_the_stream_is_read_from_the_income_history_once() -> None:
    history = IncomeHistory([DEPOSIT])
    trader = FakeTrader(history)
    run = execution(Clock())
    run.transfer_due(trader.user_id)
    await run._transfer(cast(Trader, trader))  # as the reconcile the stream woke does
    history.rows.append(WITHDRAWAL)
    run.transfer_due(trader.user_id)
    await run._transfer(cast(Trader, trader))  # the deposit again, and the withdrawal
    assert [t.amount for t in recorded(trader)] == [Decimal(500), Decimal("-120.5")]
    assert history.asked == 2 and trader.account.transferred("income-7001")


async def test_transfers_are_asked_for_by_query_at_most_every_period() -> None:
    history = IncomeHistory([DEPOSIT])
    trader = FakeTrader(history)
    clock = Clock()
    run = execution(clock)
    await run._transfer(cast(Trader, trader))  # never read: due
    await run._transfer(cast(Trader, trader))  # just read, no stream news: not due
    assert history.asked == 1 and len(recorded(trader)) == 1
    clock.now += run.transfers_every + timedelta(seconds=1)
    await run._transfer(cast(Trader, trader))
    assert history.asked == 2 and len(recorded(trader)) == 1  # the same deposit: once


def test_a_snapshot_keeps_the_recorded_transfers() -> None:
    account = TradingAccount(AggregateId("u1"))
    moved = income_transfer(DEPOSIT)
    assert moved is not None
    account.record(moved)
    again = TradingAccount(AggregateId("u1"))
    again.restore_state(account.snapshot_state())
    assert again.transferred("income-7001")
    older = {k: v for k, v in account.snapshot_state().items() if k != "transfers"}
    again.restore_state(older)  # a snapshot from before transfers were recorded
