"""Over whole sequences of signals, through the planner and the account as the executor
runs them: never more open positions than allowed, never an entry while the day's loss or
the drawdown is past its limit, and every exit of a held position goes through."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.events import AggregateId
from fleet.events.directory import UserView
from fleet.events.signals import SignalGenerated
from fleet.events.trading import AccountValued
from fleet.events.users import TradingSettings
from fleet.executor.domain.account import TradingAccount
from fleet.executor.domain.planner import SignalTurn, account_view, plan
from fleet.risk import Instrument

from .fakes import fill_completely

pytestmark = pytest.mark.unit

SYMBOLS = ("BTC-USDT", "ETH-USDT", "SOL-USDT", "XRP-USDT")
RULES = Instrument(Decimal("0.001"), Decimal("0.001"), Decimal(1), 100)
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)

step = st.tuples(
    st.sampled_from(SYMBOLS),
    st.sampled_from(["up", "down", "none"]),
    st.decimals(Decimal("-0.08"), Decimal("0.05"), places=3),  # equity move before it
)


def _signal(symbol: str, cross: str, index: int) -> SignalGenerated:
    return SignalGenerated(
        strategy="adx_dmi",
        strategy_version=1,
        symbol=symbol,
        timeframe="5m",
        candle_open_ms=index * 300_000,
        close=Decimal(100),
        adx=40.0,
        plus_di=30.0,
        minus_di=10.0,
        atr=1.0,
        cross=cross,
        direction="long",
        stop_distance=Decimal(2),
        confidence=0.9,
    )


def _valued(equity: Decimal) -> AccountValued:
    return AccountValued(
        balance=equity,
        equity=equity,
        available_margin=equity,
        unrealised_pnl=Decimal(0),
        valued_at=NOW,
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(step, min_size=1, max_size=40), st.integers(1, 3))
def test_limits_hold_over_any_sequence_of_signals(
    steps: list[tuple[str, str, Decimal]], max_positions: int
) -> None:
    user = UserView("u1", credential="verified", bot="active", initial_balance=Decimal(10000))
    user.settings = TradingSettings(
        trading_enabled=True, max_positions=max_positions, symbols=SYMBOLS
    )
    account = TradingAccount(AggregateId("u1"))
    equity = Decimal(10000)
    account.apply(_valued(equity))
    for index, (symbol, cross, move) in enumerate(steps):
        equity = max(Decimal(1), equity * (1 + move))
        account.apply(_valued(equity))
        before = account_view(user, account, NOW)
        held = account.held(symbol)
        turn = SignalTurn(
            f"s{index}", _signal(symbol, cross, index), NOW, NOW + timedelta(seconds=1)
        )
        decided = plan(turn, user, account, RULES)
        if held is not None and cross == ("down" if held.direction == "long" else "up"):
            assert decided.evaluation.decision == "exit"  # never blocked
        if decided.evaluation.decision == "entry":
            loss = -before.pnl_today / before.day_start_equity * 100
            drawdown = (before.equity_peak - before.equity) / before.equity_peak * 100
            assert loss < user.settings.daily_loss_limit
            assert drawdown < user.settings.max_drawdown
        account.apply(decided.evaluation)
        for intent in decided.intents:
            fill_completely(account, intent, Decimal(100), NOW, str(index))
        assert len(account.trades) <= max_positions
