"""A running executor holds one NATS connection, its broker's, shared by the command
subscribers, the event store and the KV buckets; ``/healthz`` checks that connection and
fails once it is closed under the running service."""

import asyncio
import time
from typing import Any

import httpx
import nats
import nats.errors
import pytest
from faststream.asgi import AsgiFastStream

from fleet.eventstore import StreamSpec
from fleet.eventstore.stream import ensure_platform
from fleet.executor.main import create_app
from fleet.executor.settings import ExecutorSettings
from fleet.testing.connections import broker_connection, open_connections, opened_since

pytestmark = pytest.mark.integration


async def healthz(app: AsgiFastStream) -> tuple[int, dict[str, Any]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://executor") as http:
        answer = await http.get("/healthz")
    return answer.status_code, dict(answer.json())


@pytest.fixture
async def settings(nats_url: str, namespace: str, bingx_sim: Any) -> ExecutorSettings:
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    admin = await nats.connect(nats_url)
    await ensure_platform(admin.jetstream(), spec)
    await admin.close()
    return ExecutorSettings(
        nats_url=nats_url,
        stream_name=spec.name,
        subject_prefix=spec.prefix,
        bingx_base_url=bingx_sim.url,
        bingx_demo_base_url=bingx_sim.url,
    )


async def test_one_connection_and_healthz_on_it(
    nats_server: Any, settings: ExecutorSettings
) -> None:
    before = await open_connections(nats_server.monitor_port)
    app = create_app(settings)
    await app.start()
    try:
        connection = broker_connection(app)
        deadline = time.monotonic() + 20
        while (first := await healthz(app))[0] != 200:
            assert time.monotonic() < deadline, f"never healthy: {first}"
            await asyncio.sleep(0.2)
        opened = await opened_since(nats_server.monitor_port, before)
        assert opened == {connection.client_id: "executor"}, "more than its broker's"
        await connection.close()  # under the running service
        status, body = await healthz(app)
        assert status == 503
        assert body["checks"]["nats"] == "not connected to NATS"
        assert body["checks"]["event_stream"] != "ok"
    finally:
        await stopped(app)


async def stopped(app: AsgiFastStream) -> None:
    """Stop ``app``, whose connection the test closed: the broker cannot unsubscribe."""
    try:
        await app.stop()
    except* nats.errors.ConnectionClosedError:
        pass
