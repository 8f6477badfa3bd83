"""Positions from fills, the way BingX reports them: the simulator answers place-order as
BingX does (no fill fields); the fills arrive on the user-data stream (here) or by query
(``test_fills_by_query.py``) and build the trade: its size and average price are the
fills', the stop covers what filled, its PnL and fees are the simulator's. Each runs with
the simulator filling at once and in its delayed mode (accepted NEW, then three partial
fills at slightly different prices)."""

from decimal import Decimal
from typing import Any

import pytest

from fleet.events import AggregateId
from fleet.events.catalog import domain_registry
from fleet.events.trading import (
    FundingPaid,
    OrderAccepted,
    OrderEnded,
    OrderFilled,
    OrderIntended,
    PositionChanged,
    PositionClosed,
    PositionOpened,
)
from fleet.eventstore import Repository
from fleet.executor.domain.account import TradingAccount

from .conftest import TraderKeys, Trading, eventually, metric

pytestmark = pytest.mark.e2e

# the simulator's execution modes: BingX's answer then fills at once, or a second later in
# three parts (POST /sim/modes)
IMMEDIATE: dict[str, Any] = {}
DELAYED_PARTS: dict[str, Any] = {"fill_delay_ms": 1500, "partial_fills": 3, "partial_gap_ms": 300}
MODES = pytest.mark.parametrize(
    "mode", [IMMEDIATE, DELAYED_PARTS], ids=["immediate", "delayed-partial"]
)


@pytest.fixture(scope="module")
def executor_overrides() -> dict[str, str]:
    return {"FLEET_POLL_INTERVAL_S": "3600"}  # nothing by the periodic poll: the stream


async def fills_of(trading: Trading, keys: TraderKeys) -> list[OrderFilled]:
    events = await trading.events("account", keys.user_id)
    return [e for e in events if isinstance(e, OrderFilled)]


async def streaming(trading: Trading, users: float) -> None:
    """Until the executor has the user-data streams of ``users`` traders open."""

    async def open_streams() -> bool:
        return await metric(trading.executor, "executor_user_streams") >= users

    await eventually(open_streams, timeout=15)


async def in_mode(trading: Trading, keys: TraderKeys, mode: dict[str, Any]) -> None:
    if mode:
        await trading.sim_api("POST", "/sim/modes", {"apiKey": keys.api_key, **mode})


async def shown_pending(trading: Trading, keys: TraderKeys) -> None:
    """The entry is accepted and, before BingX fills it, a pending order with nothing
    filled: in the log and in the executor's account (what ``GET /api/orders`` shows)."""

    async def accepted() -> list[OrderAccepted]:
        events = await trading.events("account", keys.user_id)
        return [e for e in events if isinstance(e, OrderAccepted)]

    [order] = await eventually(accepted, every=0.05)
    assert await fills_of(trading, keys) == []  # accepted, not filled
    accounts = Repository(trading.store, domain_registry(), TradingAccount)
    account = await accounts.load(AggregateId(keys.user_id))
    live = account.orders[order.client_order_id]
    assert live.pending and live.filled == 0


async def filled_entry_and_exit(
    trading: Trading, keys: TraderKeys, symbol: str, mode: dict[str, Any] = IMMEDIATE
) -> tuple[list[OrderFilled], list[OrderFilled], dict[str, Any], dict[str, Any]]:
    """Trade one signal in and one out; the fills, BingX's state after the entry and after
    the exit."""
    await trading.signal(symbol, "up")
    if mode.get("fill_delay_ms"):
        await shown_pending(trading, keys)

    async def entry_filled() -> list[OrderFilled]:
        found = await fills_of(trading, keys)
        return found if found and found[-1].order_status == "FILLED" else []

    entry = await eventually(entry_filled)
    after_entry = await trading.account_state(keys)
    await trading.signal(symbol, "down")

    async def exit_filled() -> list[OrderFilled]:
        found = [f for f in await fills_of(trading, keys) if f not in entry]
        return found if found and found[-1].order_status == "FILLED" else []

    return entry, await eventually(exit_filled), after_entry, await trading.account_state(keys)


