"""An independent client drives the simulator: ccxt's ``bingx`` class (its own signing,
paths, parameters and parsing), pointed at the simulator in strict mode over a real socket
by overriding its sandbox URLs. Whatever ccxt cannot read here, it could not read on
BingX either, or the simulator answers differently from BingX."""

import decimal
import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import ccxt
import ccxt.async_support as ccxt_async
import httpx
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def decimal_context_restored() -> Iterator[None]:
    """ccxt sets the process's decimal context (ROUND_HALF_UP, Underflow trapped): put it
    back, so the tests after these compute with Python's default context, as Fleet does."""
    saved = decimal.getcontext().copy()
    yield
    decimal.setcontext(saved)


BTC = "BTC/USDT:USDT"


def point_at(exchange: Any, url: str) -> None:
    """Sandbox mode, then every REST family ccxt knows at the simulator."""
    exchange.set_sandbox_mode(True)
    exchange.urls["api"] = dict.fromkeys(exchange.urls["api"], f"{url}/openApi")


async def new_keys(sim: Any, **body: Any) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        answer = await http.post("/sim/accounts", json={"balance": "10000"} | body)
        answer.raise_for_status()
        return dict(answer.json())


async def admin(sim: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        answer = await http.post(path, json=body)
        answer.raise_for_status()
        return dict(answer.json())


@pytest.fixture
async def bingx(bingx_sim: Any) -> AsyncIterator[Any]:
    keys = await new_keys(bingx_sim)
    exchange = ccxt_async.bingx(
        {
            "apiKey": keys["apiKey"],
            "secret": keys["secretKey"],
            "options": {"defaultType": "swap"},
            "enableRateLimit": False,
        }
    )
    point_at(exchange, bingx_sim.url)
    exchange.keys_for_test = keys
    yield exchange
    await exchange.close()


async def test_ccxt_reads_markets_balance_candles_and_ticker(bingx: Any) -> None:
    markets = await bingx.load_markets()
    btc = markets[BTC]
    assert btc["id"] == "BTC-USDT" and btc["active"] and btc["swap"] and btc["linear"]
    assert btc["limits"]["amount"]["min"] == 0.0001 and btc["precision"]["price"] == 0.1
    balance = await bingx.fetch_balance()
    assert balance["USDT"]["total"] == 10000 and balance["USDT"]["free"] == 10000
    candles = await bingx.fetch_ohlcv(BTC, "5m", limit=20)
    assert len(candles) == 20 and all(
        b[0] - a[0] == 300_000 for a, b in itertools.pairwise(candles)
    )
    ticker = await bingx.fetch_ticker(BTC)
    assert ticker["symbol"] == BTC and ticker["last"] > 0
    assert ticker["bid"] < ticker["last"] < ticker["ask"] and ticker["high"] >= ticker["low"] > 0
    rate = await bingx.fetch_funding_rate(BTC)
    assert rate["fundingRate"] == 0.0001 and rate["nextFundingTimestamp"] % (8 * 3_600_000) == 0


async def test_ccxt_trades_and_finds_its_fills_positions_and_funding(
    bingx: Any, bingx_sim: Any
) -> None:
    await bingx.load_markets()
    assert (await bingx.fetch_position_mode(BTC))["hedged"] is True
    await bingx.set_position_mode(False, BTC)
    assert (await bingx.fetch_position_mode(BTC))["hedged"] is False
    await bingx.set_leverage(10, BTC, {"side": "BOTH"})
    assert (await bingx.fetch_leverage(BTC))["longLeverage"] == 10

    bought = await bingx.create_order(BTC, "market", "buy", 0.01)
    resting = await bingx.create_order(BTC, "limit", "buy", 0.01, 1000)
    [open_order] = await bingx.fetch_open_orders(BTC)
    assert open_order["id"] == resting["id"] and open_order["price"] == 1000
    cancelled = await bingx.cancel_order(resting["id"], BTC)
    assert cancelled["status"] == "canceled" and await bingx.fetch_open_orders(BTC) == []

    [position] = await bingx.fetch_positions([BTC])
    assert position["contracts"] == 0.01 and position["side"] == "long"
    [trade] = await bingx.fetch_my_trades(BTC)
    assert trade["order"] == bought["id"] and trade["amount"] == 0.01
    assert trade["price"] > 0 and trade["fee"]["cost"] > 0 and trade["timestamp"] > 0

    # funding is paid at the next 8-hour mark of simulated time: move the clock there
    await admin(bingx_sim, "/sim/clock", {"advance_ms": 8 * 3_600_000})
    history: list[Any] = []
    for _ in range(50):
        history = await bingx.fetch_funding_history(BTC)
        if history:
            break
        await bingx.sleep(100)
    [paid] = history
    assert paid["symbol"] == BTC and paid["code"] == "USDT" and paid["amount"] < 0  # long pays

    closed = await bingx.create_order(BTC, "market", "sell", 0.01, None, {"reduceOnly": True})
    assert closed["id"] != bought["id"] and await bingx.fetch_positions([BTC]) == []
    assert len(await bingx.fetch_my_trades(BTC)) == 2


async def test_ccxt_sees_a_wrong_secret_as_an_authentication_error(bingx_sim: Any) -> None:
    keys = await new_keys(bingx_sim)
    wrong = ccxt_async.bingx(
        {"apiKey": keys["apiKey"], "secret": "not-the-secret", "options": {"defaultType": "swap"}}
    )
    point_at(wrong, bingx_sim.url)
    try:
        with pytest.raises(ccxt.AuthenticationError):
            await wrong.fetch_balance()
    finally:
        await wrong.close()
