"""The live loop against the BingX simulator (real sockets) and a real NATS JetStream."""

import asyncio
import itertools
import json
from decimal import Decimal
from typing import Any

import httpx
import nats
import pytest
from nats.js.api import KeyValueConfig
from prometheus_client import REGISTRY

from fleet.bingx import BingxClient, Transport
from fleet.bus.lease import Lease
from fleet.events import AggregateId, AggregateRef
from fleet.events.bots import BotStarted
from fleet.events.directory import Directory
from fleet.events.users import TradingSettings
from fleet.eventstore import EventStore
from fleet.strategy.domain.chart import WINDOW
from fleet.strategy.live import LiveStrategy

pytestmark = pytest.mark.integration
STREAM = ("BTC-USDT", "1m")


async def signal_times(event_store: EventStore) -> list[int]:
    aggregate = AggregateRef(type="signal", id=AggregateId("BTC-USDT_1m"))
    return [int(e.data["candle_open_ms"]) for e in await event_store.load(aggregate)]


async def run_for(live: LiveStrategy, seconds: float, during: Any = None) -> None:
    runner = asyncio.create_task(live.stream.run())
    await live.want({STREAM})
    if during is not None:
        await asyncio.sleep(seconds / 2)
        await during()
    await asyncio.sleep(seconds if during is None else seconds / 2)
    await live.stream.close()
    await asyncio.wait_for(runner, 5)


def assert_consecutive(times: list[int]) -> None:
    assert len(times) >= 3, times
    assert len(set(times)) == len(times), "a signal was published twice"
    assert all(b - a == 60_000 for a, b in itertools.pairwise(times)), "a candle was skipped"


async def test_one_signal_per_closed_candle(event_store: EventStore, bingx_sim: Any) -> None:
    rest = BingxClient(Transport(bingx_sim.url, None))
    live = LiveStrategy(event_store, rest, bingx_sim.ws_url)
    await run_for(live, 6.0)
    times = await signal_times(event_store)
    assert_consecutive(times)
    assert live.stream.topics == {"BTC-USDT@kline_1m"}
    # a restart resumes after the last signal: nothing twice, nothing missing
    again = LiveStrategy(event_store, rest, bingx_sim.ws_url)
    await run_for(again, 3.0)
    assert_consecutive(await signal_times(event_store))
    await rest.close()


async def test_websocket_drop_loses_no_candle(event_store: EventStore, bingx_sim: Any) -> None:
    rest = BingxClient(Transport(bingx_sim.url, None))
    live = LiveStrategy(event_store, rest, bingx_sim.ws_url)

    async def drop() -> None:
        async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
            await http.post("/sim/faults", json={"drop_websockets": True})
        await asyncio.sleep(2.5)  # candles close while disconnected (reconnect delay 1 s)

    await run_for(live, 8.0, during=drop)
    assert live.stream.reconnects >= 1
    assert_consecutive(await signal_times(event_store))
    await rest.close()


def test_many_bots_on_one_stream_need_one_subscription() -> None:
    demand = Directory()
    settings = TradingSettings(trading_enabled=True, symbols=("BTC-USDT",), timeframe="1m")
    for user in range(25):
        event = BotStarted(session_id="s", settings=settings, initial_balance=Decimal(1), by="u")
        demand.apply(f"u{user}", event)
    assert demand.streams == {STREAM}


async def test_market_data_survives_a_dead_socket_a_failing_callback_and_garbage(
    event_store: EventStore, bingx_sim: Any
) -> None:
    rest = BingxClient(Transport(bingx_sim.url, None))
    failures = {"left": 2}

    async def publish(_stream: Any, _candle: Any) -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("NATS publish failed")

    live = LiveStrategy(event_store, rest, bingx_sim.ws_url, publish_candle=publish)
    problems: list[str] = []

    async def trouble() -> None:
        async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
            await http.post("/sim/faults", json={"garbage_frames": 1})
            while live.stream.bad_frames == 0:  # noqa: ASYNC110 - polls a counter
                await asyncio.sleep(0.05)
            await http.post("/sim/faults", json={"refuse_websockets_s": 4.0})
            await http.post("/sim/faults", json={"drop_websockets": True})
        for _ in range(40):  # candles close at the simulator while the socket is refused
            problems.append(live.problem() or "")
            await asyncio.sleep(0.1)

    await run_for(live, 12.0, during=trouble)
    degraded = [p for p in problems if p]
    print(
        f"degraded samples {len(degraded)}/{len(problems)} ({degraded[-1] if degraded else ''}); "
        f"bad frames {live.stream.bad_frames}, refused handshakes "
        f"{live.stream.refused_handshakes}, reconnects {live.stream.reconnects}"
    )
    assert any(p.startswith("market stream down") for p in problems)
    assert live.stream.bad_frames == 1 and live.stream.refused_handshakes >= 1
    assert failures["left"] == 0 and live.problem() is None
    assert_consecutive(await signal_times(event_store))
    await rest.close()


async def test_the_chart_window_follows_the_market(event_store: EventStore, bingx_sim: Any) -> None:
    rest = BingxClient(Transport(bingx_sim.url, None))
    live = LiveStrategy(event_store, rest, bingx_sim.ws_url)
    stored: list[tuple[tuple[str, str], dict[str, Any]]] = []

    async def store(stream: tuple[str, str], window: bytes) -> None:
        stored.append((stream, json.loads(window)))

    live.publish_chart = store
    await run_for(live, 4.0)
    assert {stream for stream, _ in stored} == {STREAM}
    candles = stored[-1][1]["candles"]
    closed = [c for c in candles if c["closed"]]
    assert 0 < len(closed) <= WINDOW
    opens = [c["open_ms"] for c in candles]
    assert opens == sorted(set(opens)), "ordered, each candle once"
    assert closed[-1]["adx"] is not None and closed[-1]["plus_di"] is not None
    assert any(not c["closed"] for _, w in stored for c in w["candles"])  # the forming one
    await rest.close()


async def test_a_strategy_that_lost_its_lease_appends_no_signal(
    event_store: EventStore, bingx_sim: Any, nats_url: str, namespace: str
) -> None:
    """Fencing: the strategy was paused past its lease and another took it; resumed, its
    candles still close but each signal is refused (counted), none reaches the log."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    kv = await js.create_key_value(KeyValueConfig(bucket=f"lease_{namespace}", ttl=1.0))
    paused = Lease(kv, "strategy", "strategy-a", ttl_s=1.0)
    assert await paused.try_acquire()
    await asyncio.sleep(1.6)  # no renewal: the lease expires
    assert await Lease(kv, "strategy", "strategy-b", ttl_s=1.0).try_acquire()
    rest = BingxClient(Transport(bingx_sim.url, None))
    live = LiveStrategy(event_store, rest, bingx_sim.ws_url)
    live.fence = paused.confirm
    fenced = REGISTRY.get_sample_value("strategy_signals_fenced_total") or 0.0
    await run_for(live, 4.0)
    assert await signal_times(event_store) == []
    assert (REGISTRY.get_sample_value("strategy_signals_fenced_total") or 0.0) > fenced
    await rest.close()
    await js.delete_key_value(f"lease_{namespace}")
    await nc.close()
