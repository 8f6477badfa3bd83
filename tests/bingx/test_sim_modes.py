"""The simulator's execution modes and its newer endpoints, over real sockets in strict mode:
delayed and partial market fills, resting limits, stops, funding, precision, the fill and
income queries, ticker / premiumIndex / fundingRate."""

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.bingx.errors import BingxError
from fleet.bingx.ws import UserStream

pytestmark = pytest.mark.integration
SWAP = "/openApi/swap"
ORDER = f"{SWAP}/v2/trade/order"
FILLS = f"{SWAP}/v2/trade/allFillOrders"
EIGHT_HOURS = 8 * 3_600_000


@dataclass
class Trader:
    api_key: str
    client: BingxClient
    events: list[dict[str, Any]]

    def orders(self, kind: str = "TRADE") -> list[dict[str, Any]]:
        return [
            e["o"] for e in self.events if e["e"] == "ORDER_TRADE_UPDATE" and e["o"]["x"] == kind
        ]

    async def signed(self, method: str, path: str, **params: Any) -> Any:
        return await self.client.transport.signed(method, path, params)


async def admin(sim: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        answer = await http.post(path, json=body)
        answer.raise_for_status()
        return dict(answer.json())


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.fixture
async def trader(bingx_sim: Any) -> AsyncIterator[Trader]:
    keys = await admin(bingx_sim, "/sim/accounts", {"balance": "10000"})
    client = BingxClient(
        Transport(bingx_sim.url, LocalHmacSigner(keys["apiKey"], keys["secretKey"]))
    )
    events: list[dict[str, Any]] = []

    async def on_event(event: dict[str, Any]) -> None:
        events.append(event)

    stream = UserStream(
        bingx_sim.ws_url, await client.create_listen_key(), on_event, client.keep_alive_listen_key
    )
    runner = asyncio.create_task(stream.run())
    await until(lambda: stream.connected)
    yield Trader(keys["apiKey"], client, events)
    await stream.close()
    await asyncio.wait_for(runner, 5)
    await client.close()


async def test_delayed_market_order_is_accepted_new_then_filled_in_three_parts(
    trader: Trader, bingx_sim: Any
) -> None:
    mode = {"fill_delay_ms": 300, "partial_fills": 3, "partial_gap_ms": 100}
    await admin(bingx_sim, "/sim/modes", {"apiKey": trader.api_key, **mode})
    answer = await trader.signed(
        "POST", ORDER, symbol="BTC-USDT", side="BUY", positionSide="LONG", type="MARKET",
        quantity="0.03", clientOrderID="fl-parts",
    )  # fmt: skip
    placed = answer["order"]
    # accepted, nothing filled yet (whether or not the answer names a status)
    assert placed.get("status", "NEW") == "NEW" and Decimal(placed.get("executedQty", "0")) == 0
    order_id = placed["orderId"]
    at_once = await trader.signed("GET", ORDER, symbol="BTC-USDT", orderId=order_id)
    assert at_once["order"]["status"] == "NEW" and at_once["order"]["executedQty"] == "0"

    await until(lambda: len(trader.orders()) == 3)
    parts = trader.orders()
    assert [p["X"] for p in parts] == ["PARTIALLY_FILLED", "PARTIALLY_FILLED", "FILLED"]
    assert sum(Decimal(p["l"]) for p in parts) == Decimal("0.03")
    assert [Decimal(p["z"]) for p in parts] == [Decimal("0.01"), Decimal("0.02"), Decimal("0.03")]
    assert len({p["t"] for p in parts}) == 3 and all(Decimal(p["n"]) < 0 for p in parts)
    prices = [Decimal(p["L"]) for p in parts]
    assert len(set(prices)) == 3  # each part a little further from the mark
    assert next(e["o"]["X"] for e in trader.events if e["e"] == "ORDER_TRADE_UPDATE") == "NEW"

    queried = (await trader.signed("GET", ORDER, symbol="BTC-USDT", orderId=order_id))["order"]
    average = sum(Decimal(p["l"]) * Decimal(p["L"]) for p in parts) / Decimal("0.03")
    assert queried["status"] == "FILLED" and Decimal(queried["executedQty"]) == Decimal("0.03")
    assert abs(Decimal(queried["avgPrice"]) - average) <= Decimal("0.1")  # BTC's tick
    assert Decimal(queried["commission"]) == sum(Decimal(p["n"]) for p in parts)
    now = trader.client.transport.now_ms()
    rows = (
        await trader.signed(
            "GET", FILLS, symbol="BTC-USDT", tradingUnit="COIN", startTs=now - 60_000, endTs=now
        )
    )["fill_orders"]
    assert [r["tradeId"] for r in rows] == [str(p["t"]) for p in parts]
    assert [r["price"] for r in rows] == [p["L"] for p in parts]
    assert {r["orderId"] for r in rows} == {str(order_id)}
    [position] = await trader.client.positions("BTC-USDT")
    assert position.amount == Decimal("0.03")
    await admin(bingx_sim, "/sim/modes", {"apiKey": trader.api_key, "reset": True})


async def test_a_late_fill_refused_for_margin_is_not_held(trader: Trader, bingx_sim: Any) -> None:
    """Refused with 101204 in the delayed mode, the order is not on the book: it stayed
    NEW for good (a query found it; Fleet had recorded the refusal)."""
    await admin(bingx_sim, "/sim/modes", {"apiKey": trader.api_key, "fill_delay_ms": 300})
    try:
        with pytest.raises(BingxError) as refused:
            await trader.signed(
                "POST", ORDER, symbol="BTC-USDT", side="BUY", positionSide="LONG",
                type="MARKET", quantity="100", clientOrderID="fl-too-big",
            )  # fmt: skip
        assert refused.value.code == 101204
        with pytest.raises(BingxError) as unknown:
            await trader.signed("GET", ORDER, symbol="BTC-USDT", clientOrderID="fl-too-big")
        assert unknown.value.code != 0  # no such order
        assert await trader.client.open_orders("BTC-USDT") == []
    finally:
        await admin(bingx_sim, "/sim/modes", {"apiKey": trader.api_key, "reset": True})


async def test_fill_rows_are_bingx_text_and_the_time_window_is_enforced(
    trader: Trader,
) -> None:
    await trader.client.place_order("ETH-USDT", "BUY", "LONG", "MARKET", Decimal("0.1"))
    now = trader.client.transport.now_ms()
    window = {"symbol": "ETH-USDT", "tradingUnit": "CONT"}
    [row] = (await trader.signed("GET", FILLS, startTs=now - 60_000, endTs=now + 5_000, **window))[
        "fill_orders"
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["filledTm"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0800", row["filledTime"])
    assert row["amount"] == f"{Decimal(row['volume']) * Decimal(row['price']):.4f}"
    assert (row["currency"], row["positionSide"], row["type"]) == ("USDT", "LONG", "MARKET")
    assert isinstance(row["orderId"], str) and "side" not in row  # strict: as recorded
    at = int(datetime.fromisoformat(row["filledTime"]).timestamp() * 1000)
    assert abs(at - now) < 5_000
    exact = await trader.signed("GET", FILLS, startTs=at, endTs=at, **window)
    later = await trader.signed("GET", FILLS, startTs=at + 1, endTs=at + 60_000, **window)
    earlier = await trader.signed("GET", FILLS, startTs=at - 60_000, endTs=at - 1, **window)
    assert exact["fill_orders"] == [row]
    assert later["fill_orders"] == earlier["fill_orders"] == []
    with pytest.raises(BingxError, match="80014"):  # strict: startTs / endTs are required
        await trader.signed("GET", FILLS, **window)


async def test_a_resting_limit_fills_without_any_request_and_a_wrong_side_stop_is_refused(
    trader: Trader,
) -> None:
    mark = await trader.client.mark_price("ETH-USDT")
    far = await trader.client.place_order(
        "ETH-USDT", "BUY", "LONG", "LIMIT", Decimal("0.1"), price=mark / 2
    )
    await asyncio.sleep(0.5)  # several ticks: a price not crossed rests
    [resting] = await trader.client.open_orders("ETH-USDT")
    assert resting.order_id == far.order_id and resting.status == "PENDING"
    await trader.client.cancel_order("ETH-USDT", order_id=far.order_id)
    await until(lambda: len(trader.orders("CANCELED")) == 1)
    assert trader.orders("CANCELED")[0]["X"] == "CANCELED" and trader.orders() == []
    limit_price = (mark * Decimal("1.01")).quantize(Decimal("0.01"))  # crossed at once
    limit = await trader.client.place_order(
        "ETH-USDT", "BUY", "LONG", "LIMIT", Decimal("0.1"), price=limit_price
    )
    await until(lambda: len(trader.orders()) == 1)  # the ticker crossed it: no request made
    [filled] = trader.orders()
    assert filled["X"] == "FILLED" and Decimal(filled["L"]) == limit_price
    assert str(filled["i"]) == limit.order_id

    above = (mark * Decimal("1.05")).quantize(Decimal("0.01"))  # a sell stop above the mark
    with pytest.raises(BingxError) as refused:  # BingX refuses it; it never fires at once
        await trader.client.place_order(
            "ETH-USDT", "SELL", "LONG", "STOP_MARKET", Decimal("0.1"), stop_price=above
        )
    assert refused.value.code == 110411 and "lower than the current price" in str(refused.value)
    below = (mark * Decimal("0.5")).quantize(Decimal("0.01"))
    placed = await trader.client.place_order(
        "ETH-USDT", "SELL", "LONG", "STOP_MARKET", Decimal("0.1"), stop_price=below
    )
    await asyncio.sleep(0.5)  # several ticks: a stop not reached rests
    [resting_stop] = await trader.client.open_orders("ETH-USDT")
    assert resting_stop.order_id == placed.order_id and len(trader.orders()) == 1
    with pytest.raises(BingxError) as wrong_tp:
        await trader.client.place_order(
            "ETH-USDT", "BUY", "SHORT", "TAKE_PROFIT_MARKET", Decimal("0.1"), stop_price=above
        )
    assert wrong_tp.value.code == 110414


async def test_funding_every_eight_hours_of_simulated_time(trader: Trader, bingx_sim: Any) -> None:
    await admin(bingx_sim, "/sim/modes", {"apiKey": trader.api_key, "funding_rate": "0.001"})
    await trader.client.place_order("SOL-USDT", "BUY", "LONG", "MARKET", Decimal(2))
    before = (await trader.client.balance()).balance
    index = await trader.signed("GET", f"{SWAP}/v2/quote/premiumIndex", symbol="SOL-USDT")
    assert index["nextFundingTime"] % EIGHT_HOURS == 0 and index["lastFundingRate"] == "0.0001"
    await admin(bingx_sim, "/sim/clock", {"advance_ms": EIGHT_HOURS})

    def funding() -> list[dict[str, Any]]:
        return [
            e for e in trader.events if e["e"] == "ACCOUNT_UPDATE" and e["a"]["m"] == "FUNDING_FEE"
        ]

    await until(lambda: len(funding()) == 1)
    [update] = funding()
    [balance] = update["a"]["B"]
    paid = Decimal(balance["bc"])
    assert paid < 0 and update["a"]["P"] == []  # a long pays; cross: balances only
    [row] = await trader.signed("GET", f"{SWAP}/v2/user/income", incomeType="FUNDING_FEE")
    assert Decimal(row["income"]) == paid and row["symbol"] == "SOL-USDT"
    after = (await trader.client.balance()).balance
    assert abs(after - (before + paid)) < Decimal("0.0001")  # the answer has 4 decimals
    fees = await trader.signed("GET", f"{SWAP}/v2/user/income", incomeType="TRADING_FEE")
    assert len(fees) == 1 and Decimal(fees[0]["income"]) < 0
    paid_now = await admin(bingx_sim, "/sim/funding", {})  # at once, the clock unmoved
    assert paid_now["rate"] == "0.0001"
    await until(lambda: len(funding()) == 2)
    rows = await trader.signed("GET", f"{SWAP}/v2/user/income", incomeType="FUNDING_FEE")
    assert len(rows) == 2 and Decimal(rows[1]["income"]) < 0


async def test_precision_is_truncated_or_refused_with_bingx_code(
    trader: Trader, bingx_sim: Any
) -> None:
    placed = await trader.client.place_order(
        "BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.01239")
    )
    queried = await trader.client.query_order("BTC-USDT", order_id=placed.order_id)
    assert queried.quantity == Decimal("0.0123")  # truncated to BTC's 4 decimals
    await admin(bingx_sim, "/sim/modes", {"apiKey": trader.api_key, "precision": "reject"})
    with pytest.raises(BingxError, match="110425"):
        await trader.client.place_order("BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.01239"))
    with pytest.raises(BingxError, match="110425"):
        await trader.client.place_order(
            "BTC-USDT", "BUY", "LONG", "LIMIT", Decimal("0.01"), price=Decimal("1000.05")
        )


async def test_tickers_funding_rates_and_the_admin_modes(bingx_sim: Any, trader: Trader) -> None:
    one = await trader.signed("GET", f"{SWAP}/v2/quote/ticker", symbol="XRP-USDT")
    every = await trader.signed("GET", f"{SWAP}/v2/quote/ticker")
    assert one["symbol"] == "XRP-USDT" and {t["symbol"] for t in every} >= {"XRP-USDT", "BTC-USDT"}
    assert Decimal(one["lowPrice"]) <= Decimal(one["lastPrice"]) <= Decimal(one["highPrice"])
    assert Decimal(one["bidPrice"]) < Decimal(one["askPrice"])
    assert isinstance(one["openTime"], int) and one["closeTime"] - one["openTime"] == 86_400_000
    rates = await trader.signed("GET", f"{SWAP}/v2/quote/fundingRate", symbol="BTC-USDT", limit=3)
    assert len(rates) == 3 and all(r["fundingTime"] % EIGHT_HOURS == 0 for r in rates)
    with pytest.raises(BingxError, match="109425"):
        await trader.signed("GET", f"{SWAP}/v2/quote/ticker", symbol="NOPE-USDT")
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        refused = await http.post("/sim/modes", json={"partial_fills": 0})
        assert refused.status_code == 422
        own = await http.post("/sim/modes", json={"apiKey": trader.api_key, "fill_delay_ms": 5})
        assert own.json()["fill_delay_ms"] == 5
        assert (await http.get("/sim/modes")).json()["fill_delay_ms"] == 0
        assert (await http.post("/sim/modes", json={"apiKey": "nope"})).status_code == 404


ORDER_FIELDS = {
    "symbol",
    "orderId",
    "side",
    "positionSide",
    "type",
    "origQty",
    "price",
    "executedQty",
    "avgPrice",
    "cumQuote",
    "stopPrice",
    "profit",
    "commission",
    "status",
    "time",
    "updateTime",
    "clientOrderId",
    "leverage",
    "takeProfit",
    "stopLoss",
    "advanceAttr",
    "positionID",
    "takeProfitEntrustPrice",
    "stopLossEntrustPrice",
    "orderType",
    "workingType",
    "stopGuaranteed",
    "triggerOrderId",
    "reduceOnly",
    "onlyOnePosition",
    "postOnly",
    "trailingStopRate",
    "trailingStopDistance",
    "priceRate",
    "actPrice",
    "closePosition",
    "isTwap",
    "mainOrderId",
}


async def test_answers_carry_the_documented_fields(trader: Trader) -> None:
    """API.md §4.1-4.3: the order object, leverage, positions, depth, trades, prices, and
    ACCOUNT_CONFIG_UPDATE on a leverage change."""
    placed = await trader.client.place_order(
        "BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.01"), stop_loss=Decimal(1000)
    )
    order = (await trader.signed("GET", ORDER, symbol="BTC-USDT", orderId=placed.order_id))["order"]
    assert set(order) == ORDER_FIELDS
    assert order["stopLoss"]["type"] == "STOP_MARKET" and order["takeProfit"]["type"] == ""
    assert Decimal(order["profit"]) == 0 and order["onlyOnePosition"] is False
    leverage = await trader.signed("GET", f"{SWAP}/v2/trade/leverage", symbol="BTC-USDT")
    assert Decimal(leverage["availableLongVal"]) > 0 and "maxPositionShortVal" in leverage
    changed = await trader.signed(
        "POST", f"{SWAP}/v2/trade/leverage", symbol="BTC-USDT", side="SHORT", leverage=7
    )
    assert changed["leverage"] == 7 and "availableShortVol" in changed
    await until(lambda: any(e["e"] == "ACCOUNT_CONFIG_UPDATE" for e in trader.events))
    [config] = [e for e in trader.events if e["e"] == "ACCOUNT_CONFIG_UPDATE"]
    assert config["ac"] == {"s": "BTC-USDT", "l": 5, "S": 7, "mt": "cross"}
    [position] = await trader.signed("GET", f"{SWAP}/v2/user/positions")
    assert {"pnlRatio", "maxMarginReduction", "isolated"} <= set(position)
    assert isinstance(position["liquidationPrice"], int | float)
    depth = await trader.signed("GET", f"{SWAP}/v2/quote/depth", symbol="BTC-USDT", limit=5)
    assert len(depth["bidsCoin"]) == len(depth["asksCoin"]) == 5
    [trade] = await trader.signed("GET", f"{SWAP}/v2/quote/trades", symbol="BTC-USDT", limit=1)
    assert set(trade) == {"time", "isBuyerMaker", "price", "qty", "quoteQty"}
    prices = await trader.signed("GET", f"{SWAP}/v1/ticker/price")
    assert isinstance(prices, list) and {p["symbol"] for p in prices} >= {"BTC-USDT"}