def same(ours: Decimal, bingx: Decimal) -> bool:
    """Equal: an average of several fills is a division carried to Decimal's 28 digits, on
    the simulator's side as on Fleet's, in a different order (a tick of error would be 1e-3)."""
    return abs(ours - bingx) <= Decimal("1e-18")


def assert_trade_is_the_fills(
    entry: list[OrderFilled],
    exit_fills: list[OrderFilled],
    after_entry: dict[str, Any],
    after_exit: dict[str, Any],
    balance_before: Decimal,
) -> None:
    quantity = sum((f.quantity for f in entry), Decimal(0))
    average = sum((f.price * f.quantity for f in entry), Decimal(0)) / quantity
    [position] = after_entry["positions"]
    assert Decimal(position["quantity"]) == quantity  # one position: the fills' size ...
    assert same(Decimal(position["entryPrice"]), average)  # ... at the fills' average price
    opened = [f.opened for f in entry if f.opened is not None]
    assert len(opened) == 1 and not opened[0].manual and opened[0].quantity == entry[0].quantity
    [stop] = [o for o in after_entry["orders"] if o["type"] == "STOP_MARKET"]
    assert Decimal(stop["origQty"]) == quantity  # the stop covers exactly what filled
    [closed] = [f.closed for f in exit_fills if f.closed is not None]
    fees = sum((abs(Decimal(str(f["commission"]))) for f in after_exit["fills"]), Decimal(0))
    assert closed.fees == fees  # every fee BingX charged, entry and exit
    assert sum((f.fee for f in entry + exit_fills), Decimal(0)) == fees
    assert same(closed.realised_pnl, Decimal(after_exit["balance"]) - balance_before)
    assert not closed.manual and closed.quantity == quantity


@MODES
async def test_fills_from_the_stream_build_the_trade(
    trading: Trading, mode: dict[str, Any]
) -> None:
    users = await metric(trading.executor, "executor_user_streams") + 1
    keys = await trading.trader(risk_per_trade=Decimal(1))
    await in_mode(trading, keys, mode)
    await streaming(trading, users)
    before = Decimal((await trading.account_state(keys))["balance"])
    entry, exit_fills, after_entry, after_exit = await filled_entry_and_exit(
        trading, keys, "BTC-USDT", mode
    )
    assert {f.reported_by for f in entry + exit_fills} == {"stream"}
    parts = mode.get("partial_fills", 1)
    assert len(entry) == parts and len(exit_fills) == parts  # each fill, as BingX pushed it
    events = await trading.events("account", keys.user_id)
    [accepted, _] = [e for e in events if isinstance(e, OrderAccepted)]
    assert accepted.executed_quantity == 0 and accepted.average_price is None  # not a fill
    assert_trade_is_the_fills(entry, exit_fills, after_entry, after_exit, before)
    manual = [e for e in events if isinstance(e, PositionOpened | PositionChanged) and e.manual]
    assert manual == []
    assert [e for e in events if isinstance(e, PositionClosed)] == []  # inside the fill


async def test_a_funding_payment_moves_the_traders_pnl_by_the_simulators_amount(
    trading: Trading,
) -> None:
    users = await metric(trading.executor, "executor_user_streams") + 1
    keys = await trading.trader(risk_per_trade=Decimal(1))
    await streaming(trading, users)
    await trading.signal("BTC-USDT", "up")

    async def holding() -> bool:
        found = [f for f in await fills_of(trading, keys) if f.order_status == "FILLED"]
        return bool(found) and bool((await trading.account_state(keys))["positions"])

    await eventually(holding)
    before = Decimal((await trading.account_state(keys))["balance"])
    await trading.sim_api("POST", "/sim/funding", {})  # one 8-hour mark, now
    paid_by_bingx = Decimal((await trading.account_state(keys))["balance"]) - before
    assert paid_by_bingx != 0

    async def funded() -> list[FundingPaid]:
        events = await trading.events("account", keys.user_id)
        return [e for e in events if isinstance(e, FundingPaid)]

    [paid] = await eventually(funded)
    assert paid.amount == paid_by_bingx and paid.symbol in (None, "BTC-USDT")
    accounts = Repository(trading.store, domain_registry(), TradingAccount)
    account = await accounts.load(AggregateId(keys.user_id))
    assert account.funding == paid_by_bingx  # in the trader's PnL, once


