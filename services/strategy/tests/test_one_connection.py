"""The strategy serves no command, yet its broker's connection is its only one: the event
store, the lease bucket and candle publishing share it."""

import asyncio
from typing import Any

import nats
import pytest

from fleet.eventstore import StreamSpec
from fleet.eventstore.stream import ensure_platform
from fleet.strategy.main import create_app
from fleet.strategy.settings import StrategySettings
from fleet.testing.connections import broker_connection, open_connections, opened_since

pytestmark = pytest.mark.integration


async def test_the_strategy_holds_one_connection(
    nats_server: Any, nats_url: str, namespace: str, bingx_sim: Any
) -> None:
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    admin = await nats.connect(nats_url)
    await ensure_platform(admin.jetstream(), spec)
    await admin.close()
    settings = StrategySettings(
        nats_url=nats_url,
        stream_name=spec.name,
        subject_prefix=spec.prefix,
        bingx_base_url=bingx_sim.url,
        instance_id=f"one-{namespace}",
    )
    before = await open_connections(nats_server.monitor_port)
    app = create_app(settings)
    await app.start()
    try:
        connection = broker_connection(app)
        await asyncio.sleep(1.0)  # the worker started in app.start(); its loops run
        opened = await opened_since(nats_server.monitor_port, before)
        assert opened == {connection.client_id: "strategy"}, "more than its broker's"
    finally:
        await app.stop()
