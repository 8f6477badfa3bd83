"""The simulator enforces BingX's rules in strict mode (its default), over real sockets."""

import asyncio
import gzip
import json
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest
import websockets

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.bingx.errors import AuthError, Banned, ListenKeyGone
from fleet.bingx.ws import MarketStream, UserStream

pytestmark = pytest.mark.integration
INTERVALS = ("1m", "3m", "5m", "15m", "30m")


async def client_with(sim: Any, permissions: list[str]) -> BingxClient:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        answer = await http.post("/sim/accounts", json={"permissions": permissions})
        keys = answer.json()
    return BingxClient(Transport(sim.url, LocalHmacSigner(keys["apiKey"], keys["secretKey"])))


async def test_setters_need_the_trade_permission(bingx_sim: Any) -> None:
    reader = await client_with(bingx_sim, ["read"])
    assert await reader.hedge_mode() is True  # reading needs read only
    for change in (
        reader.set_leverage("BTC-USDT", "LONG", 3),
        reader.set_hedge_mode(False),
        reader.set_margin_type("BTC-USDT", "ISOLATED"),
    ):
        with pytest.raises(AuthError, match="100004"):
            await change
    await reader.close()


async def test_positions_carry_margin_value_and_risk_rate(bingx_sim: Any) -> None:
    trader = await client_with(bingx_sim, ["read", "trade"])
    await trader.place_order("BTC-USDT", "BUY", "LONG", "MARKET", Decimal("0.01"))
    [row] = await trader.transport.signed("GET", "/openApi/swap/v2/user/positions")
    print({key: row[key] for key in ("margin", "positionValue", "riskRate")})
    assert Decimal(row["margin"]) > 0 and Decimal(row["positionValue"]) > Decimal(row["margin"])
    assert 0 < Decimal(row["riskRate"]) < 1
    await trader.close()


async def test_a_listen_key_not_extended_expires_with_an_event(bingx_sim: Any) -> None:
    trader = await client_with(bingx_sim, ["read", "trade"])
    events: list[dict[str, Any]] = []

    async def on_message(message: dict[str, Any]) -> None:
        events.append(message)

    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        await http.post("/sim/faults", json={"listen_key_ttl_s": 1.5})
        try:
            key = await trader.create_listen_key()
            await trader.keep_alive_listen_key(key)  # an empty 200: success
            stream = UserStream(bingx_sim.ws_url, key, on_message, trader.keep_alive_listen_key)
            runner = asyncio.create_task(stream.run())
            for _ in range(100):
                if events:
                    break
                await asyncio.sleep(0.05)
        finally:
            await http.post("/sim/faults", json={"listen_key_ttl_s": 3600})
    assert events and events[0]["e"] == "listenKeyExpired" and events[0]["listenKey"] == key
    with pytest.raises(ListenKeyGone):
        await trader.keep_alive_listen_key(key)
    await stream.close()
    await asyncio.wait_for(runner, 5)
    await trader.close()


async def test_an_address_that_insists_past_its_limit_gets_429_then_418(bingx_sim: Any) -> None:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        keys = (await http.post("/sim/accounts", json={})).json()
    signer = LocalHmacSigner(keys["apiKey"], keys["secretKey"])
    abuser = BingxClient(Transport(bingx_sim.url, signer, source_address="127.0.0.9"))
    await abuser.sync_clock()
    answers = await asyncio.gather(
        *(abuser.set_leverage("BTC-USDT", "LONG", 3) for _ in range(130)), return_exceptions=True
    )
    kinds = Counter(
        "ok"
        if not isinstance(a, BaseException)
        else f"{type(a).__name__} {a.code if a.code else a.http_status}"  # type: ignore[attr-defined]
        for a in answers
    )
    print(dict(kinds))
    assert kinds["ok"] == 5 and kinds["RateLimited 100410"] == 19  # 20th refusal: 429
    assert kinds["RateLimited 429"] == 80 and kinds["Banned 418"] == 26  # 100th: banned
    with pytest.raises(Banned):  # banned for a while, whatever it asks
        await abuser.positions()
    await abuser.close()


async def test_a_socket_that_never_answers_ping_is_closed(bingx_sim: Any) -> None:
    async with websockets.connect(bingx_sim.ws_url) as ws:
        await ws.send(json.dumps({"id": "1", "reqType": "sub", "dataType": "BTC-USDT@kline_1m"}))
        started, pings = time.monotonic(), 0
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                frame = await asyncio.wait_for(ws.recv(), 20)
                pings += gzip.decompress(frame) == b"Ping" if isinstance(frame, bytes) else 0
    print(f"closed after {time.monotonic() - started:.1f} s and {pings} unanswered Pings")
    assert pings == 2


async def test_subscribes_are_paced_by_the_client_and_refused_in_a_burst(bingx_sim: Any) -> None:
    topics = [f"{s}@kline_{i}" for s in ("BTC-USDT", "ETH-USDT", "XRP-USDT") for i in INTERVALS]
    async with websockets.connect(bingx_sim.ws_url, local_addr=("127.0.0.4", 0)) as ws:
        for n, topic in enumerate(topics):
            await ws.send(json.dumps({"id": str(n), "reqType": "sub", "dataType": topic}))
        codes: list[int] = []
        while len(codes) < len(topics):
            frame = await asyncio.wait_for(ws.recv(), 5)
            assert isinstance(frame, bytes)
            message = json.loads(gzip.decompress(frame))
            if "id" in message:
                codes.append(message["code"])

    async def ignore(_message: dict[str, Any]) -> None:
        return None

    paced = MarketStream(bingx_sim.ws_url, ignore, source_address="127.0.0.5")
    for topic in topics:
        await paced.subscribe(topic)
    runner = asyncio.create_task(paced.run())
    started = time.monotonic()
    while not paced.connected or paced.unacknowledged:
        assert time.monotonic() - started < 10
        await asyncio.sleep(0.05)
    took = time.monotonic() - started
    print(
        f"burst of {len(topics)}: {codes.count(100410)} refused; "
        f"paced over {took:.1f} s: {paced.refused}"
    )
    assert codes.count(100410) == len(topics) - 10 and paced.refused == {}
    await paced.close()
    await asyncio.wait_for(runner, 5)
