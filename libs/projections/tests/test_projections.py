"""Projection runner against real NATS JetStream and a real PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import nats
import pytest
from nats.aio.client import Client
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import insert

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, EventRegistry, wrap
from fleet.eventstore import AppendRejected, EventStore, StoredEvent
from fleet.projections import (
    PROJECTION_SCHEMA,
    CheckpointMoved,
    Projection,
    ProjectionFailed,
    ProjectionRunner,
    ProjectionTx,
)
from fleet.testing.deposits import Deposited, registry

pytestmark = pytest.mark.integration


@pytest.fixture
def event_registry() -> EventRegistry:
    """This module's own event types."""
    return registry


metadata = MetaData(schema=PROJECTION_SCHEMA)
ledger = Table(
    "ledger",
    metadata,
    Column("sequence", BigInteger, primary_key=True),
    Column("account", String, nullable=False),
    Column("amount", Integer, nullable=False),
)
balances = Table(
    "balances",
    metadata,
    Column("account", String, primary_key=True),
    Column("balance", Integer, nullable=False),
)


class Balances(Projection):
    name = "balances"
    metadata: ClassVar[MetaData] = metadata

    def __init__(self, fail_on: int | None = None) -> None:
        self.fail_on = fail_on

    def apply(self, tx: ProjectionTx, event: DomainEvent, envelope: Envelope) -> None:
        if not isinstance(event, Deposited):
            return
        if event.amount == self.fail_on:
            raise RuntimeError("injected fault")
        account = envelope.aggregate.id
        tx.insert(
            ledger, {"sequence": envelope.sequence, "account": account, "amount": event.amount}
        )
        upsert = insert(balances).values(account=account, balance=event.amount)
        tx.execute(
            upsert.on_conflict_do_update(
                index_elements=["account"], set_={"balance": balances.c.balance + event.amount}
            )
        )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


async def fill(event_store: EventStore, count: int) -> int:
    last = 0
    for n in range(1, count + 1):
        account = AggregateRef(type="acct", id=AggregateId(f"a{n % 7}"))
        stored = await event_store.append(account, [wrap(Deposited(amount=n), account)], None)
        last = stored[-1].sequence or last
    return last


def rows(engine: Engine, schema: str) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        return {
            "ledger": list(conn.execute(text(f'SELECT * FROM "{schema}".ledger ORDER BY 1'))),
            "balances": list(conn.execute(text(f'SELECT * FROM "{schema}".balances ORDER BY 1'))),
            "checkpoint": list(conn.execute(text(f'SELECT * FROM "{schema}"._checkpoint'))),
        }


async def test_live_run_applies_every_event_once(engine: Engine, event_store: EventStore) -> None:
    last = await fill(event_store, 120)
    runner = ProjectionRunner(engine, event_store, registry, Balances(), batch_size=50)
    assert await runner.run(until=last) == last
    assert await runner.run(until=last) == last  # running again applies nothing twice
    state = rows(engine, "rm_balances")
    assert len(state["ledger"]) == 120
    assert sum(balance for _, balance in state["balances"]) == sum(range(1, 121))


async def test_fault_mid_batch_keeps_state_before_that_event_then_resumes(
    engine: Engine, event_store: EventStore
) -> None:
    last = await fill(event_store, 100)
    faulty = ProjectionRunner(engine, event_store, registry, Balances(fail_on=57), batch_size=40)
    with pytest.raises(ProjectionFailed) as caught:
        await faulty.run(until=last)
    failed_at = caught.value.sequence
    assert failed_at is not None
    state = rows(engine, "rm_balances")
    assert state["checkpoint"][0][2] == failed_at - 1
    assert [row[2] for row in state["ledger"]] == list(range(1, 57))
    assert sum(balance for _, balance in state["balances"]) == sum(range(1, 57))
    healed = ProjectionRunner(engine, event_store, registry, Balances(), batch_size=40)
    await healed.run(until=last)
    resumed = rows(engine, "rm_balances")
    clean = ProjectionRunner(engine, event_store, registry, Balances(), batch_size=40)
    await clean.rebuild()
    assert rows(engine, "rm_balances") == resumed


@pytest.mark.parametrize("write_in_thread", [True, False], ids=["gateway", "rebuild command"])
async def test_rebuild_yields_identical_rows(
    engine: Engine, event_store: EventStore, write_in_thread: bool
) -> None:
    last = await fill(event_store, 300)
    runner = ProjectionRunner(engine, event_store, registry, Balances(), batch_size=1)
    await runner.run(until=last)
    live = rows(engine, "rm_balances")
    progress: list[int] = []
    rebuilding = ProjectionRunner(
        engine, event_store, registry, Balances(), batch_size=64, write_in_thread=write_in_thread
    )
    done = await rebuilding.rebuild(on_progress=lambda p: progress.append(p.done))
    assert done == last
    assert progress[-1] == last
    assert rows(engine, "rm_balances") == live


