"""Candles closed by the clock, against the simulator (strict, no final push) and NATS.

The simulator's pushes stop mid-candle (``silence_market_s``: the socket stays open, as on
a market nobody trades). The candle still closes at open + interval + grace by the
market's clock, with the values REST klines give, and so does the next one, never pushed;
a candle closed by a later push takes REST's values, not its last push's."""

import asyncio
import gzip
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import websockets

from fleet.bingx import BingxClient, Transport
from fleet.events.directory import Stream
from fleet.eventstore import EventStore
from fleet.strategy.domain.candles import Candle
from fleet.strategy.live import CLOSE_GRACE_MS, LiveStrategy

pytestmark = pytest.mark.integration
STREAM = ("BTC-USDT", "5m")
TOPIC = "BTC-USDT@kline_5m"
M5 = 300_000


@dataclass(frozen=True)
class MarketClock:
    """The simulator's market clock: it runs ``speed`` times faster than the wall clock
    (its ``/server/time`` tells the wall clock, which signatures are checked against)."""

    origin: float
    origin_ms: int
    speed: float

    def __call__(self) -> int:
        return self.at(time.monotonic())

    def at(self, monotonic_s: float) -> int:
        """The market's time when ``time.monotonic()`` was ``monotonic_s``."""
        return self.origin_ms + int((monotonic_s - self.origin) * self.speed * 1000)

    def seconds(self, market_ms: float) -> float:
        """Wall-clock seconds that ``market_ms`` of market time take."""
        return market_ms / self.speed / 1000


async def sim_clock(sim: Any) -> MarketClock:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        read = (await http.get("/sim/clock")).json()
    return MarketClock(time.monotonic(), int(read["now_ms"]), float(read["speed"]))


async def silence(sim: Any, seconds: float) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        await http.post("/sim/faults", json={"silence_market_s": seconds})


@dataclass
class Published:
    """Closed candles as the strategy published them, and when (monotonic seconds)."""

    candles: dict[int, Candle] = field(default_factory=dict)
    at: dict[int, float] = field(default_factory=dict)

    async def __call__(self, _stream: Stream, candle: Candle) -> None:
        self.candles[candle.open_ms] = candle
        self.at[candle.open_ms] = time.monotonic()


@pytest.fixture
async def rest(bingx_sim: Any) -> AsyncIterator[BingxClient]:
    client = BingxClient(Transport(bingx_sim.url, None))
    yield client
    await client.close()


async def rest_candle(rest: BingxClient, open_ms: int) -> Candle:
    [kline] = await rest.klines(*STREAM, start_ms=open_ms, limit=1)
    assert kline.open_time_ms == open_ms
    return Candle(
        open_ms,
        float(kline.open),
        float(kline.high),
        float(kline.low),
        float(kline.close),
        float(kline.volume),
    )


