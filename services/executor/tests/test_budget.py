"""The shared egress budget on a real NATS KV: two processes' buckets on one key never
spend more than the bucket holds, and refill at the configured rate (a moved clock)."""

from collections.abc import AsyncIterator

import nats
import pytest
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue

from fleet.executor.adapters.budget import IP_PER_ENDPOINT, KvTokenBucket, Limit

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def kv(nats_url: str, namespace: str) -> AsyncIterator[KeyValue]:
    nc = await nats.connect(nats_url)
    bucket = await nc.jetstream().create_key_value(KeyValueConfig(bucket=f"B_{namespace}"))
    yield bucket
    await nc.close()


async def spend_all(buckets: list[KvTokenBucket]) -> int:
    """Take tokens from both buckets in turn until neither gets one at this instant."""
    taken = 0
    while True:
        got = [await bucket._try_take() == 0.0 for bucket in buckets]
        if not any(got):
            return taken
        taken += sum(got)


async def test_two_processes_share_one_budget(kv: KeyValue) -> None:
    clock = Clock()
    limit = Limit(count=300, window_s=10.0, capacity=4)
    first = KvTokenBucket(kv, "scope.ip.order", limit, clock)
    second = KvTokenBucket(kv, "scope.ip.order", limit, clock)
    assert await spend_all([first, second]) == 4  # the burst, shared, not 4 each
    over_a_second = 0
    for _ in range(100):  # both keep asking during one second
        clock.now += 0.01
        over_a_second += await spend_all([first, second])
    assert over_a_second in (28, 29)  # 96 % of 30/s, shared by the two
    wait = await first._try_take()
    assert 0 < wait <= 1 / limit.rate


def test_headroom_keeps_any_window_under_bingxs_count() -> None:
    # at most capacity + rate x window in any window of that length: three short of 300
    limit = IP_PER_ENDPOINT
    assert limit.capacity + limit.rate * limit.window_s <= limit.count - 3
    assert limit.rate >= 0.98 * limit.count / limit.window_s  # and no more room than that
