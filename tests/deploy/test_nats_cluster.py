"""The deployed NATS config runs: three nats-server processes form one JetStream cluster
(routes and server names as the StatefulSet gives them), the domain stream with R3 keeps
every acknowledged event while a node and then the meta leader die and come back; the dev
overlay's one-node config reaches JetStream too."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.api import StreamInfo
from nats.js.errors import Error as JetStreamError

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, EventRegistry
from fleet.eventstore import EventStore, EventStoreError, StreamSpec, ensure_stream
from fleet.stack.nats_cluster import ClusterNode, NatsCluster

pytestmark = pytest.mark.integration
RETRYABLE = (NatsError, JetStreamError, EventStoreError, TimeoutError)


class Noted(DomainEvent):
    """A test-only event: appends are screened against a registry that must declare it."""

    event_type = "order.noted"
    i: int


REGISTRY = EventRegistry([Noted])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    nodes = NatsCluster(tmp_path, size=3)
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.stop()


async def append_until_acknowledged(store: EventStore, event: Envelope) -> None:
    """Append ``event``; while the cluster elects a leader, re-send the same event (its id
    makes the retry idempotent) until the cluster acknowledges it."""
    for _ in range(120):
        try:
            await store.append(event.aggregate, [event], None)
            return
        except RETRYABLE:
            await asyncio.sleep(0.25)
    raise AssertionError(f"event {event.id} never acknowledged")


async def append_batch(store: EventStore, label: str, count: int) -> list[Envelope]:
    acknowledged = []
    for i in range(count):
        aggregate = AggregateRef(type="account", id=AggregateId(f"{label}-{i % 7}"))
        event = Envelope(type="order.noted", schema_version=1, aggregate=aggregate, data={"i": i})
        await append_until_acknowledged(store, event)
        acknowledged.append(event)
    return acknowledged


async def stored_ids(nc: Client, spec: StreamSpec, events: list[Envelope]) -> set[str]:
    """The ids stored for ``events``' aggregates, once the cluster answers reads (a node
    just restarted may still be catching up: "service unavailable" meanwhile)."""
    store = EventStore(nc, spec, registry=REGISTRY)
    for _ in range(80):
        try:
            found: set[str] = set()
            for aggregate in {event.aggregate for event in events}:
                found |= {str(stored.id) for stored in await store.load(aggregate)}
            return found
        except RETRYABLE:
            await asyncio.sleep(0.25)
    raise AssertionError("the cluster never answered the reads")


async def create_stream(nc: Client, spec: StreamSpec) -> StreamInfo:
    """The stream, once the new cluster's meta group answers (it may still be settling)."""
    for _ in range(40):
        try:
            return await ensure_stream(nc.jetstream(), spec)
        except RETRYABLE:
            await asyncio.sleep(0.25)
    raise AssertionError("the cluster never created the stream")


def restart(cluster: NatsCluster, node: ClusterNode) -> None:
    node.process.start()
    cluster.wait_healthy(node)


async def test_three_nodes_from_the_deployed_config_keep_every_acknowledged_event(
    cluster: NatsCluster,
) -> None:
    admin = await nats.connect(cluster.urls_for("admin"), max_reconnect_attempts=-1)
    spec = StreamSpec(name="FLEET_EVENTS", prefix="ev", replicas=3)
    info = await create_stream(admin, spec)
    assert info.config.num_replicas == 3
    executor = await nats.connect(
        **cluster.connect_options("executor"), max_reconnect_attempts=-1, reconnect_time_wait=0.2
    )
    store = EventStore(executor, spec, registry=REGISTRY)
    acknowledged = await append_batch(store, "before", 50)

    follower = next(n for n in cluster.nodes if n is not cluster.meta_leader())
    follower.process.kill()
    acknowledged += await append_batch(store, "one-down", 50)
    restart(cluster, follower)

    leader = cluster.meta_leader()
    leader.process.kill()
    started = time.monotonic()
    acknowledged += await append_batch(store, "leader-down", 50)
    print(f"\n50 appends across a meta-leader loss: {time.monotonic() - started:.1f} s")
    restart(cluster, leader)

    assert await stored_ids(admin, spec, acknowledged) == {str(e.id) for e in acknowledged}
    state = (await admin.jetstream().stream_info(spec.name)).state
    assert state.messages == len(acknowledged)  # no event stored twice either
    for node in cluster.nodes:  # every node back and current (raises after 60 s if not)
        cluster.wait_healthy(node)
    await executor.close()
    await admin.close()


async def test_the_dev_overlays_single_node_reaches_jetstream(tmp_path: Path) -> None:
    single = NatsCluster(tmp_path, size=1)
    try:
        single.start()
        node = single.nodes[0]
        assert node.healthz("?js-enabled-only=true") == 200
        admin = await nats.connect(single.urls_for("admin"))
        info = await ensure_stream(admin.jetstream(), StreamSpec(name="FLEET_EVENTS"))
        assert info.config.num_replicas == 1
        await admin.close()
    finally:
        single.stop()
