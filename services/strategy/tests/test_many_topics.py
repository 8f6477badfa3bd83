"""More than 200 (symbol, timeframe) streams: BingX refuses a 201st topic on one market
connection (80403), so the strategy opens another socket; against a strict simulator
listing 19 symbols, every topic is subscribed once and none is refused."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleet.bingx import BingxClient, Transport
from fleet.events.timeframes import TIMEFRAMES
from fleet.eventstore import EventStore
from fleet.stack import SimulatorServer
from fleet.strategy.live import TOPICS_PER_SOCKET, LiveStrategy

pytestmark = pytest.mark.integration
SYMBOLS = [f"T{n:02d}-USDT" for n in range(19)]  # 19 x 11 timeframes = 209 topics


@pytest.fixture(scope="module")
def many_symbols_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorServer]:
    sim = SimulatorServer(
        Path(tmp_path_factory.mktemp("sim-many")),
        speed=1.0,  # no candle closes during the test: only subscriptions are looked at
        extra=["--symbols", ",".join(SYMBOLS), "--no-rate-limits"],
    )
    sim.start()
    yield sim
    sim.stop()


async def test_more_than_200_streams_take_a_second_socket(
    event_store: EventStore, many_symbols_sim: SimulatorServer
) -> None:
    sim: Any = many_symbols_sim
    rest = BingxClient(Transport(sim.url, None))
    live = LiveStrategy(event_store, rest, sim.ws_url)
    wanted: set[tuple[str, str]] = {
        (symbol, timeframe) for symbol in SYMBOLS for timeframe in TIMEFRAMES
    }
    runner = asyncio.create_task(live.run_streams())
    await live.want(wanted)
    deadline = time.monotonic() + 60  # subscribes are paced at 9/s
    async with httpx.AsyncClient(base_url=sim.url) as http:
        while True:
            subscribed = (await http.get("/sim/subscriptions")).json()
            settled = all(s.connected and not s.unacknowledged for s in live.streams)
            if settled and len(subscribed) == len(wanted):
                break
            assert time.monotonic() < deadline, (len(subscribed), [s.refused for s in live.streams])
            await asyncio.sleep(0.25)
        sockets = (await http.get("/sim/websockets")).json()
    print(
        f"{len(wanted)} streams: sockets {[len(s.topics) for s in live.streams]}, "
        f"refused {[s.refused for s in live.streams]}, open at the simulator "
        f"{sockets['open_by_address']}"
    )
    assert [len(s.topics) for s in live.streams] == [TOPICS_PER_SOCKET, len(wanted) - 200]
    assert all(s.refused == {} for s in live.streams)
    assert len(subscribed) == len(wanted) and set(subscribed.values()) == {1}
    assert sockets["open_by_address"] == {"127.0.0.1": 2}
    await live.close_streams()
    await asyncio.wait_for(runner, 5)
    await rest.close()
