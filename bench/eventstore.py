"""Event-store benchmark: JetStream ceiling vs ``append`` vs projection rebuild.

Prints, in one run, for N events (default 100,000):
  * raw JetStream publish-with-ack rate (the ceiling), 1 and 16 concurrent publishers;
  * ``EventStore.append`` with the expected-sequence check, 1 and 16 concurrent writers on
    distinct aggregates;
  * reading the event stream: nats-py's raw ordered consumer (no decoding: the ceiling; as
    released, and with Fleet's header parser in it),
    ``EventStore`` replay (screened and decoded, a batch at a time as rebuilds read, and
    one event at a time) and a projection rebuild into PostgreSQL (as the rebuild command
    runs it, and writing on a worker thread as a serving gateway does), each also as a
    share of the raw read;
and the same append figures with nats-server ``sync_interval: always`` beside them. Issue
22's goals: rebuild >= 30,000 events/s, replay >= 60,000, append (16 writers) >= 15,000.

Usage: ``.venv/bin/python bench/eventstore.py [--events N]``. It starts its own
nats-server and PostgreSQL on free 127.0.0.1 ports and removes them afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import nats
import uvloop
from nats.aio.client import Client
from nats.aio.msg import Msg
from sqlalchemy import BigInteger, Column, MetaData, String, Table, create_engine

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, EventRegistry, wrap
from fleet.eventstore import EventStore, StreamSpec, ensure_stream, nats_headers
from fleet.eventstore.store import position_of
from fleet.obs import settle_collector
from fleet.projections import PROJECTION_SCHEMA, Projection, ProjectionRunner, ProjectionTx
from fleet.stack import NatsServer, PostgresServer


class OrderPlaced(DomainEvent):
    event_type = "bench.order_placed"
    symbol: str
    quantity: str


REGISTRY = EventRegistry([OrderPlaced])
APPEND_GOAL = 15_000  # with the server's default sync (every append waits for its fsync
# with sync_interval=always: printed beside it, a different machine's question)
METADATA = MetaData(schema=PROJECTION_SCHEMA)
ORDERS = Table(
    "orders",
    METADATA,
    Column("sequence", BigInteger, primary_key=True),
    Column("aggregate_id", String, nullable=False),
    Column("symbol", String, nullable=False),
    Column("quantity", String, nullable=False),
)


class OrdersProjection(Projection):
    name = "bench_orders"
    metadata: ClassVar[MetaData] = METADATA

    def event_types(self) -> frozenset[str]:
        return frozenset({OrderPlaced.event_type})

    def apply(self, tx: ProjectionTx, event: DomainEvent, envelope: Envelope) -> None:
        if isinstance(event, OrderPlaced):
            row = {
                "sequence": envelope.sequence,
                "aggregate_id": envelope.aggregate.id,
                "symbol": event.symbol,
                "quantity": event.quantity,
            }
            tx.insert(ORDERS, row)


@dataclass
class Figure:
    label: str
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def timed(label: str, events: int, work: Callable[[], Awaitable[object]]) -> Figure:
    started = time.perf_counter()
    await work()
    figure = Figure(label, events, time.perf_counter() - started)
    print(f"  {label:<58} {figure.rate:>10,.0f} events/s  ({events:,} in {figure.seconds:.2f} s)")
    return figure


def split(total: int, writers: int) -> list[int]:
    return [total // writers + (1 if i < total % writers else 0) for i in range(writers)]


async def raw_publish(url: str, prefix: str, total: int, writers: int, checked: bool) -> None:
    """nats-py ``js.publish`` of a ready payload; ``checked`` adds the same id and
    expected-sequence headers ``append`` sends (the issue's "raw appends" baseline)."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    payload = wrap(OrderPlaced(symbol="BTC-USDT", quantity="0.001"), ref(0)).to_wire()
    tag = "c" if checked else "r"

    async def one(writer: int, count: int) -> None:
        subject, last = f"{prefix}.raw{tag}{writers}.w{writer}", 0
        for _ in range(count):
            headers = None
            if checked:
                headers = {
                    "Nats-Msg-Id": uuid.uuid4().hex,
                    "Nats-Expected-Last-Subject-Sequence": str(last),
                }
            last = (await js.publish(subject, payload, headers=headers)).seq

    await asyncio.gather(*(one(w, n) for w, n in enumerate(split(total, writers))))
    await nc.close()


def ref(writer: int) -> AggregateRef:
    return AggregateRef(type="order", id=AggregateId(f"w{writer}"))


async def appends(store: EventStore, total: int, writers: int, offset: int) -> None:
    async def one(writer: int, count: int) -> None:
        aggregate = ref(offset + writer)
        version = await store.version(aggregate)
        for _ in range(count):
            event = wrap(OrderPlaced(symbol="BTC-USDT", quantity="0.001"), aggregate)
            stored = await store.append(aggregate, [event], expected_version=version)
            version = stored[-1].sequence or version

    await asyncio.gather(*(one(w, n) for w, n in enumerate(split(total, writers))))


async def append_figures(url: str, total: int, tag: str) -> tuple[StreamSpec, list[Figure]]:
    nc = await nats.connect(url)
    spec = StreamSpec(name=f"BENCH_{tag}", prefix=f"b{tag.lower()}")
    # the raw publishes go to a stream of their own: they are not events of an aggregate,
    # and the event stream is replayed below
    raw = StreamSpec(name=f"BENCHRAW_{tag}", prefix=f"r{tag.lower()}")
    await ensure_stream(nc.jetstream(), spec)
    await ensure_stream(nc.jetstream(), raw)
    store = EventStore(nc, spec, registry=REGISTRY)
    single = max(total // 5, 1000)
    runs = [
        (
            "raw js.publish, no headers, 1 publisher",
            single,
            lambda: raw_publish(url, raw.prefix, single, 1, False),
        ),
        (
            "raw js.publish, no headers, 16 publishers",
            total,
            lambda: raw_publish(url, raw.prefix, total, 16, False),
        ),
        (
            "raw js.publish + id/expected-seq, 1 publisher",
            single,
            lambda: raw_publish(url, raw.prefix, single, 1, True),
        ),
        (
            "raw js.publish + id/expected-seq, 16 publishers",
            total,
            lambda: raw_publish(url, raw.prefix, total, 16, True),
        ),
        ("EventStore.append (checked), 1 writer", single, lambda: appends(store, single, 1, 0)),
        ("EventStore.append (checked), 16 writers", total, lambda: appends(store, total, 16, 100)),
    ]
    figures = [await timed(f"{label} [{tag}]", count, work) for label, count, work in runs]
    await nc.close()
    return spec, figures


async def raw_read(nc: Client, spec: StreamSpec, total: int) -> None:
    """nats-py's ordered consumer, messages counted and not decoded: the ceiling."""
    done, seen = asyncio.Event(), [0]

    async def count(msg: Msg) -> None:
        seen[0] += 1
        if seen[0] == total:
            done.set()

    sub = await nc.jetstream().subscribe(
        f"{spec.prefix}.>", stream=spec.name, ordered_consumer=True, cb=count
    )
    await done.wait()
    await sub.unsubscribe()


async def replay(store: EventStore, total: int) -> None:
    """As rebuilds and catch-ups read: a pull's batch at a time, every event screened and
    decoded."""
    async with contextlib.aclosing(store.follow_batches(from_sequence=1)) as read:
        async for batch in read:
            if position_of(batch[-1]) == total:
                return


async def subscribed(store: EventStore, total: int) -> None:
    """The same one event at a time (``subscribe``, as live followers read)."""
    async with contextlib.aclosing(store.subscribe(from_sequence=1)) as read:
        async for stored in read:
            if stored.envelope.sequence == total:
                return


async def rebuild_figure(url: str, database_url: str, spec: StreamSpec) -> Figure:
    nc = await nats.connect(url)
    store = EventStore(nc, spec, registry=REGISTRY)
    total = await store.last_sequence()
    engine = create_engine(database_url)
    # as the rebuild command runs it (its own process: PostgreSQL written on its thread)
    runner = ProjectionRunner(
        engine, store, REGISTRY, OrdersProjection(), batch_size=2000, write_in_thread=False
    )
    in_thread = ProjectionRunner(engine, store, REGISTRY, OrdersProjection(), batch_size=2000)
    await runner.prepare()
    # the baseline reads with nats-py as released: its own header parser, which importing
    # fleet.eventstore replaces (fleet.eventstore.nats_headers)
    nats_headers.uninstall()
    try:
        raw = await timed(
            "raw nats-py ordered consumer, no decoding (baseline)",
            total,
            lambda: raw_read(nc, spec, total),
        )
    finally:
        nats_headers.install()
    await timed(
        "the same with Fleet's header parser in nats-py",
        total,
        lambda: raw_read(nc, spec, total),
    )
    played = await timed(
        "EventStore replay (screened and decoded, by batch)", total, lambda: replay(store, total)
    )
    await timed(
        "EventStore.subscribe (the same, one event at a time)",
        total,
        lambda: subscribed(store, total),
    )
    figure = await timed(
        "projection rebuild into PostgreSQL (rebuild command)", total, runner.rebuild
    )
    await timed(
        "the same, writing on a worker thread (a serving gateway)",
        total,
        in_thread.rebuild,
    )
    for what, got, goal in (("replay", played, 60_000), ("rebuild", figure, 30_000)):
        print(
            f"  -> {what}: {got.rate:,.0f} events/s = {got.rate / raw.rate:.0%} of the raw "
            f"read; goal >= {goal:,}: {'met' if got.rate >= goal else 'MISSED'}"
        )
    await nc.close()
    engine.dispose()
    return figure


async def main(events: int) -> None:
    # figures on a loaded machine are read as shares of the raw figures of the same run
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    # the garbage collector as every service and the rebuild command set it before work
    settle_collector()
    print("garbage collector: fleet.obs.settle_collector() (as in every service)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        postgres = PostgresServer(root / "pg")
        postgres.start()
        try:
            database_url = postgres.create_database("bench")
            for sync in ("default", "always"):
                nats_server = NatsServer(root / f"nats-{sync}", sync_interval=sync)
                nats_server.start()
                try:
                    print(f"\nnats-server sync_interval={sync}:")
                    spec, figures = await append_figures(nats_server.admin_url, events, sync)
                    raw_checked, ours = figures[3].rate, figures[5].rate
                    goal = (
                        f"goal >= {APPEND_GOAL:,}: {'met' if ours >= APPEND_GOAL else 'MISSED'}"
                        if sync == "default"
                        else "no goal: every write waits for the disk (the goal is for the default)"
                    )
                    print(
                        f"  -> append with 16 writers: {ours:,.0f} events/s = "
                        f"{ours / raw_checked:.0%} of raw checked publishes; {goal}"
                    )
                    if sync == "default":
                        await rebuild_figure(nats_server.admin_url, database_url, spec)
                finally:
                    nats_server.stop()
        finally:
            postgres.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    uvloop.run(main(parser.parse_args().events))
