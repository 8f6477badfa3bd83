"""kill -9 the active strategy during a stream: the standby continues, and the signal
sequence has no gap and no duplicate (deterministic ids + idempotent append + backfill)."""

import asyncio
import itertools
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleet.bus.lease import LEASE_BUCKET
from fleet.events import AggregateRef
from fleet.eventstore import EventStore, StreamSpec
from fleet.stack import free_port
from fleet.stack.process import ManagedProcess
from fleet.testing.bots import platform_store, start_bots

pytestmark = pytest.mark.integration


def strategy(name: str, nats_url: str, spec: StreamSpec, sim: Any, logs: Path) -> ManagedProcess:
    env = os.environ | {
        "FLEET_NATS_URL": nats_url,
        "FLEET_STREAM_NAME": spec.name,
        "FLEET_SUBJECT_PREFIX": spec.prefix,
        "FLEET_BINGX_BASE_URL": sim.url,
        "FLEET_HTTP_PORT": str(free_port()),
        "FLEET_INSTANCE_ID": name,
    }
    process = ManagedProcess(
        name, [sys.executable, "-m", "fleet.strategy"], logs / f"{name}.log", env=env
    )
    process.start()
    return process


async def test_standby_takes_over_without_gap_or_duplicate(
    nats_url: str, namespace: str, bingx_sim: Any, tmp_path: Path
) -> None:
    nc, spec, store = await platform_store(nats_url, namespace)
    five = [f"u{user}" for user in range(5)]  # five bots on the same symbol and timeframe
    signals = await start_bots(store, "BTC-USDT", five)
    processes = {name: strategy(name, nats_url, spec, bingx_sim, tmp_path) for name in ("a", "b")}
    kv = await nc.jetstream().key_value(LEASE_BUCKET)
    try:
        await _until(lambda: _count(store, signals), 4)
        async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
            open_topics = (await http.get("/sim/subscriptions")).json()
        assert open_topics == {"BTC-USDT@kline_1m": 1}  # one subscription for all five bots
        active = (await kv.get("strategy")).value.decode()  # type: ignore[union-attr]
        before = len(await store.load(signals))
        processes[active].kill()
        standby = "b" if active == "a" else "a"
        await _until(lambda: _count(store, signals), before + 5, timeout=30)
        assert (await kv.get("strategy")).value.decode() == standby  # type: ignore[union-attr]
    finally:
        for process in processes.values():
            process.stop()
    times = [int(e.data["candle_open_ms"]) for e in await store.load(signals)]
    assert len(set(times)) == len(times), "a signal was published twice"
    market = await nc.jetstream().stream_info("FLEET_MARKET")
    assert market.config.max_age and market.state.messages > 0  # candles: own stream, retention
    last_candle = await nc.jetstream().get_last_msg("FLEET_MARKET", "md.candle.BTC-USDT.1m")
    assert last_candle.data and b"open_ms" in last_candle.data
    gaps = [(a, b) for a, b in itertools.pairwise(times) if b - a != 60_000]
    assert not gaps, f"candles skipped: {gaps} in {times}"
    await nc.close()


async def _count(store: EventStore, aggregate: AggregateRef) -> int:
    return len(await store.load(aggregate))


async def _until(count: Any, at_least: int, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while await count() < at_least:
        assert asyncio.get_running_loop().time() < deadline, f"fewer than {at_least} signals"
        await asyncio.sleep(0.25)
