"""A decision is made once when the order's turn comes at once, and again when the budget
held the order back (the trader as he is then: here, a signal grown stale meanwhile)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

from fleet.events import AggregateId
from fleet.executor import execution as execution_module
from fleet.executor.domain.account import TradingAccount
from fleet.executor.execution import REDECIDE_AFTER_S, Execution, SignalReceived
from fleet.executor.traders import Trader
from fleet.risk import Instrument
from fleet.testing.signals import signal_at

from .fakes import FakeTrader, FlakyExchange

pytestmark = pytest.mark.unit

BTC = Instrument(
    Decimal("0.001"), Decimal("0.001"), Decimal(2), 125, Decimal("0.1"), symbol="BTC-USDT"
)


class Contracts:
    async def rules(self, _symbol: str) -> Instrument:
        return BTC


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Exchange(FlakyExchange):
    async def configure(self, _symbol: str, _leverage: int, _hedge: bool) -> None:
        return None


class BudgetedTrader(FakeTrader):
    """Its order's turn comes ``wait`` later (the clock moved on by that much)."""

    def __init__(self, clock: Clock, wait: timedelta) -> None:
        super().__init__(TradingAccount(AggregateId("u1")), Exchange())
        self.view.initial_balance = Decimal(10_000)
        self._clock, self._wait = clock, wait

    async def order_turn(self) -> None:
        self._clock.now += self._wait


async def decided_with(wait: timedelta, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, int]:
    signal = signal_at(Decimal(50_000))
    published = datetime.fromtimestamp(signal.candle_open_ms / 1000, UTC) + timedelta(minutes=5)
    clock = Clock(published + timedelta(seconds=1))
    calls = 0
    real_plan = execution_module.plan  # type: ignore[attr-defined]

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(execution_module, "plan", counted)

    async def pause(_user: str, _reason: str) -> None:
        return None

    run = Execution(
        cast(Any, Contracts()), pause, clock=clock, max_signal_age=timedelta(seconds=30)
    )
    trader = BudgetedTrader(clock, wait)
    decided = await run._decide(cast(Trader, trader), SignalReceived("s1", signal, published))
    return decided, calls


async def test_a_turn_that_comes_at_once_keeps_the_first_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decided, calls = await decided_with(timedelta(0), monkeypatch)
    assert calls == 1
    assert [i.leg for i in decided.intents] == ["entry"]


async def test_a_turn_held_back_decides_again_on_the_trader_as_he_is_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quick, calls = await decided_with(timedelta(seconds=REDECIDE_AFTER_S / 2), monkeypatch)
    assert (calls, quick.evaluation.decision) == (1, "entry")
    late, calls = await decided_with(timedelta(seconds=60), monkeypatch)  # past the 30 s limit
    assert calls == 2
    assert not late.intents and late.evaluation.code == "stale"
