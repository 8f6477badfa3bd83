"""The per-(signal, user) decision: stale signals, exits never blocked, entries sized by the
user's own settings, every skip explained."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from fleet.events import AggregateId
from fleet.events.directory import UserView
from fleet.events.signals import SignalGenerated
from fleet.events.trading import AccountValued, PositionOpened
from fleet.events.users import TradingSettings
from fleet.executor.domain.account import TradingAccount
from fleet.executor.domain.planner import SignalTurn, plan
from fleet.executor.domain.risk_gate import Caps
from fleet.risk import Instrument

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RULES = Instrument(Decimal("0.001"), Decimal("0.001"), Decimal(5), 125)


def signal(cross: str = "up", **changes: Any) -> SignalGenerated:
    values: dict[str, Any] = {
        "strategy": "adx",
        "strategy_version": 1,
        "symbol": "BTC-USDT",
        "timeframe": "5m",
        "candle_open_ms": 0,
        "close": Decimal(50000),
        "adx": 35.0,
        "plus_di": 30.0,
        "minus_di": 10.0,
        "atr": 250.0,
        "cross": cross,
        "direction": "long",
        "stop_distance": Decimal(500),
        "confidence": 0.8,
    }
    return SignalGenerated(**(values | changes))


def turn(sig: SignalGenerated, age_s: float = 1.0) -> SignalTurn:
    return SignalTurn("sig-1", sig, NOW - timedelta(seconds=age_s), NOW)


def trader(**settings: Any) -> UserView:
    view = UserView("u1", credential="verified", bot="active", initial_balance=Decimal(10000))
    view.settings = TradingSettings(trading_enabled=True, **settings)
    return view


def account(equity: str | None = None, day_start: str | None = None) -> TradingAccount:
    acc = TradingAccount(AggregateId("u1"))
    if day_start is not None:
        acc.apply(_valued(day_start))
    if equity is not None:
        acc.apply(_valued(equity))
    return acc


def _valued(equity: str) -> AccountValued:
    return AccountValued(
        balance=Decimal(equity),
        equity=Decimal(equity),
        available_margin=Decimal(equity),
        unrealised_pnl=Decimal(0),
        valued_at=NOW,
    )


def holding(direction: str = "long") -> TradingAccount:
    acc = account()
    acc.apply(
        PositionOpened(
            trade_id="t1",
            symbol="BTC-USDT",
            position_side="LONG" if direction == "long" else "SHORT",
            direction=direction,
            quantity=Decimal("0.4"),
            entry_price=Decimal(49000),
            leverage=5,
            opened_at=NOW,
        )
    )
    return acc


def test_entry_is_sized_by_the_users_risk_and_stop() -> None:
    result = plan(turn(signal()), trader(risk_per_trade=Decimal(2)), account(), RULES)
    [order] = result.intents
    # 10,000 x 2 % / 500 = 0.4 BTC, long, stop at 50,000 - 500
    assert (order.quantity, order.side, order.position_side) == (Decimal("0.4"), "BUY", "LONG")
    assert order.stop_loss == Decimal(49500) and order.leg == "entry"
    assert result.evaluation.decision == "entry" and result.evaluation.numbers["quantity"] == "0.4"


def test_two_users_with_different_risk_get_different_sizes() -> None:
    small = plan(turn(signal()), trader(risk_per_trade=Decimal(1)), account(), RULES)
    large = plan(turn(signal()), trader(risk_per_trade=Decimal(4)), account(), RULES)
    assert small.intents[0].quantity * 4 == large.intents[0].quantity


def test_one_way_mode_sends_both_sides() -> None:
    result = plan(turn(signal("down")), trader(position_mode="one_way"), account(), RULES)
    assert (result.intents[0].side, result.intents[0].position_side) == ("SELL", "BOTH")


def test_a_stale_signal_never_trades_and_says_how_old_it_was() -> None:
    result = plan(turn(signal(), age_s=400), trader(), account(), RULES)
    assert not result.intents and result.evaluation.code == "stale"
    assert "400 s old" in result.evaluation.reason and "limit 300 s" in result.evaluation.reason


def test_paused_bot_skips_entries_with_the_reason() -> None:
    view = trader()
    view.bot = "paused"
    result = plan(turn(signal()), view, account(), RULES)
    assert not result.intents and result.evaluation.code == "paused"
    assert result.evaluation.reason == "skipped: your bot is paused"


def test_daily_loss_limit_blocks_entries_until_the_next_day() -> None:
    result = plan(turn(signal()), trader(), account("9470", day_start="10000"), RULES)
    assert not result.intents and result.evaluation.code == "daily_loss"
    assert "daily loss limit 5.0 % reached (-5.3 %)" in result.evaluation.reason


def test_drawdown_stop_pauses_the_bot() -> None:
    acc = account("8000", day_start="10000")
    acc.apply(_valued("7900"))
    view = trader(daily_loss_limit=Decimal(50), max_drawdown=Decimal(15))
    result = plan(turn(signal()), view, acc, RULES)
    assert result.evaluation.code == "max_drawdown" and result.pause_reason


def test_an_opposite_cross_exits_even_when_paused_and_over_every_limit() -> None:
    view = trader()
    view.bot = "paused"
    acc = holding("long")
    acc.apply(_valued("100"))
    result = plan(turn(signal("down")), view, acc, RULES)
    [order] = result.intents
    assert result.evaluation.decision == "exit"
    assert (order.side, order.position_side, order.quantity) == ("SELL", "LONG", Decimal("0.4"))


def test_holding_without_an_opposite_cross_does_nothing_and_says_so() -> None:
    result = plan(turn(signal("up")), trader(), holding("long"), RULES)
    assert not result.intents and result.evaluation.code == "holding"


def test_no_cross_no_order() -> None:
    result = plan(turn(signal("none")), trader(), account(), RULES)
    assert not result.intents and result.evaluation.code == "no_cross"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"adx": 20.0}, "adx"),
        ({"confidence": 0.3}, "confidence"),
        ({"symbol": "ETH-USDT"}, "symbol"),
        ({"timeframe": "1h"}, "timeframe"),
    ],
)
def test_the_users_filters_are_applied(changes: dict[str, Any], code: str) -> None:
    result = plan(turn(signal(**changes)), trader(), account(), RULES)
    assert not result.intents and result.evaluation.code == code
    assert result.evaluation.reason.startswith("skipped:")


def test_size_below_the_exchange_minimum_is_skipped() -> None:
    rules = Instrument(Decimal(1), Decimal(1), Decimal(5), 125)
    result = plan(turn(signal()), trader(), account(), rules)
    assert not result.intents and result.evaluation.code == "below_minimum"


def test_client_order_ids_are_deterministic_per_signal_user_and_leg() -> None:
    first = plan(turn(signal()), trader(), account(), RULES).intents[0]
    again = plan(turn(signal()), trader(), account(), RULES).intents[0]
    assert first.client_order_id == again.client_order_id == first.client_order_id.lower()


def test_the_risk_gate_caps_entries_but_never_an_exit() -> None:
    # a 1,000 USDT cap: the 0.4 BTC entry (20,000 USDT) is refused with its reason
    capped = Caps(Decimal(1000), Decimal(1000), 125)
    refused = plan(turn(signal()), trader(), account(), RULES, capped)
    assert not refused.intents and refused.evaluation.code == "notional_cap"
    assert refused.evaluation.reason.startswith("refused: order notional 20000.00")
    # the same cap lets the exit of a 0.4 BTC long through, paused or not
    for bot in ("active", "paused"):
        user = trader()
        user.bot = bot
        exiting = plan(turn(signal("down")), user, holding("long"), RULES, capped)
        [order] = exiting.intents
        assert exiting.evaluation.decision == "exit" and order.quantity == Decimal("0.4")


def test_the_stop_goes_on_the_tick_away_from_the_entry() -> None:
    btc = Instrument(Decimal("0.001"), Decimal("0.001"), Decimal(5), 125, Decimal("0.1"))
    odd = signal(stop_distance=Decimal("500.04"), close=Decimal("50000.3"))
    [order] = plan(turn(odd), trader(), account(), btc).intents
    assert order.stop_loss == Decimal("49500.2")  # 49,500.26 down to the tick
    assert order.quantity * (Decimal("50000.3") - order.stop_loss) <= Decimal(200)
