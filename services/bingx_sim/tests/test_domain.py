"""The simulator's pure parts: market, matching and PnL, signatures, limits, snapshots."""

import hashlib
import hmac
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fleet.bingx_sim.domain.accounts import Accounts, SimError
from fleet.bingx_sim.domain.engine import Engine, OrderParams
from fleet.bingx_sim.domain.limits import RateLimits
from fleet.bingx_sim.domain.market import CsvPath, Market, PricePath
from fleet.bingx_sim.domain.signatures import verify
from fleet.bingx_sim.main import create_app
from fleet.bingx_sim.settings import parse_args

pytestmark = pytest.mark.unit
T0 = 1_700_000_000_000


def order(**fields: str) -> OrderParams:
    base = {
        "symbol": "BTC-USDT",
        "side": "BUY",
        "positionSide": "LONG",
        "type": "MARKET",
        "quantity": "0.1",
    }
    return OrderParams.parse(base | fields, hedge_mode=True)


def test_same_seed_same_market_and_regimes_move_prices() -> None:
    one = Market({"BTC-USDT": PricePath("BTC-USDT", 7, T0)})
    two = Market({"BTC-USDT": PricePath("BTC-USDT", 7, T0)})
    now = T0 + 3 * 24 * 3_600_000
    a = one.klines("BTC-USDT", "5m", now, None, None, 500)
    assert a == two.klines("BTC-USDT", "5m", now, None, None, 500)
    closes = [bar.close for bar in a]
    assert max(closes) / min(closes) > 1.02  # trends, not noise around one price
    assert all(
        bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high for bar in a
    )


def test_csv_replay(tmp_path: Path) -> None:
    csv = tmp_path / "XRP-USDT_5m.csv"
    csv.write_text("open_time_ms,open,high,low,close,volume\n1,1.0,1.2,0.9,1.1,100\n")
    market = Market({"XRP-USDT": CsvPath("XRP-USDT", csv, T0)})
    [bar] = market.klines("XRP-USDT", "1m", T0 + 90_000, T0 + 60_000, None, 1)
    assert (bar.open, bar.high, bar.low, bar.close) == (1.0, 1.2, 0.9, 1.1)


def test_pnl_fees_and_close() -> None:
    account = Accounts().create(Decimal(10000), ["read", "trade"], [])
    engine = Engine(slippage=Decimal(0))
    engine.place(account, order(), Decimal(50000), T0)
    engine.place(account, order(side="SELL"), Decimal(51000), T0)
    fees = Decimal("0.1") * (Decimal(50000) + Decimal(51000)) * Decimal("0.0005")
    assert account.wallet == Decimal(10000) + Decimal(100) - fees
    assert account.open_positions() == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"positionSide": "BOTH"}, 109400),
        ({"quantity": "0.00001"}, 101400),
        ({"quantity": "100"}, 101204),
        ({"type": "LIMIT"}, 80014),
        ({"symbol": "BTC-USDT", "side": "SELL", "positionSide": "LONG"}, 101205),
    ],
)
def test_refusals_carry_bingx_codes(fields: dict[str, str], code: int) -> None:
    account = Accounts().create(Decimal(1000), ["read", "trade"], [])
    with pytest.raises(SimError) as caught:
        Engine().place(account, order(**fields), Decimal(50000), T0)
    assert caught.value.code == code


def test_signature_verification_and_window() -> None:
    text = "symbol=BTC-USDT&timestamp=1000"
    good = hmac.new(b"s3cret", text.encode(), hashlib.sha256).hexdigest()
    assert verify(f"{text}&signature={good}", "", "s3cret", 2000) is None
    assert verify(f"{text}&signature={'0' * 64}", "", "s3cret", 2000).code == 100001  # type: ignore[union-attr]
    assert verify(f"{text}&signature={good}", "", "s3cret", 7000).code == 100421  # type: ignore[union-attr]
    assert verify(text, "", "s3cret", 2000).code == 100412  # type: ignore[union-attr]


def test_rate_limit_window_by_uid_and_ip() -> None:
    limits = RateLimits()
    for _ in range(5):
        limits.check("/openApi/swap/v2/trade/order", "POST", "127.0.0.2", "u1", 1000)
    with pytest.raises(SimError):
        limits.check("/openApi/swap/v2/trade/order", "POST", "127.0.0.2", "u1", 1500)
    limits.check("/openApi/swap/v2/trade/order", "POST", "127.0.0.2", "u1", 2001)
    assert limits.refused == 1
    assert limits.refused_by == {"uid:POST /openApi/swap/v2/trade/order": 1}
    # 300 per 10 s per IP, whoever sends: the 301st from another uid is refused by the IP
    for n in range(294):
        limits.check("/openApi/swap/v2/trade/order", "POST", "127.0.0.2", f"v{n}", 3000)
    with pytest.raises(SimError):
        limits.check("/openApi/swap/v2/trade/order", "POST", "127.0.0.2", "w", 3000)
    assert limits.refused_by["ip:POST /openApi/swap/v2/trade/order"] == 1
    assert limits.sources["w"] == limits.sources["u1"] == "127.0.0.2"
    limits.reset(enabled=True)
    assert (limits.refused, limits.refused_by, limits.sources) == (0, {}, {})


