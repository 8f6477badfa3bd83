"""Property proofs of the one rounding (hypothesis): nothing leaves off the tick or the step,
a stop never moves toward the entry, and the loss at the rounded stop never exceeds the
trader's risk per trade."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.events.users import TradingSettings
from fleet.risk import AccountView, Entry, Instrument, SignalView, decide_entry
from fleet.risk.instrument import stop_side_error, wire_text

pytestmark = pytest.mark.unit

ticks = st.sampled_from([Decimal("0.00001"), Decimal("0.0001"), Decimal("0.01"), Decimal("0.1")])
steps = st.sampled_from([Decimal("0.0001"), Decimal("0.001"), Decimal("0.1"), Decimal(1)])
raw = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("200000"), places=10)


@st.composite
def instruments(draw: st.DrawFn) -> Instrument:
    return Instrument(
        quantity_step=draw(steps),
        min_quantity=draw(steps),
        min_notional=draw(st.sampled_from([Decimal(0), Decimal(2), Decimal(5)])),
        max_leverage=draw(st.integers(1, 125)),
        price_tick=draw(ticks),
        symbol="BTC-USDT",
    )


@settings(max_examples=300, deadline=None)
@given(instruments(), raw, raw, st.sampled_from(["long", "short"]))
def test_every_rounded_value_is_on_the_grid(
    instrument: Instrument, price: Decimal, quantity: Decimal, direction: str
) -> None:
    q = instrument.quantity(quantity)
    stop = instrument.stop(direction, price)  # type: ignore[arg-type]
    limit = instrument.price(price)
    assert instrument.off_grid(q, {"stop": stop, "price": limit}) is None
    assert q <= quantity  # never rounded up
    # the stop only moves away from the entry: down for a long, up for a short
    assert (stop <= price) if direction == "long" else (stop >= price)
    assert abs(stop - price) < instrument.price_tick
    # wire text is plain decimal text that reads back to the same value
    assert "E" not in wire_text(stop) and Decimal(wire_text(stop)) == stop


@settings(max_examples=400, deadline=None)
@given(
    instruments(),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=5),
    st.decimals(min_value=Decimal("0.0005"), max_value=Decimal("0.2"), places=4),
    st.decimals(min_value=Decimal("10"), max_value=Decimal("1000000"), places=2),
    st.decimals(min_value=Decimal("0.1"), max_value=Decimal(10), places=1),
    st.sampled_from(["long", "short"]),
)
def test_the_loss_at_the_rounded_stop_never_exceeds_the_risk(
    instrument: Instrument,
    close: Decimal,
    fraction: Decimal,
    equity: Decimal,
    risk: Decimal,
    direction: str,
) -> None:
    close = instrument.price(close) or instrument.price_tick  # a traded price is on the tick
    signal = SignalView(
        "BTC-USDT",
        "5m",
        direction,  # type: ignore[arg-type]
        close,
        close * fraction,
        Decimal(30),
        Decimal("0.9"),
    )
    user = TradingSettings(trading_enabled=True, risk_per_trade=risk, leverage=125)
    account = AccountView(equity, equity, equity, Decimal(0))
    decision = decide_entry(signal, user, account, instrument)
    if not isinstance(decision, Entry):
        return
    assert instrument.off_grid(decision.quantity, {"stop": decision.stop_price}) is None
    assert decision.quantity * abs(close - decision.stop_price) <= equity * risk / 100
    assert stop_side_error(decision.direction, decision.stop_price, close) is None
    assert instrument.below_minimum(decision.quantity, close) is None


def test_a_btc_stop_goes_on_the_tick_and_away_from_the_entry() -> None:
    btc = Instrument(Decimal("0.0001"), Decimal("0.0001"), Decimal(2), 125, Decimal("0.1"))
    assert btc.stop("long", Decimal("59873.1234567891")) == Decimal("59873.1")
    assert btc.stop("short", Decimal("59873.1234567891")) == Decimal("59873.2")
    assert wire_text(btc.stop("long", Decimal("59873.1234567891"))) == "59873.1"
    assert btc.quantity(Decimal("0.123456")) == Decimal("0.1234")


def test_wrong_side_stops_and_small_orders_are_explained() -> None:
    assert stop_side_error("long", Decimal(101), Decimal(100)) == (
        "a long's stop 101 must be below the current price 100"
    )
    assert stop_side_error("short", Decimal(99), Decimal(100)) is not None
    assert stop_side_error("short", Decimal(101), Decimal(100)) is None
    btc = Instrument(Decimal("0.0001"), Decimal("0.0001"), Decimal(2), 125, Decimal("0.1"))
    assert btc.below_minimum(Decimal("0.00001"), Decimal(50000)) is not None
    assert "2 USDT" in (btc.below_minimum(Decimal("0.0001"), Decimal(10)) or "")
    assert btc.off_grid(Decimal("0.00015")) is not None
    assert btc.off_grid(Decimal("0.0001"), {"stop_loss": Decimal("1.25")}) == (
        "stop_loss 1.25 is not on the tick 0.1"
    )
