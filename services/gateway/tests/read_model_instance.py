"""One gateway read-model instance on its own (the lease test runs two and SIGKILLs one).

Usage: ``python read_model_instance.py NATS_URL STREAM PREFIX DATABASE_URL OWNER``; prints
``leading <names>`` each time the set of read models it applies events to changes."""

from __future__ import annotations

import asyncio
import sys

import nats
from sqlalchemy import create_engine

from fleet.eventstore import EventStore, StreamSpec
from fleet.gateway.read_models.runners import ReadModels


async def main(nats_url: str, stream: str, prefix: str, database_url: str, owner: str) -> None:
    nc = await nats.connect(nats_url)
    models = ReadModels(
        create_engine(database_url), EventStore(nc, StreamSpec(stream, prefix)), owner=owner
    )
    await models.start()
    shown: set[str] | None = None
    while True:
        if models.leading != shown:
            shown = set(models.leading)
            print("leading", *sorted(shown), flush=True)
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
