"""The strategy process's health says when market data is degraded: its market socket
killed and refused for a while after a frame that is not JSON, ``/readyz`` answers 503
naming the market stream, then 200 again once it is back; candles kept closing (the gap
backfilled), one signal each."""

import asyncio
import itertools
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleet.stack import free_port
from fleet.stack.process import ManagedProcess
from fleet.strategy.settings import StrategySettings
from fleet.strategy.worker import StrategyWorker
from fleet.testing.bots import platform_store, start_bots

pytestmark = pytest.mark.integration


async def readiness(url: str) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        answer = await http.get("/readyz")
        return answer.status_code, dict(answer.json())


async def test_readyz_fails_while_the_market_stream_is_down_and_no_candle_is_lost(
    nats_url: str, namespace: str, bingx_sim: Any, tmp_path: Path
) -> None:
    nc, spec, store = await platform_store(nats_url, namespace)
    signals = await start_bots(store, "ETH-USDT", ["u1"])
    port = free_port()
    env = os.environ | {
        "FLEET_NATS_URL": nats_url,
        "FLEET_STREAM_NAME": spec.name,
        "FLEET_SUBJECT_PREFIX": spec.prefix,
        "FLEET_BINGX_BASE_URL": bingx_sim.url,
        "FLEET_HTTP_PORT": str(port),
        "FLEET_INSTANCE_ID": "health",
    }
    process = ManagedProcess(
        "strategy", [sys.executable, "-m", "fleet.strategy"], tmp_path / "strategy.log", env=env
    )
    process.start()
    url = f"http://127.0.0.1:{port}"
    statuses: list[tuple[float, int, str]] = []
    try:
        deadline = time.monotonic() + 30
        while len(await store.load(signals)) < 2:  # active, subscribed, candles closing
            assert time.monotonic() < deadline, "no signal"
            await asyncio.sleep(0.25)
        assert (await readiness(url))[0] == 200
        async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
            await http.post("/sim/faults", json={"garbage_frames": 1})
            await asyncio.sleep(0.5)
            await http.post("/sim/faults", json={"refuse_websockets_s": 6.0})
            await http.post("/sim/faults", json={"drop_websockets": True})
        outage = time.monotonic()
        while time.monotonic() - outage < 12:
            status, body = await readiness(url)
            statuses.append((time.monotonic() - outage, status, body["checks"]["market_stream"]))
            await asyncio.sleep(0.5)
        before = len(await store.load(signals))
        await asyncio.sleep(2.5)  # candles keep closing after the outage
        after = len(await store.load(signals))
    finally:
        process.stop()
    degraded = [(round(t, 1), why) for t, status, why in statuses if status == 503]
    print(
        f"503 answers {len(degraded)}/{len(statuses)}: first {degraded[:1]}, last {degraded[-1:]}"
    )
    assert degraded and all(why.startswith("market stream down") for _, why in degraded)
    assert statuses[-1][1] == 200 and after > before  # back, and closing candles again
    times = [int(e.data["candle_open_ms"]) for e in await store.load(signals)]
    assert len(set(times)) == len(times), "a signal was published twice"
    gaps = [(a, b) for a, b in itertools.pairwise(times) if b - a != 60_000]
    assert not gaps, f"candles skipped: {gaps}"
    await nc.close()


async def test_a_market_loop_that_fails_is_restarted_and_not_after_standing_by() -> None:
    worker = StrategyWorker(StrategySettings())
    worker.active = True
    calls: list[int] = []
    again = asyncio.Event()

    async def market_loop() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("a REST backfill failed")
        again.set()
        await asyncio.Event().wait()  # runs until cancelled

    supervised = worker._supervise("market stream", market_loop)
    await asyncio.wait_for(again.wait(), 10)  # after the first back-off
    assert calls == [0, 1]
    supervised.cancel()
    with pytest.raises(asyncio.CancelledError):
        await supervised

    async def fails() -> None:
        worker.active = False  # lost the lease meanwhile
        raise RuntimeError("stream closed")

    await asyncio.wait_for(worker._supervise("market stream", fails), 10)  # not restarted
