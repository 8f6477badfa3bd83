"""The gateway's own background loops run under the process's supervisor
(fleet.bus.loops): a loop that fails is restarted with back-off, each restart is counted in
``fleet_loop_restarts_total``, and ``/readyz`` answers 503 while a required one waits to
restart, then 200 again (a real NATS and PostgreSQL, the app in process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import nats
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from fleet.eventstore import StreamSpec
from fleet.eventstore.stream import ensure_platform
from fleet.gateway.live.hub import LiveHub
from fleet.gateway.main import create_app
from fleet.gateway.settings import GatewaySettings

pytestmark = pytest.mark.integration
LOOP = "gateway live feed"


def restarts() -> float:
    return REGISTRY.get_sample_value("fleet_loop_restarts_total", {"loop": LOOP}) or 0.0


def until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.1)


async def _platform(nats_url: str, spec: StreamSpec) -> None:
    nc = await nats.connect(nats_url)
    await ensure_platform(nc.jetstream(), spec)
    await nc.close()


def test_a_failing_gateway_loop_is_restarted_counted_and_fails_readiness(
    nats_url: str, database_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    asyncio.run(_platform(nats_url, spec))
    failing = True
    follow = LiveHub._follow_once

    async def injected(hub: LiveHub) -> None:
        if failing:
            raise ConnectionError("injected: the live feed's subscription broke")
        await follow(hub)

    monkeypatch.setattr(LiveHub, "_follow_once", injected)
    settings = GatewaySettings(
        nats_url=nats_url,
        database_url=database_url,
        stream_name=spec.name,
        subject_prefix=spec.prefix,
        cookie_secure=False,
    )
    before = restarts()
    with TestClient(create_app(settings), base_url="http://localhost") as client:

        def ready() -> int:
            answer: Any = client.get("/readyz")
            return int(answer.status_code)

        until(lambda: restarts() - before >= 2)  # restarted, again and again
        assert ready() == 503  # down meanwhile
        failing = False
        until(lambda: ready() == 200)  # back once the loop runs again
        counted = restarts() - before
        time.sleep(1.5)
        assert restarts() - before == counted  # running: no more restarts