async def test_a_message_that_is_not_a_valid_event_is_quarantined_not_fatal(
    engine: Engine, event_store: EventStore, nats_url: str
) -> None:
    account = AggregateRef(type="acct", id=AggregateId("x"))
    await event_store.append(account, [wrap(Deposited(amount=1), account)], None)
    stranger = Envelope(type="test.from_the_future", schema_version=1, aggregate=account, data={})
    with pytest.raises(AppendRejected, match=r"unknown event type 'test\.from_the_future'"):
        await event_store.append(account, [stranger], None)  # Fleet's own code cannot write it
    # ... but a buggy or hostile writer can put anything on the subject, bypassing the store
    subject = event_store.subject(account)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        bad = [
            (await js.publish(subject, payload)).seq
            for payload in (b'{"forged": true}', stranger.to_wire(), b"\xff not json")
        ]
        moved = AggregateRef(type="acct", id=AggregateId("y"))  # names another aggregate
        bad.append((await js.publish(subject, wrap(Deposited(amount=5), moved).to_wire())).seq)
    finally:
        await nc.close()
    after = await event_store.append(account, [wrap(Deposited(amount=2), account)], None)
    runner = ProjectionRunner(engine, event_store, registry, Balances(), batch_size=2)
    assert await runner.run(until=after[-1].sequence) == after[-1].sequence
    state = rows(engine, "rm_balances")
    assert [row[-1] for row in state["ledger"]] == [1, 2]  # the valid events, and only them
    assert state["checkpoint"][0][2] == after[-1].sequence
    listed = await event_store.quarantine.list(event_store.spec.name)
    assert [item.sequence for item in listed] == bad
    assert "not a Fleet envelope" in listed[0].reason
    assert "unknown event type" in listed[1].reason
    assert "names aggregate" in listed[3].reason
    assert [e.data["amount"] for e in await event_store.load(account)] == [1, 2]


class BalancesV2(Balances):
    version = 2


async def test_processes_sharing_a_database_prepare_a_projection_one_at_a_time(
    database_url: str, event_store: EventStore
) -> None:
    # Gateway workers start together: each creates (then, after an upgrade, rebuilds) the
    # same schema. Without the advisory lock one CREATE SCHEMA fails as a duplicate.
    last = await fill(event_store, 60)
    engines = [create_engine(database_url) for _ in range(4)]
    try:
        for projection in (Balances(), BalancesV2()):
            runners = [
                ProjectionRunner(e, event_store, registry, projection, batch_size=7)
                for e in engines
            ]
            assert await asyncio.gather(*(r.run(until=last) for r in runners)) == [last] * 4
            state = rows(engines[0], "rm_balances")
            assert len(state["ledger"]) == 60
            assert state["checkpoint"][0][1:] == (projection.version, last)
        with engines[0].connect() as conn:  # every advisory lock was given back
            held = conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"))
            assert held.scalar_one() == 0
    finally:
        for e in engines:
            e.dispose()


class DepositsOnly(Balances):
    """The same tables, declaring the one type it uses."""

    def event_types(self) -> frozenset[str]:
        return frozenset({Deposited.event_type})


async def test_a_runner_decodes_and_screens_only_the_types_its_projection_uses(
    engine: Engine, event_store: EventStore, nats_url: str
) -> None:
    account = AggregateRef(type="acct", id=AggregateId("z"))
    await event_store.append(account, [wrap(Deposited(amount=1), account)], None)
    subject = event_store.subject(account)
    unused = Envelope(type="test.unused", schema_version=1, aggregate=account, data={})
    broken = Envelope(type=Deposited.event_type, schema_version=1, aggregate=account, data={})
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await js.publish(subject, unused.to_wire())  # another reader's business
        wrong = (await js.publish(subject, broken.to_wire())).seq  # used here: screened
    finally:
        await nc.close()
    after = await event_store.append(account, [wrap(Deposited(amount=2), account)], None)
    runner = ProjectionRunner(engine, event_store, registry, DepositsOnly(), batch_size=2)
    assert await runner.run(until=after[-1].sequence) == after[-1].sequence
    state = rows(engine, "rm_balances")
    assert [row[-1] for row in state["ledger"]] == [1, 2]
    assert state["checkpoint"][0][2] == after[-1].sequence
    listed = await event_store.quarantine.list(event_store.spec.name)
    assert [item.sequence for item in listed] == [wrong]  # the unused type was never read
    assert "validation error for Deposited" in listed[0].reason


async def test_a_batch_moves_the_checkpoint_only_from_where_it_stands(
    engine: Engine, event_store: EventStore
) -> None:
    """The checkpoint is locked, read and moved by one statement per batch: a batch of
    positions the projection does not use is that statement alone (no transaction); a
    batch that starts past the checkpoint (tables swapped in behind a follower) writes
    nothing and says where the checkpoint is; one already covered applies nothing."""
    last = await fill(event_store, 6)
    runner = ProjectionRunner(engine, event_store, registry, Balances())
    await runner.prepare()
    tables, schema = runner.tables, "rm_balances"
    stored = [item async for item in _first(event_store, last)]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]).split()[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert tables.apply(schema, [], through=2, start=1) == 2  # passed over: 1 statement
        assert statements == ["WITH"], statements
        with pytest.raises(CheckpointMoved) as moved:
            tables.apply(schema, stored[4:], through=last, start=5)  # 3..4 never applied
        assert moved.value.last_sequence == 2
        assert tables.apply(schema, stored[2:], through=last, start=3) == last
        statements.clear()
        assert tables.apply(schema, stored[:3], through=3, start=1) == last  # covered
        assert [s for s in statements if s not in {"WITH", "SELECT"}] == [], statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
    state = rows(engine, schema)
    assert [row.sequence for row in state["ledger"]] == [3, 4, 5, 6]  # 1 and 2 passed over
    assert state["checkpoint"][0].last_sequence == last


async def _first(event_store: EventStore, count: int) -> AsyncIterator[StoredEvent]:
    async for item in event_store.subscribe(from_sequence=1):
        yield item
        if item.envelope.sequence == count:
            return