async def partly_pushed(live: LiveStrategy, clock: Callable[[], int]) -> int:
    """Wait until the forming candle has run 70-150 s of its 5 min (pushed, not complete);
    its open time."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        forming = live.tracked[STREAM].assembler.forming
        if forming is not None and 70_000 < clock() - forming.open_ms < 150_000:
            return forming.open_ms
        await asyncio.sleep(0.02)
    raise AssertionError("no candle seen mid-way")


async def until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.05)


async def test_a_candle_whose_pushes_stop_closes_by_the_clock_with_rest_values(
    event_store: EventStore, bingx_sim: Any, rest: BingxClient
) -> None:
    clock = await sim_clock(bingx_sim)
    published = Published()
    live = LiveStrategy(
        event_store,
        rest,
        bingx_sim.ws_url,
        publish_candle=published,
        market_clock=clock,
        clock_check_s=0.05,
    )
    runners = [asyncio.create_task(live.stream.run()), asyncio.create_task(live.close_by_clock())]
    await live.want({STREAM})
    first = await partly_pushed(live, clock)
    quiet_s = clock.seconds(12 * 60_000)  # this candle's end and the next's
    await silence(bingx_sim, quiet_s)
    silent_from = time.monotonic()
    await asyncio.sleep(0.4)  # a push already on its way arrives
    partial = live.tracked[STREAM].assembler.forming
    assert partial is not None and partial.open_ms == first
    # a candle is published before its signal is appended and the close is counted: wait
    # for the count, not only for the publication
    await until(lambda: first + M5 in published.candles and live.closed_by_clock >= 2, quiet_s)
    ended = silent_from + quiet_s
    for open_ms in (first, first + M5):
        due_at_market_ms = open_ms + M5 + CLOSE_GRACE_MS
        print(
            f"candle {open_ms}: closed {ended - published.at[open_ms]:.1f} s before pushes "
            f"resumed, {clock.at(published.at[open_ms]) - due_at_market_ms} market ms after due"
        )
        assert published.at[open_ms] < ended  # no push closed it: the clock did
        assert published.candles[open_ms] == await rest_candle(rest, open_ms)
    assert partial.volume < published.candles[first].volume  # the last push was not final
    assert live.stream.connected
    await live.stream.close()
    for runner in runners:
        runner.cancel()
    await asyncio.gather(*runners, return_exceptions=True)


async def test_a_candle_closed_by_a_later_push_takes_rest_values_not_its_last_push(
    event_store: EventStore, bingx_sim: Any, rest: BingxClient
) -> None:
    clock = await sim_clock(bingx_sim)
    published = Published()
    live = LiveStrategy(event_store, rest, bingx_sim.ws_url, publish_candle=published)
    runner = asyncio.create_task(live.stream.run())  # no clock closer: pushes close candles
    await live.want({STREAM})
    first = await partly_pushed(live, clock)
    # silent past this candle's end, until the next one is half over
    quiet_s = clock.seconds(first + M5 + M5 // 2 - clock())
    await silence(bingx_sim, quiet_s)
    await asyncio.sleep(0.4)
    partial = live.tracked[STREAM].assembler.forming
    assert partial is not None and partial.open_ms == first
    await until(lambda: first in published.candles, timeout=quiet_s + 3)
    forming = live.tracked[STREAM].assembler.forming
    assert forming is not None and forming.open_ms == first + M5  # a push closed it, no gap
    closed = published.candles[first]
    print(f"last push {partial}\nclosed    {closed}")
    assert closed == await rest_candle(rest, first) and closed != partial
    await live.stream.close()
    await asyncio.wait_for(runner, 5)


async def test_the_simulator_sends_no_final_push_of_a_closed_candle(bingx_sim: Any) -> None:
    clock = await sim_clock(bingx_sim)
    async with websockets.connect(bingx_sim.ws_url) as ws:
        await ws.send(json.dumps({"id": "1", "reqType": "sub", "dataType": TOPIC}))
        pushed: list[int] = []

        async def read(until_s: float) -> None:
            deadline = time.monotonic() + until_s
            while (left := deadline - time.monotonic()) > 0:
                try:
                    frame = await asyncio.wait_for(ws.recv(), left)
                except TimeoutError:
                    return
                assert isinstance(frame, bytes)
                text = gzip.decompress(frame).decode()
                if text == "Ping":
                    await ws.send("Pong")
                elif "data" in (message := json.loads(text)) and message["data"]:
                    pushed.append(int(message["data"][0]["T"]))

        while not pushed or not 70_000 < clock() - pushed[-1] < 150_000:
            await read(0.05)
        first = pushed[-1]
        quiet_s = clock.seconds(first + M5 + M5 // 2 - clock())
        await silence(bingx_sim, quiet_s)
        await read(0.4)
        before = len(pushed)
        await read(quiet_s + 0.5)
    after = pushed[before:]
    print(f"after the silence: {len(after)} pushes, first of candle {after[:1]} ({first = })")
    assert after and after[0] == first + M5  # nothing more of the closed candle
