"""The per-IP budget owned by one executor per egress identity, on a real NATS: bookings
from the owner (in memory) and from another process (one request to the owner) share one
budget, first come first served, refilled by the owner's one clock; a standby takes a
dead owner's budget over within seconds; a former owner that lost the lease books
nothing itself."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue

from fleet.bingx.errors import RateLimited
from fleet.bus.lease import LeaseLost
from fleet.executor.adapters.budget import IP_PER_ENDPOINT
from fleet.executor.adapters.budget_owner import BudgetOwner, Grant

pytestmark = pytest.mark.integration

TTL_S = 1.0
ORDER = "/openApi/swap/v2/trade/order:POST"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def buckets(nats_url: str, namespace: str) -> AsyncIterator[tuple[KeyValue, KeyValue]]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    leases = await js.create_key_value(KeyValueConfig(bucket=f"L_{namespace}", ttl=TTL_S))
    states = await js.create_key_value(KeyValueConfig(bucket=f"B_{namespace}"))
    yield leases, states
    await nc.close()


@contextlib.asynccontextmanager
async def process(
    nats_url: str, kv: tuple[KeyValue, KeyValue], name: str, clock: Clock | None = None
) -> AsyncIterator[tuple[BudgetOwner, Client, asyncio.Task[None]]]:
    """One executor's claim on identity ``ip1`` (its own connection, its own loop)."""
    nc = await nats.connect(nats_url)
    leases, states = kv
    owner = BudgetOwner(
        nc, leases, states, "scope", "ip1", name, clock=clock or time.monotonic, ttl_s=TTL_S
    )
    task = asyncio.create_task(owner.run())
    try:
        yield owner, nc, task
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        if not nc.is_closed:
            await nc.close()


async def until(check: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0) -> float:
    """Seconds until ``check`` holds (fails after ``timeout``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        result = check()
        if result if isinstance(result, bool) else await result:
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


async def test_the_owner_and_another_process_share_one_budget_in_turn(
    nats_url: str, buckets: tuple[KeyValue, KeyValue]
) -> None:
    clock = Clock()
    async with process(nats_url, buckets, "a", clock) as (first, _, _):
        await until(lambda: first.owning)
        async with process(nats_url, buckets, "b") as (second, _, _):
            waits = []
            for _ in range(20):  # both ask at one instant, in turn
                waits += [await first.book(ORDER), await second.book(ORDER)]
            assert not second.owning
            # one queue, first come first served: the k-th booking waits k tokens' time
            # (the buckets start empty), whichever process booked it; no cap exceeded
            step = 1 / IP_PER_ENDPOINT.rate
            assert waits == pytest.approx([step * k for k in range(1, 41)])
            clock.now += 60.0  # the owner's clock is the only one the refill follows
            again = [await second.book(ORDER) for _ in range(4)]
            assert again[:3] == [0.0, 0.0, 0.0] and again[3] == pytest.approx(step)


async def test_a_standby_takes_a_dead_owners_budget_over_within_seconds(
    nats_url: str, buckets: tuple[KeyValue, KeyValue]
) -> None:
    async with process(nats_url, buckets, "a") as (first, first_nc, first_task):
        await until(lambda: first.owning)
        async with process(nats_url, buckets, "b") as (second, _, _):
            await second.book(ORDER)  # from the owner
            first_task.cancel()
            await first_nc.close()  # the owner dies: no renewal, no answer
            took = await until(lambda: second.owning)
            assert took < 3 * TTL_S + 1.0
            assert await second.book(ORDER) >= 0.0  # in its own memory now


async def test_a_booking_gives_up_when_no_process_owns_the_budget(
    nats_url: str, buckets: tuple[KeyValue, KeyValue], namespace: str
) -> None:
    """Nobody holds the lease and nobody answers: the booking ends with ``RateLimited``
    (nothing was sent) after 3 TTLs, instead of holding its trader's lock for ever."""
    nc = await nats.connect(nats_url)
    leases, states = buckets
    orphan = BudgetOwner(nc, leases, states, namespace, "ip1", "a", ttl_s=TTL_S)  # not run
    try:
        started = time.monotonic()
        with pytest.raises(RateLimited, match="no process owns"):
            await asyncio.wait_for(orphan.book(ORDER), 30)
        print(f"gave up after {time.monotonic() - started:.1f} s")
    finally:
        await nc.close()


async def test_a_former_owner_that_lost_the_lease_cannot_spend(
    nats_url: str, buckets: tuple[KeyValue, KeyValue]
) -> None:
    nc = await nats.connect(nats_url)
    leases, states = buckets
    first = BudgetOwner(nc, leases, states, "scope", "ip1", "a", ttl_s=TTL_S)
    try:
        # owns once, then is paused: it renews nothing, yet still believes it owns
        assert await first.lease.try_acquire()
        await first._own()
        token = first.lease.fence()
        async with process(nats_url, buckets, "b") as (second, _, _):
            await until(lambda: second.owning)
            assert first.owning  # it never heard that it lost the budget
            with pytest.raises(LeaseLost):
                first.lease.fence()
            assert first._book_here(ORDER) is None  # fenced: books nothing itself
            second_token = second.lease.fence()
            assert second_token > token
            # its own bookings are granted by the new owner (under the newer token)
            assert await first.book(ORDER) >= 0.0
            assert first._token_seen == second_token
    finally:
        await first.release()
        await nc.close()


def test_a_grant_on_the_wire_and_a_refusal() -> None:
    grant = Grant(0.0680272108843537, 7)
    assert Grant.parse(grant.wire()) == grant  # exact: the waits add up over a fan-out
    assert Grant.parse(b"") is None  # not a grant


def test_headroom_keeps_any_window_under_bingxs_count() -> None:
    # at most capacity + rate x window in any window of that length: three short of 300
    limit = IP_PER_ENDPOINT
    assert limit.capacity + limit.rate * limit.window_s <= limit.count - 3
    assert limit.rate >= 0.98 * limit.count / limit.window_s  # and no more room than that
