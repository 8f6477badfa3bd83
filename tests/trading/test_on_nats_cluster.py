"""The trading stack on a real NATS cluster: three nats-server processes form one JetStream
cluster on loopback from the deployed config (``fleet.stack.nats_cluster``, the text the
StatefulSet's ConfigMap holds), the domain stream and buckets are R3, the vault service and
the executor reach the cluster through every node's address, and 20 traders trade while
one node and later the meta leader are killed and restarted.

Checked: every event the cluster acknowledged is still in the log, once; no clientOrderID
twice on the simulator and every order there is an accepted one in the log; the gateway's
read models fed live through the failures equal the same read models rebuilt from the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import nats
import pytest
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import Error as JetStreamError
from sqlalchemy import Engine, create_engine, text

from fleet.events.trading import OrderAccepted, OrderRejected, SignalEvaluated
from fleet.eventstore import EventStore, EventStoreError, StreamSpec
from fleet.eventstore.store import StoredEvent
from fleet.eventstore.stream import ensure_platform
from fleet.gateway.read_models import ALL
from fleet.projections.catalog import ProjectionSpec
from fleet.projections.runner import ProjectionRunner
from fleet.projections.tables import ProjectionTables
from fleet.stack import OpenBaoServer, SimulatorServer
from fleet.stack.nats_cluster import ClusterNode, NatsCluster

from .conftest import TraderKeys, Trading, eventually, intents_in, running_path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

TRADERS = 20
RETRYABLE = (NatsError, JetStreamError, EventStoreError, TimeoutError)
T = TypeVar("T")


async def retried(job: Callable[[], Awaitable[T]], what: str, tries: int = 120) -> T:
    """``job()`` once the cluster answers (it may be electing a leader meanwhile)."""
    for _ in range(tries):
        try:
            return await job()
        except RETRYABLE:
            await asyncio.sleep(0.25)
    raise AssertionError(f"the cluster never answered: {what}")


async def every_stream_led(js: JetStreamContext) -> None:
    """Wait until every stream of the cluster (the log and each KV bucket) has a leader:
    a fresh R3 asset answers "unavailable" while it elects one, slowly on a busy machine."""
    for _ in range(240):
        infos = await retried(js.streams_info, "list the streams")
        if all(i.cluster is not None and i.cluster.leader for i in infos):
            return
        await asyncio.sleep(0.25)
    raise AssertionError("a stream of the cluster never elected a leader")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsCluster]:
    nodes = NatsCluster(tmp_path_factory.mktemp("nats-cluster"), size=3)
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.stop()


@pytest.fixture(scope="module")
async def on_cluster(
    cluster: NatsCluster,
    openbao_server: OpenBaoServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Trading]:
    """The trading path (simulator, vault service, executor) on the cluster, R3 stream."""
    log_dir = tmp_path_factory.mktemp("trading-cluster")
    sim = SimulatorServer(log_dir, speed=1.0)
    sim.start()
    nc = await nats.connect(
        cluster.urls_for("admin"), max_reconnect_attempts=-1, reconnect_time_wait=0.2
    )
    spec = StreamSpec(replicas=3)
    await retried(lambda: ensure_platform(nc.jetstream(), spec), "create the stream")
    info = await nc.jetstream().stream_info(spec.name)
    assert info.config.num_replicas == 3
    await every_stream_led(nc.jetstream())  # the KV buckets too: R3 assets elect leaders
    base = {"FLEET_BINGX_BASE_URL": sim.url, "FLEET_LOG_FORMAT": "json"}
    vault_extra = cluster.env_for("vault") | {
        "FLEET_CONNECT_PLATFORM_PER_MINUTE": "600000",
        "FLEET_CONNECT_PLATFORM_BURST": "100000",
    }
    executor_extra = cluster.env_for("executor")
    async with running_path(
        nc,
        spec,
        sim,
        openbao_server,
        log_dir,
        base,
        vault_extra=vault_extra,
        executor_extra=executor_extra,
    ) as handle:
        yield handle


class LogWatcher:
    """Reads the log as it grows, through the failures: every event the cluster stored
    (so acknowledged), by id."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.seen: dict[str, int] = {}

    async def run(self) -> None:
        position = 1
        while True:
            try:
                async for item in self.store.follow(from_sequence=position):
                    if isinstance(item, StoredEvent):
                        self.seen[str(item.envelope.id)] = item.envelope.sequence or 0
                        position = (item.envelope.sequence or 0) + 1
                    else:
                        position = item.quarantined.sequence + 1
            except RETRYABLE:
                await asyncio.sleep(0.25)  # resume where it was once the cluster answers


