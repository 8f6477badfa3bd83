"""A partition takeover loads many accounts in one scan of ``ev.account.*``: with snapshots
each account starts from its own and the scan from the oldest, and every account ends in
the state the whole history folds to (an in-memory log stands in for JetStream)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import pytest

from fleet.events import AggregateId, AggregateRef, Envelope, wrap
from fleet.events.catalog import domain_registry
from fleet.events.trading import FundingPaid, SignalEvaluated
from fleet.eventstore import EventStore, Repository
from fleet.eventstore.snapshots import MemorySnapshots
from fleet.eventstore.store import StoredEvent
from fleet.executor.domain.account import TradingAccount
from fleet.executor.ownership import BULK_LOAD, Ownership

pytestmark = pytest.mark.unit
REGISTRY = domain_registry()
USERS = [f"u{n}" for n in range(BULK_LOAD + 4)]
AT = datetime(2026, 1, 5, tzinfo=UTC)


class ScannedLog:
    """What the bulk load asks of the store: the last sequence and one subject scan."""

    def __init__(self) -> None:
        self.spec = SimpleNamespace(prefix="ev")
        self.registry = REGISTRY
        self.events: list[Envelope] = []
        self.scanned_from: list[int] = []

    def add(self, user_id: str, n: int) -> None:
        ref = AggregateRef(type="account", id=AggregateId(user_id))
        event = (
            FundingPaid(funding_id=f"f{n}", amount=Decimal(n), paid_at=AT, reported_by="query")
            if n % 2
            else SignalEvaluated(
                signal_id=f"s{n}",
                symbol="BTC-USDT",
                decision="skip",
                code="no_cross",
                reason="no order",
                numbers={},
            )
        )
        self.events.append(wrap(event, ref).with_sequence(len(self.events) + 1))

    async def last_sequence_of(self, subject: str) -> int:
        return len(self.events)

    async def subscribe(
        self, *, subject: str, from_sequence: int = 1
    ) -> AsyncIterator[StoredEvent]:
        self.scanned_from.append(from_sequence)
        for envelope in self.events[from_sequence - 1 :]:
            yield StoredEvent(envelope, REGISTRY.decode(envelope), 0)

    async def load_stored(
        self, aggregate: AggregateRef, *, after: int = 0
    ) -> tuple[list[StoredEvent], int]:
        mine = [e for e in self.events if e.aggregate == aggregate]
        tail = [StoredEvent(e, REGISTRY.decode(e), 0) for e in mine if (e.sequence or 0) > after]
        return tail, mine[-1].sequence or 0 if mine else 0


def ownership(log: ScannedLog, snapshots: MemorySnapshots | None) -> Ownership:
    store = cast(EventStore, log)
    accounts = Repository(store, REGISTRY, TradingAccount, snapshots=snapshots)
    return Ownership(
        directory=cast(Any, None),
        factory=cast(Any, SimpleNamespace(accounts=accounts)),
        execution=cast(Any, None),
        store=store,
        partitions=1,
    )


@pytest.mark.parametrize("snapshotted", [0, 7, len(USERS)])
async def test_a_takeover_from_snapshots_folds_every_account_to_its_whole_history(
    snapshotted: int,
) -> None:
    log, snapshots = ScannedLog(), MemorySnapshots()
    for n in range(200):
        log.add(USERS[n * 7 % len(USERS)], n)
    repository = Repository(cast(EventStore, log), REGISTRY, TradingAccount, snapshots=snapshots)
    for user_id in USERS[:snapshotted]:  # a snapshot of each of these at this point
        await repository.snapshot(await repository.load(AggregateId(user_id)))
    snapshot_versions = [
        (await repository.restored(AggregateId(u))).version for u in USERS[:snapshotted]
    ]
    for n in range(200, 300):
        log.add(USERS[n * 3 % len(USERS)], n)

    replayed = await ownership(log, None)._load(USERS)
    resumed = await ownership(log, snapshots)._load(USERS)

    for user_id in USERS:
        assert resumed[user_id].snapshot_state() == replayed[user_id].snapshot_state()
        assert resumed[user_id].version == replayed[user_id].version
    everyone = snapshotted == len(USERS)
    assert log.scanned_from[-1] == (min(snapshot_versions) + 1 if everyone else 1)
    assert not everyone or log.scanned_from[-1] > 150
