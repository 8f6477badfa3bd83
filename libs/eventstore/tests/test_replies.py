"""The reply inbox: request-reply on one subscription per connection."""

import asyncio
from collections.abc import AsyncIterator

import nats
import nats.errors
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from fleet.eventstore.replies import replies_of, request

pytestmark = pytest.mark.integration


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


async def test_concurrent_requests_each_get_their_own_answer_through_one_subscription(
    nc: Client, namespace: str
) -> None:
    async def echo(msg: Msg) -> None:
        await asyncio.sleep(0.001 * (int(msg.data) % 7))  # answers out of order
        await msg.respond(b"re:" + msg.data + (msg.headers or {}).get("H", "").encode())

    await nc.subscribe(f"{namespace}.echo", cb=echo)
    before = len(nc._subs)
    answers = await asyncio.gather(
        *(request(nc, f"{namespace}.echo", str(i).encode(), timeout=5) for i in range(50))
    )
    assert [a.data for a in answers] == [f"re:{i}".encode() for i in range(50)]
    assert len(nc._subs) - before == 1  # the inbox, made by the first request
    with_header = await replies_of(nc).request(
        nc, f"{namespace}.echo", b"7", timeout=5, headers={"H": "-h"}
    )
    assert with_header.data == b"re:7-h"
    assert replies_of(nc) is replies_of(nc)


async def test_nobody_listening_is_no_responders_and_silence_a_timeout(
    nc: Client, namespace: str
) -> None:
    with pytest.raises(nats.errors.NoRespondersError):
        await request(nc, f"{namespace}.nobody", b"{}", timeout=2)

    async def silent(msg: Msg) -> None:
        return None

    await nc.subscribe(f"{namespace}.silent", cb=silent)
    with pytest.raises(nats.errors.TimeoutError):
        await request(nc, f"{namespace}.silent", b"{}", timeout=0.1)
    assert not replies_of(nc)._waiting  # nothing left behind by either


async def test_a_late_answer_reaches_nobody(nc: Client, namespace: str) -> None:
    answered = 0

    async def slow_first(msg: Msg) -> None:
        nonlocal answered
        answered += 1
        number = answered
        if number == 1:
            await asyncio.sleep(0.3)  # past the first request's timeout
        await msg.respond(str(number).encode())

    await nc.subscribe(f"{namespace}.slow", cb=slow_first)
    with pytest.raises(nats.errors.TimeoutError):
        await request(nc, f"{namespace}.slow", b"", timeout=0.1)
    assert (await request(nc, f"{namespace}.slow", b"", timeout=2)).data == b"2"
    await asyncio.sleep(0.4)  # the first answer arrives now, and is dropped
    assert (await request(nc, f"{namespace}.slow", b"", timeout=2)).data == b"3"
