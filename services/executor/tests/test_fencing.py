"""An executor paused past its partition's lease (SIGSTOP, a long stall) is refused its
next append and its next order once it resumes, even where no other writer touched the
user since (so the aggregate's expected version alone would not catch it): real NATS KV
leases, a real event store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, cast

import nats
import pytest
from nats.js.kv import KeyValue

from fleet.bus.lease import LEASE_BUCKET, LEASE_TTL_S, LeaseLost
from fleet.events import AggregateId, AggregateRef
from fleet.events.trading import SignalEvaluated
from fleet.eventstore import EventStore, Repository
from fleet.eventstore.stream import ensure_platform
from fleet.executor.domain.account import TradingAccount
from fleet.executor.partitions import PartitionManager
from fleet.executor.traders import Trader, TraderFactory

pytestmark = pytest.mark.integration
PARTITIONS = 2


@pytest.fixture
async def leases(nats_url: str, event_store: EventStore) -> AsyncIterator[KeyValue]:
    nc = await nats.connect(nats_url)
    await ensure_platform(nc.jetstream(), event_store.spec)
    yield await nc.jetstream().key_value(LEASE_BUCKET)
    await nc.close()


async def nothing(_partitions: set[int]) -> None:
    return None


def manager(kv: KeyValue, scope: str, instance: str) -> PartitionManager:
    return PartitionManager(kv, scope, instance, PARTITIONS, nothing, nothing)


def evaluation(signal_id: str) -> SignalEvaluated:
    return SignalEvaluated(
        signal_id=signal_id,
        symbol="BTC-USDT",
        decision="skip",
        code="no_cross",
        reason="no order",
        numbers={},
    )


async def test_a_paused_owner_cannot_append_or_order_after_its_partition_moved(
    leases: KeyValue, event_store: EventStore, namespace: str
) -> None:
    accounts = Repository(event_store, event_store.registry, TradingAccount)
    first, second = manager(leases, namespace, "exec-a"), manager(leases, namespace, "exec-b")
    await first.step()
    assert first.owned == {0, 1}
    # the worker's wiring: each trader's fence is its partition's lease (TraderFactory.fence)
    factory = TraderFactory(cast(Any, None), accounts, cast(Any, None), "")
    factory.fence = lambda _user: first.fence(0)
    view = cast(Any, SimpleNamespace(environment="live", user_id="u1"))
    account = TradingAccount(AggregateId("u1"))
    trader = Trader(view, account, cast(Any, None), cast(Any, None), accounts)
    trader.fence = lambda: factory.fence("u1")

    trader.account.evaluate(evaluation("s1"))
    await trader.save()  # while the lease holds, writes go through
    trader.account.evaluate(evaluation("s2"))

    await asyncio.sleep(LEASE_TTL_S * 1.4)  # "paused": no renewal, the leases expire
    await second.step()
    assert second.owned == {0, 1}

    with pytest.raises(LeaseLost):  # resumed: its pending append is refused
        await trader.save()
    with pytest.raises(LeaseLost):  # and so is the order it would send next
        await trader.fence()
    ref = AggregateRef(type="account", id=AggregateId("u1"))
    stored = [e.data["signal_id"] for e in await event_store.load(ref)]
    assert stored == ["s1"]  # s2 never reached the log

    await first.step()  # its next round sees the loss
    assert first.owned == set()
