"""Append rate on a 3-node JetStream cluster (R3) beside one node (R1), same machine.

Both run the deployed NATS config (``fleet.stack.nats_config``) on loopback: R1 is the dev
overlay's single node, R3 the StatefulSet's three nodes (``fleet.stack.nats_cluster``).
Prints ``EventStore.append`` events/s for 1 and 16 concurrent writers on distinct
aggregates (expected-sequence check on).

Usage: ``.venv/bin/python bench/nats_cluster.py [--events N]`` (default 5,000).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import nats

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, EventRegistry
from fleet.eventstore import EventStore, StreamSpec, ensure_stream
from fleet.stack.nats_cluster import NatsCluster


class Noted(DomainEvent):
    """A bench-only event (appends are screened against a registry that must declare it)."""

    event_type = "bench.noted"
    i: int


REGISTRY = EventRegistry([Noted])


async def writer(store: EventStore, name: str, count: int) -> None:
    aggregate = AggregateRef(type="bench", id=AggregateId(name))
    version = 0
    for i in range(count):
        event = Envelope(type="bench.noted", schema_version=1, aggregate=aggregate, data={"i": i})
        stored = await store.append(aggregate, [event], version)
        version = stored[-1].sequence or version


async def append_rate(cluster: NatsCluster, replicas: int, events: int, writers: int) -> float:
    nc = await nats.connect(cluster.urls_for("admin"))
    spec = StreamSpec(name=f"BENCH_W{writers}", prefix=f"bench{writers}", replicas=replicas)
    await ensure_stream(nc.jetstream(), spec)
    store = EventStore(nc, spec, registry=REGISTRY)
    started = time.perf_counter()
    per_writer = events // writers
    await asyncio.gather(*(writer(store, f"w{w}", per_writer) for w in range(writers)))
    elapsed = time.perf_counter() - started
    await nc.close()
    return per_writer * writers / elapsed


async def measure(size: int, events: int) -> dict[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        cluster = NatsCluster(Path(tmp), size=size)
        try:
            cluster.start()
            return {w: await append_rate(cluster, size, events, w) for w in (1, 16)}
        finally:
            cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000)
    args = parser.parse_args()
    r1 = asyncio.run(measure(1, args.events))
    r3 = asyncio.run(measure(3, args.events))
    print(f"{args.events} appends (EventStore.append, expected-sequence check)")
    print(f"{'writers':>8} {'R1 events/s':>12} {'R3 events/s':>12} {'R3/R1':>6}")
    for writers in (1, 16):
        ratio = r3[writers] / r1[writers]
        print(f"{writers:>8} {r1[writers]:>12,.0f} {r3[writers]:>12,.0f} {ratio:>6.2f}")


if __name__ == "__main__":
    main()
