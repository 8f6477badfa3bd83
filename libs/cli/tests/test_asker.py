"""The CLI's NATS request: a service that is up but not subscribed yet is asked again."""

import asyncio

import nats
import pytest
from nats.aio.msg import Msg

from fleet.cli.platform import nats_asker

pytestmark = pytest.mark.integration


async def test_a_service_that_subscribes_late_still_gets_the_command_once(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    received: list[bytes] = []

    async def late_service() -> None:
        await asyncio.sleep(1.2)  # "no responders" to the first asks

        async def answer(msg: Msg) -> None:
            received.append(msg.data)
            await msg.respond(b"done")

        await nc.subscribe("cmd.test.late", cb=answer)
        await nc.flush()

    service = asyncio.create_task(late_service())
    ask = nats_asker(nats_url, timeout=5)
    answer = await asyncio.to_thread(ask, "cmd.test.late", b"do it")
    await service
    await nc.close()
    assert answer == b"done"
    assert received == [b"do it"]
