"""Leases with fencing tokens, against a real NATS KV bucket: a later owner has a larger
token; an owner that was paused past its lease (no renewal) is refused its next write,
whether the key was taken meanwhile or only expired."""

import asyncio
from collections.abc import AsyncIterator

import nats
import pytest
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue

from fleet.bus.lease import Lease, LeaseLost

pytestmark = pytest.mark.integration

TTL_S = 1.0


@pytest.fixture
async def bucket(nats_url: str, namespace: str) -> AsyncIterator[KeyValue]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    kv = await js.create_key_value(KeyValueConfig(bucket=f"lease_{namespace}", ttl=TTL_S))
    yield kv
    await js.delete_key_value(f"lease_{namespace}")
    await nc.close()


async def test_a_paused_owner_is_fenced_out_once_another_took_the_lease(bucket: KeyValue) -> None:
    first = Lease(bucket, "role", "a", ttl_s=TTL_S)
    second = Lease(bucket, "role", "b", ttl_s=TTL_S)
    assert await first.try_acquire()
    token = first.fence()
    assert token == first.token and await first.confirm() == token
    assert not await second.try_acquire()  # held: nobody else gets it
    assert await first.renew() and first.fence() == token  # renewing keeps the token

    await asyncio.sleep(TTL_S * 1.6)  # "a" is paused: no renewal, the key expires
    assert await second.try_acquire()
    assert second.fence() > token  # the later owner's token is larger

    # "a" resumes and writes: refused without I/O, and by the KV check
    with pytest.raises(LeaseLost, match="not renewed in time"):
        first.fence()
    with pytest.raises(LeaseLost):
        await first.confirm()
    assert not await first.renew()  # and it cannot renew its way back in
    assert not first.held and first.token is None


async def test_an_expired_lease_nobody_took_is_refused_until_renewed(bucket: KeyValue) -> None:
    lease = Lease(bucket, "role", "a", ttl_s=TTL_S)
    with pytest.raises(LeaseLost, match="not held"):
        lease.fence()
    assert await lease.try_acquire()
    await asyncio.sleep(TTL_S * 1.6)
    with pytest.raises(LeaseLost):
        lease.fence()
    assert not await lease.try_acquire()  # the key expired: renewal fails, dropped
    assert await lease.try_acquire()  # then taken afresh, with a new token
    assert await lease.confirm() == lease.token


async def test_a_taken_lease_is_refused_by_confirm_even_before_the_local_deadline(
    bucket: KeyValue,
) -> None:
    lease = Lease(bucket, "role", "a", ttl_s=TTL_S)
    assert await lease.try_acquire()
    await bucket.delete("role")  # an operator (or a partition heal) took it away
    other = Lease(bucket, "role", "b", ttl_s=TTL_S)
    assert await other.try_acquire()
    lease.fence()  # locally still trusted: the round trip is what catches this
    with pytest.raises(LeaseLost, match="taken"):
        await lease.confirm()


async def test_check_renews_a_lease_whose_local_time_ran_out_but_nobody_took(
    bucket: KeyValue,
) -> None:
    """A busy moment delayed the renewal loop: the write's check renews and goes on."""
    lease = Lease(bucket, "role", "a", ttl_s=0.2)  # trusts each renewal 0.16 s; the key 1 s
    assert await lease.try_acquire()
    token = lease.token
    await asyncio.sleep(0.3)
    with pytest.raises(LeaseLost):
        lease.fence()
    assert await lease.check() == token  # renewed: same owner, same token
    lease.fence()
    await asyncio.gather(lease.check(), lease.renew(), lease.renew())  # one renewal at a time
    assert lease.held