async def live_read_models(engine: Engine, store: EventStore, specs: list[ProjectionSpec]) -> None:
    """The gateway's read models fed live, retried from their checkpoint on a failure."""

    async def one(spec: ProjectionSpec) -> None:
        runner = ProjectionRunner(engine, store, spec.registry, spec.projection)
        while True:
            try:
                await runner.run()
            except RETRYABLE:
                await asyncio.sleep(0.25)

    await asyncio.gather(*(one(spec) for spec in specs))


def snapshot(engine: Engine, schema: str) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table of ``schema``, as sorted text tuples."""
    with engine.connect() as connection:
        tables = connection.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": schema},
        ).scalars()
        found = {}
        for table in tables:
            rows = connection.execute(text(f'SELECT * FROM "{schema}"."{table}"'))
            found[table] = sorted(tuple(str(v) for v in row) for row in rows)
        return found


def checkpoint(engine: Engine, spec: ProjectionSpec) -> int:
    """The last sequence ``spec``'s live schema applied (0 before it exists)."""
    found = ProjectionTables(engine, spec.projection).checkpoint(spec.projection.schema)
    return found[1] if found else 0


async def settled(trading: Trading, traders: list[TraderKeys], signals: list[str]) -> bool:
    """Every trader decided every signal and every order intended has its outcome."""
    for keys in traders:
        events = await retried(partial(trading.events, "account", keys.user_id), "read")
        decided = {e.signal_id for e in events if isinstance(e, SignalEvaluated)}
        intended = {i.client_order_id for i in intents_in(events)}
        done = {e.client_order_id for e in events if isinstance(e, OrderAccepted | OrderRejected)}
        if not set(signals) <= decided or intended - done:
            return False
    return True


def restart(cluster: NatsCluster, node: ClusterNode) -> None:
    node.process.start()
    cluster.wait_healthy(node)


