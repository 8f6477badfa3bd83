"""Property-based proofs of the risk engine's promises (hypothesis)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.events.users import TradingSettings
from fleet.risk import (
    AccountView,
    Entry,
    Instrument,
    SignalView,
    Skip,
    decide_entry,
)

pytestmark = pytest.mark.unit

money = st.decimals(min_value=Decimal("10"), max_value=Decimal("1000000"), places=2)
price = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=4)
fraction = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.2"), places=4)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[SignalView, TradingSettings, AccountView, Instrument]:
    close = draw(price)
    stop_distance = close * draw(fraction)
    user = TradingSettings(
        trading_enabled=True,
        max_positions=draw(st.integers(1, 5)),
        risk_per_trade=draw(st.decimals(Decimal("0.1"), Decimal(10), places=1)),
        daily_loss_limit=draw(st.decimals(Decimal("0.5"), Decimal(50), places=1)),
        max_drawdown=draw(st.decimals(Decimal(1), Decimal(90), places=1)),
        leverage=draw(st.integers(1, 125)),
        symbols=("BTC-USDT", "ETH-USDT", "XRP-USDT", "SOL-USDT", "DOGE-USDT", "ADA-USDT"),
        adx_threshold=Decimal(5),
        min_confidence=Decimal(0),
    )
    equity = draw(money)
    peak = equity + draw(st.decimals(Decimal(0), equity, places=2))
    day_start = draw(money)
    open_count = draw(st.integers(0, 6))
    account = AccountView(
        equity=equity,
        day_start_equity=day_start,
        equity_peak=peak,
        pnl_today=draw(st.decimals(-day_start, day_start, places=2)),
        open_symbols=frozenset(user.symbols[1 : 1 + open_count]),
    )
    signal = SignalView(
        symbol="BTC-USDT",
        timeframe="5m",
        direction=draw(st.sampled_from(["long", "short"])),
        close=close,
        stop_distance=stop_distance,
        adx=Decimal(30),
        confidence=Decimal("0.9"),
    )
    rules = Instrument(
        quantity_step=draw(st.sampled_from([Decimal("0.001"), Decimal("0.1"), Decimal(1)])),
        min_quantity=Decimal("0.001"),
        min_notional=Decimal(2),
        max_leverage=draw(st.integers(1, 125)),
        price_tick=draw(
            st.sampled_from([Decimal(0), Decimal("0.0001"), Decimal("0.1"), Decimal(1)])
        ),
    )
    return signal, user, account, rules


@settings(max_examples=400, deadline=None)
@given(scenario())
def test_an_entry_respects_every_limit(
    case: tuple[SignalView, TradingSettings, AccountView, Instrument],
) -> None:
    signal, user, account, rules = case
    decision = decide_entry(signal, user, account, rules)
    if not isinstance(decision, Entry):
        assert isinstance(decision, Skip) and decision.reason.startswith("skipped")
        return
    # never more open positions than allowed
    assert len(account.open_symbols) + 1 <= user.max_positions
    # never more than risk % of equity lost at the (rounded) stop
    loss_at_stop = decision.quantity * abs(signal.close - decision.stop_price)
    assert loss_at_stop <= account.equity * user.risk_per_trade / 100
    # leverage never exceeded: neither the user's nor the exchange's
    assert decision.leverage <= min(user.leverage, rules.max_leverage)
    assert decision.quantity * signal.close <= account.equity * decision.leverage
    # never an entry after the daily loss limit or the drawdown stop
    assert -account.pnl_today / account.day_start_equity * 100 < user.daily_loss_limit
    assert (account.equity_peak - account.equity) / account.equity_peak * 100 < user.max_drawdown
    # sizes are exchange-valid
    assert decision.quantity % rules.quantity_step == 0
    assert decision.quantity >= rules.min_quantity
    assert rules.off_grid(decision.quantity, {"stop": decision.stop_price}) is None


def base() -> tuple[SignalView, TradingSettings, AccountView, Instrument]:
    signal = SignalView(
        "BTC-USDT", "5m", "long", Decimal(50000), Decimal(500), Decimal(30), Decimal("0.8")
    )
    user = TradingSettings(trading_enabled=True)
    account = AccountView(Decimal(10000), Decimal(10000), Decimal(10000), Decimal(0))
    rules = Instrument(Decimal("0.001"), Decimal("0.001"), Decimal(5), 100)
    return signal, user, account, rules


def test_sizing_example_matches_the_formula() -> None:
    signal, user, account, rules = base()
    decision = decide_entry(signal, user, account, rules)
    assert isinstance(decision, Entry)
    # 10,000 * 2 % / 500 = 0.4 BTC; margin cap 10,000 * 5 / 50,000 = 1.0 BTC
    assert decision.quantity == Decimal("0.400")
    assert decision.stop_price == Decimal(49500)


def test_daily_loss_skip_explains_itself() -> None:
    signal, user, _, rules = base()
    losing = AccountView(Decimal(9470), Decimal(10000), Decimal(10000), Decimal(-530))
    decision = decide_entry(signal, user, losing, rules)
    assert isinstance(decision, Skip)
    assert decision.reason == "skipped: daily loss limit 5.0 % reached (-5.3 %)"


def test_drawdown_pauses_the_bot() -> None:
    signal, user, _, rules = base()
    deep = AccountView(Decimal(8400), Decimal(8400), Decimal(10000), Decimal(0))
    decision = decide_entry(signal, user, deep, rules)
    assert isinstance(decision, Skip) and decision.pause_bot and decision.code == "max_drawdown"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"bot_running": False}, "paused"),
        ({"credential_verified": False}, "credential"),
        ({"open_symbols": frozenset({"ETH-USDT", "XRP-USDT"})}, "max_positions"),
    ],
)
def test_account_gates(change: dict[str, object], code: str) -> None:
    signal, user, account, rules = base()
    gated = AccountView(**{**account.__dict__, **change})
    decision = decide_entry(signal, user, gated, rules)
    assert isinstance(decision, Skip) and decision.code == code


def test_too_small_to_trade_is_skipped_with_numbers() -> None:
    signal, user, _, rules = base()
    tiny = AccountView(Decimal(1), Decimal(1), Decimal(1), Decimal(0))
    decision = decide_entry(signal, user, tiny, rules)
    assert isinstance(decision, Skip) and decision.code == "below_minimum"
    assert decision.numbers["quantity"] == "0.000"
