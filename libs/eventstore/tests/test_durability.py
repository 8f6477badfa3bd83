"""Every acknowledged event survives a SIGKILL of nats-server."""

import asyncio
from typing import Protocol

import nats
import pytest

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, EventRegistry
from fleet.eventstore import EventStore, StreamSpec, ensure_stream

pytestmark = pytest.mark.integration


class KillableServer(Protocol):
    admin_url: str

    def kill(self) -> None: ...
    def start(self) -> None: ...


class Numbered(DomainEvent):
    event_type = "t.n"
    n: int


REGISTRY = EventRegistry([Numbered])


async def test_acknowledged_events_survive_sigkill(
    nats_server: KillableServer, namespace: str
) -> None:
    spec = StreamSpec(name=f"DUR_{namespace}", prefix=namespace)
    nc = await nats.connect(nats_server.admin_url)
    await ensure_stream(nc.jetstream(), spec)
    store = EventStore(nc, spec, registry=REGISTRY)
    writers = [AggregateRef(type="acct", id=AggregateId(f"w{i}")) for i in range(8)]

    async def write(aggregate: AggregateRef) -> list[str]:
        acked: list[str] = []
        version = 0
        for n in range(50):
            event = Envelope(type="t.n", schema_version=1, aggregate=aggregate, data={"n": n})
            stored = await store.append(aggregate, [event], expected_version=version)
            version = stored[-1].sequence or version
            acked.append(event.id)
        return acked

    acked = await asyncio.gather(*(write(w) for w in writers))
    await nc.close()
    nats_server.kill()
    nats_server.start()

    nc = await nats.connect(nats_server.admin_url)
    try:
        store = EventStore(nc, spec, registry=REGISTRY)
        for aggregate, ids in zip(writers, acked, strict=True):
            loaded = await store.load(aggregate)
            assert [e.id for e in loaded] == ids
            assert [e.data["n"] for e in loaded] == list(range(50))
    finally:
        await nc.close()
