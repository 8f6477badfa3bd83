"""Market and user-data WebSockets against the simulator over real sockets."""

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.bingx.ws import MarketStream, UserStream

pytestmark = pytest.mark.integration


async def test_kline_pushes_and_reconnect_with_resubscribe_and_gap(bingx_sim: Any) -> None:
    pushes: list[dict[str, Any]] = []
    gaps: list[int] = []

    async def on_message(message: dict[str, Any]) -> None:
        pushes.append(message)

    async def on_gap(since_ms: int) -> None:
        gaps.append(since_ms)

    stream = MarketStream(bingx_sim.ws_url, on_message, on_gap=on_gap, reconnect_delay_s=0.2)
    await stream.subscribe("BTC-USDT@kline_1m")
    runner = asyncio.create_task(stream.run())
    await _until(lambda: len(pushes) >= 2)
    assert pushes[0]["dataType"] == "BTC-USDT@kline_1m"
    assert {"o", "h", "l", "c", "v", "T"} <= set(pushes[0]["data"][0])
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        await http.post("/sim/faults", json={"drop_websockets": True})
    before = len(pushes)
    await _until(lambda: stream.reconnects >= 1 and len(pushes) > before + 1)
    assert gaps and gaps[0] > 0  # the caller is told when data stopped, to backfill
    await stream.close()
    await asyncio.wait_for(runner, 5)


async def test_unsupported_topic_is_refused_not_silently_ignored(bingx_sim: Any) -> None:
    import gzip
    import json

    import websockets

    async with websockets.connect(bingx_sim.ws_url) as ws:
        await ws.send(json.dumps({"id": "1", "reqType": "sub", "dataType": "NOPE-USDT@kline_1m"}))
        frame = await ws.recv()
        assert isinstance(frame, bytes)  # BingX sends binary gzip frames
        answer = json.loads(gzip.decompress(frame))
    assert answer["code"] == 80015 and answer["dataType"] == ""


async def test_user_stream_pushes_order_updates(bingx_sim: Any) -> None:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        keys = (await http.post("/sim/accounts", json={"balance": "5000"})).json()
    client = BingxClient(
        Transport(bingx_sim.url, LocalHmacSigner(keys["apiKey"], keys["secretKey"]))
    )
    events: list[dict[str, Any]] = []

    async def on_event(event: dict[str, Any]) -> None:
        events.append(event)

    key = await client.create_listen_key()
    stream = UserStream(bingx_sim.ws_url, key, on_event, client.keep_alive_listen_key)
    runner = asyncio.create_task(stream.run())
    await asyncio.sleep(0.5)
    await client.place_order(
        "ETH-USDT", "BUY", "LONG", "MARKET", Decimal("0.1"), client_order_id="fl-ws-1"
    )
    await _until(lambda: len(events) >= 3)
    accepted, order, account = events[0], events[1], events[2]
    assert accepted["o"]["x"] == accepted["o"]["X"] == "NEW" and accepted["o"]["z"] == "0"
    assert order["e"] == "ORDER_TRADE_UPDATE" and order["o"]["c"] == "fl-ws-1"
    assert order["o"]["x"] == "TRADE" and order["o"]["X"] == "FILLED" and order["o"]["t"] > 0
    assert order["o"]["l"] == order["o"]["z"] and order["o"]["L"] == order["o"]["ap"]
    assert Decimal(order["o"]["n"]) < 0  # this fill's fee, paid
    assert account["e"] == "ACCOUNT_UPDATE"
    [position] = account["a"]["P"]  # open positions only, with their unrealised PnL
    assert position["s"] == "ETH-USDT" and position["mt"] == "cross"
    assert Decimal(position["iw"]) == 0 and position["up"] != "0"  # computed, not a constant
    await stream.close()
    await asyncio.wait_for(runner, 5)
    await client.close()


