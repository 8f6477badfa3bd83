"""Client <-> simulator contract over real sockets: every client method, error paths."""

import hashlib
import hmac
import itertools
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.bingx.errors import (
    AuthError,
    DuplicateClientOrderId,
    InsufficientMargin,
    InvalidSymbol,
    OrderNotFound,
    RateLimited,
)

pytestmark = pytest.mark.integration


async def new_account(
    sim: Any, balance: str = "10000", permissions: list[str] | None = None
) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        answer = await http.post(
            "/sim/accounts",
            json={"balance": balance, "permissions": permissions or ["read", "trade"]},
        )
        answer.raise_for_status()
        return dict(answer.json())


@pytest.fixture
async def client(bingx_sim: Any) -> AsyncIterator[BingxClient]:
    keys = await new_account(bingx_sim)
    client = BingxClient(
        Transport(bingx_sim.url, LocalHmacSigner(keys["apiKey"], keys["secretKey"]))
    )
    await client.sync_clock()
    yield client
    await client.close()


async def test_market_data(client: BingxClient) -> None:
    assert abs(await client.server_time_ms() - client.transport.now_ms()) < 5_000
    contracts = {c.symbol: c for c in await client.contracts()}
    btc = contracts["BTC-USDT"]
    assert btc.quantity_step == Decimal("0.0001") and btc.min_notional == Decimal(2)
    candles = await client.klines("BTC-USDT", "5m", limit=50)
    assert len(candles) == 50
    assert all(b.open_time_ms - a.open_time_ms == 300_000 for a, b in itertools.pairwise(candles))
    assert all(c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high for c in candles)
    price = await client.latest_price("BTC-USDT")
    assert price > 0 and await client.mark_price("BTC-USDT") > 0
    book = await client.depth("BTC-USDT", 5)
    assert book.bids[0][0] < book.asks[0][0]
    with pytest.raises(InvalidSymbol):
        await client.latest_price("NOPE-USDT")


async def test_account_and_settings(client: BingxClient) -> None:
    balance = await client.balance()
    assert balance.balance == Decimal("10000.0000")
    assert (await client.api_permissions()).permissions == (2, 3)
    assert await client.hedge_mode() is True
    await client.set_hedge_mode(False)
    assert await client.hedge_mode() is False
    assert await client.set_leverage("BTC-USDT", "BOTH", 10) == 10
    assert (await client.leverage("BTC-USDT")).long_leverage == 10
    await client.set_margin_type("BTC-USDT", "ISOLATED")
    assert await client.margin_type("BTC-USDT") == "ISOLATED"


async def test_orders_lifecycle(client: BingxClient) -> None:
    placed = await client.place_order(
        "BTC-USDT",
        "BUY",
        "LONG",
        "MARKET",
        Decimal("0.01"),
        client_order_id="fl-test-1",
        stop_loss=Decimal(1000),
    )
    assert placed.client_order_id == "fl-test-1"
    by_client_id = await client.query_order("BTC-USDT", client_order_id="fl-test-1")
    assert by_client_id.order_id == placed.order_id and by_client_id.status == "FILLED"
    assert (
        await client.query_order("BTC-USDT", order_id=placed.order_id)
    ).executed_quantity == Decimal("0.0100")
    [position] = await client.positions("BTC-USDT")
    assert position.position_side == "LONG" and position.amount == Decimal("0.0100")
    resting = await client.place_order(
        "BTC-USDT", "BUY", "LONG", "LIMIT", Decimal("0.01"), price=Decimal(1000)
    )
    open_orders = await client.open_orders("BTC-USDT")
    assert [o.order_id for o in open_orders if o.type == "LIMIT"] == [resting.order_id]
    assert [o.type for o in open_orders if o.order_id != resting.order_id] == ["STOP_MARKET"]
    cancelled = await client.cancel_order("BTC-USDT", order_id=resting.order_id)
    assert cancelled.status == "CANCELLED"
    assert len(await client.order_history("BTC-USDT")) == 3  # with the attached stop
    now = client.transport.now_ms()
    [fill] = await client.fills("BTC-USDT", now - 60_000, now)
    assert fill.side is None and fill.quantity > 0  # strict: BingX's rows carry no side
    closed = await client.place_order("BTC-USDT", "SELL", "LONG", "MARKET", Decimal("0.01"))
    closed_now = await client.query_order("BTC-USDT", order_id=closed.order_id)
    assert closed_now.status == "FILLED" and await client.positions("BTC-USDT") == []
    # closing the position cancelled its attached stop-loss, as BingX does
    assert await client.cancel_all("BTC-USDT") == []
    history = await client.order_history("BTC-USDT")
    assert [o.status for o in history if o.type == "STOP_MARKET"] == ["CANCELLED"]