def test_snapshot_round_trip(tmp_path: Path) -> None:
    snapshot = tmp_path / "sim.json"
    settings = parse_args(["--snapshot", str(snapshot)])
    with TestClient(create_app(settings)) as client:
        keys = client.post("/sim/accounts", json={"balance": "123"}).json()
        opened = client.post(
            "/sim/positions",
            json={"apiKey": keys["apiKey"], "symbol": "ETH-USDT", "side": "LONG", "quantity": "2"},
        )
        assert opened.status_code == 201
    with TestClient(create_app(settings)) as client:
        state = client.get(f"/sim/accounts/{keys['apiKey']}").json()
    assert state["balance"] == "123"
    assert state["positions"][0]["quantity"] == "2"


def test_bad_command_line_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parse_args(["--candles", "/no/such/file.csv"])
    assert caught.value.code == 2
    assert "no such file" in capsys.readouterr().err


def test_isolated_position_is_liquidated_alone() -> None:
    from fleet.bingx_sim.clock import SimClock
    from fleet.bingx_sim.state import SimState

    market = Market({"BTC-USDT": PricePath("BTC-USDT", 1, T0)})
    state = SimState(SimClock(1.0, T0 + 60_000), market)
    account = state.accounts.create(Decimal(10000), ["read", "trade"], [])
    account.margin_type["BTC-USDT"] = "ISOLATED"
    position = account.position("BTC-USDT", "LONG")
    position.quantity, position.entry_price, position.leverage = Decimal(1), Decimal(10**6), 10
    state._last_tick = 0
    state.tick()
    assert account.open_positions() == []
    assert account.wallet == Decimal(10000) - Decimal(10**5)  # lost exactly its margin


def test_a_liquidation_is_an_order_a_fill_and_user_data_events() -> None:
    import asyncio

    from fleet.bingx_sim.clock import SimClock
    from fleet.bingx_sim.state import SimState

    market = Market({"BTC-USDT": PricePath("BTC-USDT", 1, T0)})
    state = SimState(SimClock(1.0, T0 + 60_000), market)
    account = state.accounts.create(Decimal(100), ["read", "trade"], [])
    stream: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    state.user_streams[account.api_key] = [stream]
    position = account.position("BTC-USDT", "LONG")
    position.quantity, position.entry_price, position.leverage = Decimal(1), Decimal(10**6), 10
    state._last_tick = 0
    state.tick()
    [fill] = account.fills
    assert fill["side"] == "SELL" and fill["clientOrderID"] == "" and "liquidatedPrice" in fill
    [order] = account.orders.values()
    assert order.status == "FILLED" and order.executed == Decimal(1)
    update, balances = stream.get_nowait(), stream.get_nowait()
    assert update["e"] == "ORDER_TRADE_UPDATE" and update["o"]["X"] == "FILLED"
    assert balances["e"] == "ACCOUNT_UPDATE" and balances["a"]["P"] == []


def test_fill_text_and_splitting_on_the_step() -> None:
    from fleet.bingx_sim.domain.engine import fill_times, split

    assert fill_times(1_702_760_316_250) == (
        "2023-12-16T20:58:36Z",
        "2023-12-17T04:58:36.250+0800",
    )
    assert split(Decimal("0.03"), 3, 4) == [Decimal("0.0100")] * 3
    assert split(Decimal("0.0010"), 3, 4) == [
        Decimal("0.0003"),
        Decimal("0.0003"),
        Decimal("0.0004"),
    ]
    assert split(Decimal("0.0001"), 3, 4) == [Decimal("0.0001")]  # below the step: one piece


def test_partial_fills_at_once_build_one_position_at_their_average() -> None:
    from fleet.bingx_sim.domain.modes import ExecutionMode

    account = Accounts().create(Decimal(10000), ["read", "trade"], [])
    engine = Engine(slippage=Decimal(0))
    mode = ExecutionMode(partial_fills=3, partial_spread=Decimal("0.001"))
    placed = engine.place(account, order(quantity="0.03"), Decimal(50000), T0, mode)
    prices = [Decimal(f["price"]) for f in account.fills]  # type: ignore[arg-type]
    assert prices == [Decimal(50000), Decimal(50050), Decimal(50100)]
    assert placed.status == "FILLED" and placed.avg_price == Decimal(50050)
    position = account.position("BTC-USDT", "LONG")
    assert position.quantity == Decimal("0.03") and position.entry_price == Decimal(50050)
    with pytest.raises(SimError) as caught:
        engine.place(
            account,
            order(quantity="0.00123"),
            Decimal(50000),
            T0,
            ExecutionMode(precision="reject"),
        )
    assert caught.value.code == 110425


