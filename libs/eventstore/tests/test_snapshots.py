"""Snapshots: a snapshot and the tail after it fold to the same state as the whole history;
a snapshot that cannot be trusted is ignored and the aggregate replayed (unit tests: an
in-memory log stands in for JetStream)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, EventRegistry, wrap
from fleet.eventstore import Aggregate, EventStore, Repository
from fleet.eventstore.snapshots import MemorySnapshots, Snapshot, snapshot_key
from fleet.eventstore.store import StoredEvent
from fleet.testing.deposits import Deposited, registry


class Ledger(Aggregate):
    """A balance and the last few amounts: state that depends on the order of events."""

    aggregate_type = "ledger"
    snapshot_schema = 1

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.balance = 0
        self.recent: list[int] = []
        self.applied = 0

    def deposit(self, amount: int) -> None:
        self.record(Deposited(amount=amount))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, Deposited):
            self.balance = self.balance * 3 % 1_000_003 + event.amount
            self.recent = [*self.recent, event.amount][-3:]
            self.applied += 1

    def snapshot_state(self) -> Any:
        return {"balance": self.balance, "recent": self.recent, "applied": self.applied}

    def restore_state(self, state: Any) -> None:
        self.balance = int(state["balance"])
        self.recent = [int(n) for n in state["recent"]]
        self.applied = int(state["applied"])


class MemoryLog:
    """The two calls the repository makes, over a list (sequence = position + 1)."""

    def __init__(self, registry: EventRegistry) -> None:
        self.registry = registry
        self.events: list[Envelope] = []
        self.read_after: list[int] = []

    async def load_stored(
        self, aggregate: AggregateRef, *, after: int = 0
    ) -> tuple[list[StoredEvent], int]:
        self.read_after.append(after)
        mine = [e for e in self.events if e.aggregate == aggregate]
        last = mine[-1].sequence or 0 if mine else 0
        tail = [e for e in mine if (e.sequence or 0) > after]
        return [StoredEvent(e, self.registry.decode(e), 0) for e in tail], last

    async def append(
        self, aggregate: AggregateRef, envelopes: Sequence[Envelope], expected: int | None
    ) -> list[Envelope]:
        stored = [e.with_sequence(len(self.events) + 1 + i) for i, e in enumerate(envelopes)]
        self.events.extend(stored)
        return stored


def repository(
    log: MemoryLog, snapshots: MemorySnapshots | None, every: int = 10
) -> Repository[Ledger]:
    store = cast(EventStore, log)
    return Repository(store, registry, Ledger, snapshots=snapshots, snapshot_every=every)


LEDGER = AggregateId("l1")
REF = AggregateRef(type="ledger", id=LEDGER)


async def history(log: MemoryLog, amounts: Sequence[int]) -> None:
    for amount in amounts:
        log.events.append(wrap(Deposited(amount=amount), REF).with_sequence(len(log.events) + 1))


def state(ledger: Ledger) -> tuple[int, list[int], int, int]:
    return ledger.balance, ledger.recent, ledger.applied, ledger.version


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(st.integers(min_value=-1000, max_value=1000), min_size=1, max_size=40),
    cut=st.integers(min_value=1, max_value=40),
)
def test_a_snapshot_and_its_tail_fold_to_the_state_of_the_whole_history(
    amounts: list[int], cut: int
) -> None:
    async def run() -> None:
        cut_at = min(cut, len(amounts))
        log, snapshots = MemoryLog(registry), MemorySnapshots()
        await history(log, amounts[:cut_at])
        head = await repository(log, snapshots).load(LEDGER)
        await repository(log, snapshots).snapshot(head)
        await history(log, amounts[cut_at:])
        replayed = await repository(log, None).load(LEDGER)
        resumed = await repository(log, snapshots).load(LEDGER)
        assert state(resumed) == state(replayed)
        assert log.read_after[-1] == cut_at  # only the tail was read

    asyncio.run(run())


async def test_a_snapshot_is_written_every_n_events_and_the_next_load_reads_only_the_tail() -> None:
    log, snapshots = MemoryLog(registry), MemorySnapshots()
    repo = repository(log, snapshots, every=3)
    for amount in range(1, 8):
        await repo.execute(LEDGER, lambda ledger, n=amount: ledger.deposit(n))  # type: ignore[misc]
    written = Snapshot.from_bytes(snapshots.saved[snapshot_key(REF)])
    assert written is not None and written.version == 6 and written.schema == 1
    loaded = await repo.load(LEDGER)
    assert log.read_after[-1] == 6 and loaded.applied == 7 and loaded.version == 7
    assert loaded.unsnapshotted == 1


async def test_an_aggregate_without_a_snapshot_schema_is_never_snapshotted() -> None:
    class Plain(Ledger):
        snapshot_schema = 0

    log, snapshots = MemoryLog(registry), MemorySnapshots()
    repo = Repository(cast(EventStore, log), registry, Plain, snapshots=snapshots, snapshot_every=1)
    await repo.execute(LEDGER, lambda ledger: ledger.deposit(5))
    assert snapshots.saved == {}


def _forged(**changes: Any) -> bytes:
    raw = {"type": "ledger", "id": "l1", "schema": 1, "version": 2}
    raw |= {"state": {"balance": 999, "recent": [9], "applied": 99}} | changes
    return json.dumps(raw).encode()


@pytest.mark.parametrize(
    "snapshot",
    [
        pytest.param(_forged(schema=2), id="unknown schema"),
        pytest.param(_forged(version=50), id="ahead of the log"),
        pytest.param(_forged(id="l2"), id="another aggregate"),
        pytest.param(_forged(state={"balance": "x"}), id="state that does not restore"),
        pytest.param(b'{"type": "ledger", "id": "l1", "sch', id="cut short"),
        pytest.param(b"\x00\xff", id="not json"),
    ],
)
async def test_a_snapshot_that_cannot_be_trusted_is_ignored_and_the_history_replayed(
    snapshot: bytes,
) -> None:
    log, snapshots = MemoryLog(registry), MemorySnapshots()
    await history(log, [1, 2, 3, 4])
    snapshots.saved[snapshot_key(REF)] = snapshot
    loaded = await repository(log, snapshots).load(LEDGER)
    replayed = await repository(log, None).load(LEDGER)
    assert state(loaded) == state(replayed)
    assert loaded.applied == 4 and log.read_after[-2] == 0


async def test_a_failing_snapshot_store_never_fails_a_save() -> None:
    class Broken(MemorySnapshots):
        async def put(self, ref: AggregateRef, data: bytes) -> None:
            raise ConnectionError("bucket unavailable")

    log = MemoryLog(registry)
    repo = Repository(cast(EventStore, log), registry, Ledger, snapshots=Broken(), snapshot_every=1)
    stored = await repo.execute(LEDGER, lambda ledger: ledger.deposit(5))
    assert len(stored) == 1 and len(log.events) == 1