async def test_an_entry_cut_short_gets_a_stop_for_exactly_what_filled(trading: Trading) -> None:
    """BingX's price protection fills two parts of three and expires the rest; it places
    no stop for such an order (the simulator's strictest reading). The executor places a
    reduce-only stop for what filled, once; the exit then closes that size."""
    users = await metric(trading.executor, "executor_user_streams") + 1
    keys = await trading.trader(risk_per_trade=Decimal(1))
    await in_mode(trading, keys, DELAYED_PARTS | {"expire_after_parts": 2})
    await streaming(trading, users)
    await trading.signal("BTC-USDT", "up")

    async def expired() -> list[OrderEnded]:
        return [
            e for e in await trading.events("account", keys.user_id) if isinstance(e, OrderEnded)
        ]

    [ended] = await eventually(expired)
    assert ended.status == "EXPIRED" and ended.filled_quantity > 0
    entry = await fills_of(trading, keys)
    filled = sum((f.quantity for f in entry), Decimal(0))
    assert len(entry) == 2 and filled == ended.filled_quantity

    async def stops() -> list[dict[str, Any]]:
        orders = (await trading.account_state(keys))["orders"]
        return [o for o in orders if o["type"] == "STOP_MARKET" and o["status"] == "NEW"]

    [stop] = await eventually(stops)
    [position] = (await trading.account_state(keys))["positions"]
    assert Decimal(position["quantity"]) == filled and Decimal(stop["origQty"]) == filled
    assert stop["side"] == "SELL" and stop["positionSide"] in (position["side"], "BOTH")
    events = await trading.events("account", keys.user_id)
    [placed] = [e for e in events if isinstance(e, OrderIntended) and e.leg == "stop"]
    assert placed.quantity == filled and placed.client_order_id == stop["clientOrderId"]
    assert [e for e in events if isinstance(e, PositionOpened | PositionChanged) and e.manual] == []
    await trading.sim_api("POST", "/sim/modes", {"apiKey": keys.api_key, "reset": True})
    await trading.signal("BTC-USDT", "down")  # an exit filled in full

    async def closed() -> list[PositionClosed]:
        fills = await fills_of(trading, keys)
        return [f.closed for f in fills if f.closed is not None]

    [trade] = await eventually(closed)
    assert trade.quantity == filled and not trade.manual
    assert await stops() == []  # BingX cancels a closed position's stop


async def test_the_rest_of_an_exit_cut_short_is_closed_at_market(trading: Trading) -> None:
    """The exit's last part expires on BingX (price protection): the executor closes what
    is left at market, once per size, until the position is gone — never left half open."""
    users = await metric(trading.executor, "executor_user_streams") + 1
    keys = await trading.trader(risk_per_trade=Decimal(1))
    await streaming(trading, users)
    await trading.signal("BTC-USDT", "up")

    async def positions() -> list[dict[str, Any]]:
        return list((await trading.account_state(keys))["positions"])

    await eventually(positions)
    await in_mode(trading, keys, DELAYED_PARTS | {"expire_after_parts": 2})
    await trading.signal("BTC-USDT", "down")

    async def exit_ended() -> list[OrderEnded]:
        return [
            e for e in await trading.events("account", keys.user_id) if isinstance(e, OrderEnded)
        ]

    await eventually(exit_ended, timeout=15)
    await trading.sim_api("POST", "/sim/modes", {"apiKey": keys.api_key, "reset": True})

    async def flat() -> bool:
        return await positions() == []

    await eventually(flat, timeout=20)
    events = await trading.events("account", keys.user_id)
    rests = [e for e in events if isinstance(e, OrderIntended) and e.leg == "exit-rest"]
    assert rests and len({r.client_order_id for r in rests}) == len(rests)
    [trade] = [f.closed for f in await fills_of(trading, keys) if f.closed is not None]
    assert trade.reason.startswith("the rest of an exit") and not trade.manual
    assert [e for e in events if isinstance(e, PositionOpened | PositionChanged) and e.manual] == []