async def test_twenty_traders_keep_trading_through_a_node_and_a_meta_leader_loss(
    on_cluster: Trading, cluster: NatsCluster, postgres_server: Any, namespace: str
) -> None:
    trading = on_cluster
    live_db = create_engine(postgres_server.create_database(f"{namespace}_live"))
    rebuilt_db = create_engine(postgres_server.create_database(f"{namespace}_rebuilt"))
    specs = [make() for make in ALL]
    watcher = LogWatcher(trading.store)
    background = [
        asyncio.create_task(watcher.run()),
        asyncio.create_task(live_read_models(live_db, trading.store, specs)),
    ]
    started = time.monotonic()
    try:
        traders = list(await asyncio.gather(*(trading.trader() for _ in range(TRADERS))))
        print(f"\n{TRADERS} traders connected and running in {time.monotonic() - started:.1f} s")

        async def signal(cross: str) -> str:
            return await retried(lambda: trading.signal("BTC-USDT", cross), "append a signal")  # type: ignore[arg-type]

        async def traded() -> None:
            await eventually(lambda: settled(trading, traders, signals), timeout=60, every=1)

        signals = [await signal("up")]
        await asyncio.sleep(0.3)  # mid-flow: orders of the first signal are on their way
        follower = next(n for n in cluster.nodes if n is not cluster.meta_leader())
        follower.process.kill()
        signals.append(await signal("down"))
        await traded()  # with a node down, before it comes back: the services moved over
        await asyncio.to_thread(restart, cluster, follower)
        signals.append(await signal("up"))
        await asyncio.sleep(0.3)
        leader = cluster.meta_leader()
        leader.process.kill()
        signals.append(await signal("down"))
        await traded()  # with the meta leader down
        await asyncio.to_thread(restart, cluster, leader)
        signals.append(await signal("up"))
        await traded()
        print(
            f"{len(signals)} signals traded, failures and all: {time.monotonic() - started:.0f} s"
        )

        # the log is quiet from here on: the services stop, the readers catch up
        await asyncio.to_thread(trading.stop_all)
        await asyncio.to_thread(trading.vault.stop)
        last = await retried(trading.store.last_sequence, "last sequence")

        async def caught_up() -> bool:
            marks = [await asyncio.to_thread(checkpoint, live_db, s) for s in specs]
            return min(marks) >= last and max(watcher.seen.values(), default=0) >= last

        await eventually(caught_up, timeout=30, every=0.5)
    finally:
        for task in background:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait(background, timeout=5)

    # no acknowledged event lost, none stored twice
    everything = await retried(lambda: read_all(trading.store, last), "read the log")
    ids = Counter(everything)
    assert not [i for i, n in ids.items() if n > 1], "an event is stored twice"
    assert set(watcher.seen) <= set(ids), "an acknowledged event is gone"
    assert set(signals) <= set(ids)

    # no duplicate order on the simulator; every order there is an accepted one
    orders_placed = 0
    for keys in traders:
        state = await trading.account_state(keys)
        orders = [o for o in state["orders"] if str(o.get("clientOrderId", "")).startswith("fl")]
        counts = Counter(o["clientOrderId"] for o in orders)
        assert not counts or max(counts.values()) == 1, f"duplicated: {counts.most_common(3)}"
        events = await trading.events("account", keys.user_id)
        accepted = {e.client_order_id for e in events if isinstance(e, OrderAccepted)}
        assert set(counts) == accepted, "BingX's orders and the accepted ones differ"
        orders_placed += len(orders)
    assert orders_placed >= TRADERS * len(signals) // 2, "the flow did not run"

    # read models fed live through the failures equal the ones rebuilt from the log
    for spec in specs:
        runner = ProjectionRunner(rebuilt_db, trading.store, spec.registry, spec.projection)
        await retried(runner.rebuild, f"rebuild {spec.projection.name}")
        live = await asyncio.to_thread(snapshot, live_db, spec.projection.schema)
        rebuilt = await asyncio.to_thread(snapshot, rebuilt_db, spec.projection.schema)
        assert live == rebuilt, f"{spec.projection.name}: live and rebuilt differ"
        rows = sum(len(found) for table, found in live.items() if table != "checkpoint")
        empty_here = ("audit", "notifications")  # no admin action, no notify service
        assert rows or spec.projection.name in empty_here, f"{spec.projection.name} is empty"
    live_db.dispose()
    rebuilt_db.dispose()

    # what the services logged through the failures (nats-py's reconnects, retried
    # appends with their tracebacks) is JSON, line by line
    for process in (trading.executor, trading.vault):
        for line in process.log().splitlines():
            assert isinstance(json.loads(line), dict), f"{process.name}: {line!r}"
    print(f"{len(ids)} events, {orders_placed} orders: {time.monotonic() - started:.1f} s")


async def read_all(store: EventStore, last: int) -> list[str]:
    """The id of every event from sequence 1 to ``last``."""
    found: list[str] = []
    reader = store.follow(from_sequence=1)
    async with contextlib.aclosing(reader):
        async for item in reader:
            if isinstance(item, StoredEvent):
                found.append(str(item.envelope.id))
                sequence = item.envelope.sequence or 0
            else:
                sequence = item.quarantined.sequence
            if sequence >= last:
                break
    return found