async def _until(condition: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_market_stream_survives_callback_errors_bad_frames_and_drops(bingx_sim: Any) -> None:
    pushes: list[dict[str, Any]] = []
    failures = {"left": 3}

    async def on_message(message: dict[str, Any]) -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("a NATS publish failed")  # as a callback may, at any time
        pushes.append(message)

    async def on_gap(_since_ms: int) -> None:
        raise RuntimeError("the REST backfill failed")

    stream = MarketStream(bingx_sim.ws_url, on_message, on_gap=on_gap, reconnect_delay_s=0.2)
    await stream.subscribe("BTC-USDT@kline_1m")
    await stream.subscribe("NOPE-USDT@kline_1m")
    runner = asyncio.create_task(stream.run())
    await _until(lambda: len(pushes) >= 1)
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        await http.post("/sim/faults", json={"garbage_frames": 1})
        await _until(lambda: stream.bad_frames >= 1)
        await http.post("/sim/faults", json={"drop_websockets": True})
    before = len(pushes)
    await _until(lambda: stream.reconnects >= 1 and len(pushes) > before + 2)
    print(
        f"callback errors {stream.callback_errors}, bad frames {stream.bad_frames}, "
        f"reconnects {stream.reconnects}, refused {stream.refused}"
    )
    assert not runner.done() and stream.connected
    assert stream.callback_errors == 4 and stream.bad_frames == 1
    assert stream.refused == {"NOPE-USDT@kline_1m": 80015}
    await stream.close()
    await asyncio.wait_for(runner, 5)


async def test_pushes_are_read_while_a_long_topic_list_is_still_subscribing(
    bingx_sim: Any,
) -> None:
    """Subscriptions are paced (BingX: about 10 a second); reading does not wait for the
    last of them: a socket that read nothing (no Pong, no push) while 100 topics went out
    over 11 s was dropped, and a large symbol list never got through."""
    from fleet.bingx.ratelimit import TokenBucket

    first_push: list[float] = []

    async def on_message(message: dict[str, Any]) -> None:
        if not first_push:
            first_push.append(asyncio.get_running_loop().time())

    # 2 subscriptions a second: the 12 topics take 6 s to go out
    stream = MarketStream(bingx_sim.ws_url, on_message, pace=TokenBucket(2.0, 1.0))
    for interval in ("1m", "3m", "5m", "15m", "30m", "1h"):
        for symbol in ("BTC-USDT", "ETH-USDT"):
            await stream.subscribe(f"{symbol}@kline_{interval}")
    started = asyncio.get_running_loop().time()
    runner = asyncio.create_task(stream.run())
    try:
        for _ in range(60):
            if first_push:
                break
            await asyncio.sleep(0.1)
        assert first_push, "no push within 6 s"
        assert first_push[0] - started < 4.0  # before the last subscriptions went out
        assert stream.refused == {}
    finally:
        await stream.close()
        runner.cancel()


async def test_a_subscription_refused_for_the_rate_is_asked_again(bingx_sim: Any) -> None:
    """BingX refuses subscriptions beyond about 10 a second per address with 100410 (the
    simulator too): such a topic is asked again, not given up, and every topic pushes."""
    from fleet.bingx.ratelimit import TokenBucket

    seen: set[str] = set()

    async def on_message(message: dict[str, Any]) -> None:
        seen.add(str(message.get("dataType")))

    topics = {
        f"{symbol}@kline_{interval}"
        for interval in ("1m", "3m", "5m", "15m", "30m", "1h", "4h")
        for symbol in ("BTC-USDT", "ETH-USDT")
    }
    # no pacing at all: 14 at once, 4 beyond the address's 10 a second
    stream = MarketStream(bingx_sim.ws_url, on_message, pace=TokenBucket(1000.0, 1000.0))
    for topic in sorted(topics):
        await stream.subscribe(topic)
    runner = asyncio.create_task(stream.run())
    try:
        for _ in range(80):
            if seen >= topics:
                break
            await asyncio.sleep(0.1)
        assert seen >= topics, sorted(topics - seen)
        assert stream.refused == {}
    finally:
        await stream.close()
        runner.cancel()
