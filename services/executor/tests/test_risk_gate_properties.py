"""Property proofs of the one risk gate (hypothesis): an exit never increases exposure, no
order above the notional cap, in ``reducing`` no entry passes, exits pass in every state
but ``halted``."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.events.trading import OrderIntended
from fleet.executor.domain.risk_gate import (
    Caps,
    GateView,
    Holding,
    TradingState,
    caps_for,
    check,
    state_of,
)
from fleet.risk import Instrument
from fleet.testing.orders import btc_entry

pytestmark = pytest.mark.unit

STEP = Decimal("0.001")
SYMBOLS = ("BTC-USDT", "ETH-USDT")
INSTRUMENTS = {s: Instrument(STEP, STEP, Decimal(2), 125, Decimal("0.1"), s) for s in SYMBOLS}
quantities = st.integers(1, 50_000).map(lambda n: STEP * n)
prices = st.integers(1, 1_000_000).map(lambda n: Decimal("0.1") * n)
states = st.sampled_from(["active", "reducing", "halted"])


@st.composite
def holdings(draw: st.DrawFn) -> tuple[Holding, ...]:
    rows = []
    for symbol in draw(st.lists(st.sampled_from(SYMBOLS), unique=True, max_size=2)):
        direction = draw(st.sampled_from(["long", "short"]))
        side = draw(st.sampled_from(["BOTH", "LONG" if direction == "long" else "SHORT"]))
        rows.append(Holding(symbol, side, direction, draw(quantities), draw(prices)))  # type: ignore[arg-type]
    return tuple(rows)


@st.composite
def views(draw: st.DrawFn) -> GateView:
    caps = Caps(
        draw(st.integers(10, 10_000_000).map(Decimal)),
        draw(st.integers(10, 50_000_000).map(Decimal)),
        draw(st.integers(1, 125)),
    )
    state: TradingState = draw(states)  # type: ignore[arg-type]
    return GateView(state, "why", caps, draw(holdings()), INSTRUMENTS)


@st.composite
def orders(draw: st.DrawFn) -> OrderIntended:
    """Any order at all: entries, exits, flattens and stop legs, any side, any size,
    reduce-only or not (the gate must hold whatever the caller builds)."""
    side = draw(st.sampled_from(["BUY", "SELL"]))
    return OrderIntended(
        client_order_id="c1",
        signal_id="s1",
        leg=draw(st.sampled_from(["entry", "exit", "flatten-BTC-USDT-long", "stop"])),
        symbol=draw(st.sampled_from(SYMBOLS)),
        side=side,
        position_side=draw(st.sampled_from(["BOTH", "LONG", "SHORT"])),
        order_type="MARKET",
        quantity=draw(quantities),
        leverage=draw(st.integers(1, 125)),
        reduce_only=draw(st.booleans()),
    )


def signed_position(holdings: tuple[Holding, ...], symbol: str) -> dict[str, Decimal]:
    return {f"{h.position_side}:{h.direction}": h.quantity for h in holdings if h.symbol == symbol}


def after(view: GateView, order: OrderIntended) -> tuple[Decimal, Decimal]:
    """(exposure before, exposure after) if ``order`` filled completely."""
    before = sum((h.quantity for h in view.holdings if h.symbol == order.symbol), Decimal(0))
    remaining = before
    for h in view.holdings:
        if h.symbol != order.symbol:
            continue
        reduces = (h.direction == "long") == (order.side == "SELL")
        if reduces and h.position_side == order.position_side:
            remaining += -order.quantity if order.quantity <= h.quantity else order.quantity
            return before, remaining
    return before, before + order.quantity  # nothing reduced: it opens or grows


@settings(max_examples=600, deadline=None)
@given(views(), orders(), prices)
def test_the_gates_promises(view: GateView, order: OrderIntended, price: Decimal) -> None:
    refusal = check(order, view, price)
    if refusal is not None:
        assert refusal.reason.startswith("refused: ") and refusal.code
        return
    assert view.state != "halted"  # nothing leaves a halted trader
    if order.leg == "entry":
        assert view.state == "active"  # in reducing no entry passes
        assert order.quantity * price <= view.caps.max_order_notional
        assert view.exposure + order.quantity * price <= view.caps.max_exposure
        assert order.leverage <= view.caps.max_leverage
    else:  # an exit (or any non-entry leg) never opens or grows a position
        before, remaining = after(view, order)
        assert remaining < before
        assert remaining >= 0


@settings(max_examples=300, deadline=None)
@given(views(), st.data())
def test_an_exit_of_a_held_position_passes_in_every_state_but_halted(
    view: GateView, data: st.DataObject
) -> None:
    if not view.holdings:
        return
    held = data.draw(st.sampled_from(view.holdings))
    part = data.draw(st.integers(1, int(held.quantity / STEP))) * STEP
    exit_order = OrderIntended(
        client_order_id="c2",
        signal_id="s2",
        leg=data.draw(st.sampled_from(["exit", "flatten-x"])),
        symbol=held.symbol,
        side="SELL" if held.direction == "long" else "BUY",
        position_side=held.position_side,
        order_type="MARKET",
        quantity=part,
        leverage=125,  # entry limits never apply to exits
        reduce_only=held.position_side == "BOTH",
    )
    tiny_caps = GateView(
        view.state, "why", Caps(Decimal(1), Decimal(1), 1), view.holdings, INSTRUMENTS
    )
    refusal = check(exit_order, tiny_caps, Decimal(1_000_000))
    if view.state == "halted":
        assert refusal is not None and refusal.code == "halted"
    else:
        assert refusal is None


@settings(max_examples=200, deadline=None)
@given(views(), prices)
def test_no_entry_passes_while_reducing(view: GateView, price: Decimal) -> None:
    reducing = GateView("reducing", "daily loss", view.caps, view.holdings, INSTRUMENTS)
    entry = btc_entry("3", STEP, leverage=1)
    refusal = check(entry, reducing, price)
    assert refusal is not None and refusal.code == "reducing"


def test_caps_and_states_explain_themselves() -> None:
    platform = Caps(Decimal(1_000_000), Decimal(5_000_000), 50)
    assert caps_for(platform, Decimal(1000), 5) == Caps(Decimal(5000), Decimal(5000), 50)
    assert caps_for(platform, Decimal(0), 5) == platform
    common = {"credential_verified": True, "trading_enabled": True, "limit_reached": None}
    assert state_of(user_active=True, bot="active", **common) == ("active", "")  # type: ignore[arg-type]
    assert state_of(user_active=True, bot="paused", **common)[0] == "reducing"  # type: ignore[arg-type]
    assert state_of(user_active=False, bot="active", **common)[0] == "halted"  # type: ignore[arg-type]
    loss = {**common, "limit_reached": "daily loss limit 5 % reached"}
    assert state_of(user_active=True, bot="active", **loss) == (  # type: ignore[arg-type]
        "reducing",
        "daily loss limit 5 % reached",
    )


def test_a_stop_on_the_wrong_side_and_an_unknown_symbol_are_refused() -> None:
    view = GateView("active", "", Caps(Decimal(10**9), Decimal(10**9), 125), (), INSTRUMENTS)
    entry = btc_entry("4", STEP, stop_loss=Decimal("60000.5"))
    refusal = check(entry, view, Decimal(60000))
    assert refusal is not None and refusal.code == "stop_side"
    assert refusal.reason == "refused: a long's stop 60000.5 must be below the current price 60000"
    off_tick = entry.model_copy(update={"stop_loss": Decimal("59873.1234567891")})
    refusal = check(off_tick, view, Decimal(60000))
    assert refusal is not None and refusal.code == "precision"
    unknown = entry.model_copy(update={"symbol": "NOPE-USDT"})
    refusal = check(unknown, view, Decimal(60000))
    assert refusal is not None and refusal.code == "unknown_symbol"
