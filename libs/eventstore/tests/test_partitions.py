"""``partition_of`` computes exactly what NATS's ``partition()`` subject mapping computes."""

import nats
import pytest
from nats.js.api import StreamConfig, SubjectTransform

from fleet.events import partition_of

pytestmark = pytest.mark.integration


async def test_python_partition_equals_the_server_subject_transform(
    nats_url: str, namespace: str
) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    transform = SubjectTransform(
        src=f"{namespace}.*.*",
        dest=f"{namespace}.{{{{wildcard(1)}}}}.{{{{partition(7,2)}}}}.{{{{wildcard(2)}}}}",
    )
    await js.add_stream(
        StreamConfig(
            name=f"P_{namespace}", subjects=[f"{namespace}.>"], subject_transform=transform
        )
    )
    ids = [f"user-{n}" for n in range(60)] + ["0192f3c0-0000-7000-8000-000000000001"]
    for aggregate_id in ids:
        await js.publish(f"{namespace}.bot.{aggregate_id}", b"x")
    for seq, aggregate_id in enumerate(ids, start=1):
        msg = await js.get_msg(f"P_{namespace}", seq)
        assert msg.subject == f"{namespace}.bot.{partition_of(aggregate_id, 7)}.{aggregate_id}"
    await nc.close()