def test_funding_at_the_eight_hour_mark_long_pays_short_receives() -> None:
    from fleet.bingx_sim.clock import SimClock
    from fleet.bingx_sim.domain.modes import FUNDING_EVERY_MS
    from fleet.bingx_sim.state import SimState

    start = T0 - T0 % FUNDING_EVERY_MS + 60_000
    market = Market({"BTC-USDT": PricePath("BTC-USDT", 1, start - 3_600_000)})
    state = SimState(SimClock(1.0, start), market)
    long, short = (state.accounts.create(Decimal(1000), ["read", "trade"], []) for _ in range(2))
    for account, side in ((long, "LONG"), (short, "SHORT")):
        position = account.position("BTC-USDT", side)
        position.quantity, position.entry_price = Decimal("0.01"), state.mark("BTC-USDT")
    state._last_tick = 0
    state.tick()
    assert long.income == short.income == []  # not yet at the mark
    state.clock.advance_ms(FUNDING_EVERY_MS)
    mark = state.mark("BTC-USDT")
    state._last_tick = 0
    state.tick()
    [paid], [received] = long.income, short.income
    assert paid["incomeType"] == received["incomeType"] == "FUNDING_FEE"
    assert abs(Decimal(str(paid["income"])) + mark * Decimal("0.000001")) < Decimal("0.0001")
    assert Decimal(str(received["income"])) == -Decimal(str(paid["income"]))
    assert long.wallet == Decimal(1000) + Decimal(str(paid["income"]))


def _liquidation_world(isolated: bool) -> tuple[Any, Any, dict[str, Decimal]]:
    """A state and an account: BTC long 1 @ 60,000 x10 and short 0.5 @ 61,000 (hedged),
    ETH long 10 @ 3,000 x5; 20,000 USDT in the wallet."""
    from fleet.bingx_sim.clock import SimClock
    from fleet.bingx_sim.state import SimState

    market = Market({s: PricePath(s, 1, T0) for s in ("BTC-USDT", "ETH-USDT")})
    state = SimState(SimClock(1.0, T0 + 60_000), market)
    account = state.accounts.create(Decimal(20000), ["read", "trade"], [])
    if isolated:
        account.margin_type["BTC-USDT"] = "ISOLATED"
    for symbol, side, quantity, entry, leverage in (
        ("BTC-USDT", "LONG", "1", "60000", 10),
        ("BTC-USDT", "SHORT", "0.5", "61000", 10),
        ("ETH-USDT", "LONG", "10", "3000", 5),
    ):
        position = account.position(symbol, side)
        position.quantity, position.entry_price = Decimal(quantity), Decimal(entry)
        position.leverage = leverage
    return state, account, {"BTC-USDT": Decimal(60000), "ETH-USDT": Decimal(2900)}


@pytest.mark.parametrize("isolated", [False, True])
def test_the_liquidation_price_is_where_the_simulator_liquidates(isolated: bool) -> None:
    from fleet.bingx_sim.domain.engine import MAINTENANCE
    from fleet.bingx_sim.domain.liquidation import liquidation_price

    state, account, marks = _liquidation_world(isolated)
    long_btc = account.positions[("BTC-USDT", "LONG")]
    price = liquidation_price(account, long_btc, marks, MAINTENANCE)
    if isolated:  # 60,000 x (1 - 1/10 + 0.005)
        assert price == Decimal("54300.000")
    assert 0 < price < marks["BTC-USDT"]
    for factor, liquidated in ((Decimal("1.0001"), False), (Decimal("0.9999"), True)):
        state, account, marks = _liquidation_world(isolated)
        state._maybe_liquidate(account, marks | {"BTC-USDT": price * factor})
        gone = ("BTC-USDT", "LONG") not in {(p.symbol, p.side) for p in account.open_positions()}
        assert gone is liquidated, (factor, price)


def test_no_liquidation_price_when_no_mark_liquidates() -> None:
    from fleet.bingx_sim.domain.engine import MAINTENANCE
    from fleet.bingx_sim.domain.liquidation import liquidation_price

    _, account, marks = _liquidation_world(False)
    account.wallet = Decimal(10**9)  # a long this well backed survives any price
    long_btc = account.positions[("BTC-USDT", "LONG")]
    assert liquidation_price(account, long_btc, marks, MAINTENANCE) == 0