async def test_order_error_paths(client: BingxClient, bingx_sim: Any) -> None:
    await client.place_order(
        "ETH-USDT", "BUY", "LONG", "MARKET", Decimal("0.1"), client_order_id="Fl-Dup"
    )
    with pytest.raises(DuplicateClientOrderId):  # lower-cased by the server, so a duplicate
        await client.place_order(
            "ETH-USDT", "BUY", "LONG", "MARKET", Decimal("0.1"), client_order_id="fl-dup"
        )
    with pytest.raises(InsufficientMargin):
        await client.place_order("BTC-USDT", "BUY", "LONG", "MARKET", Decimal(100))
    with pytest.raises(OrderNotFound):
        await client.query_order("BTC-USDT", client_order_id="never-placed")


async def test_auth_error_paths(bingx_sim: Any) -> None:
    keys = await new_account(bingx_sim)
    wrong = BingxClient(Transport(bingx_sim.url, LocalHmacSigner(keys["apiKey"], "not-the-secret")))
    with pytest.raises(AuthError, match="100001"):
        await wrong.balance()
    stale = BingxClient(
        Transport(
            bingx_sim.url,
            LocalHmacSigner(keys["apiKey"], keys["secretKey"]),
            clock=lambda: time.time() - 120,
        )
    )
    # A clock two minutes late: the transport measures BingX's clock before its first
    # signed request, so nothing is refused for it.
    assert (await stale.balance()).asset == "USDT"
    assert stale.transport.server_clock.syncs == 1
    read_only = await new_account(bingx_sim, permissions=["read"])
    reader = BingxClient(
        Transport(bingx_sim.url, LocalHmacSigner(read_only["apiKey"], read_only["secretKey"]))
    )
    with pytest.raises(AuthError, match="100004"):
        await reader.place_order("BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.01"))
    for c in (wrong, stale, reader):
        await c.close()


async def test_rate_limit_storm_is_a_typed_error(client: BingxClient, bingx_sim: Any) -> None:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        await http.post("/sim/faults", json={"rate_limit_storm": 5})
    with pytest.raises(RateLimited):
        await client.place_order("BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.01"))
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        await http.post("/sim/faults", json={"rate_limit_storm": 0})


async def test_listen_key_lifecycle(client: BingxClient) -> None:
    key = await client.create_listen_key()
    assert len(key) == 64
    await client.keep_alive_listen_key(key)
    await client.delete_listen_key(key)


async def test_manual_position_is_visible(client: BingxClient, bingx_sim: Any) -> None:
    api_key = client.transport._signer._api_key  # type: ignore[union-attr]
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        answer = await http.post(
            "/sim/positions",
            json={"apiKey": api_key, "symbol": "SOL-USDT", "side": "SHORT", "quantity": "3"},
        )
        assert answer.status_code == 201
    [position] = await client.positions("SOL-USDT")
    assert position.position_side == "SHORT" and position.amount == Decimal(3)


async def test_hand_written_request_without_the_client(bingx_sim: Any) -> None:
    """The simulator accepts an independent request built with httpx + hmac only."""
    keys = await new_account(bingx_sim)
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        server_ms = (await http.get("/openApi/swap/v2/server/time")).json()["data"]["serverTime"]
        text = f"symbol=BTC-USDT&timestamp={server_ms}"
        signature = hmac.new(keys["secretKey"].encode(), text.encode(), hashlib.sha256).hexdigest()
        answer = await http.get(
            f"/openApi/swap/v2/trade/leverage?{text}&signature={signature}",
            headers={"X-BX-APIKEY": keys["apiKey"]},
        )
    assert answer.json()["code"] == 0
    assert answer.json()["data"]["longLeverage"] == 5
