"""Routine skips live in the telemetry stream, not the log: the trader's decision feed
still shows them (the ``telemetry`` read model, read as one with ``trading``), and a
socket gets a decision frame when one arrives."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest

from fleet.eventstore.stream import TelemetrySpec
from fleet.eventstore.telemetry import TelemetryPublisher
from tests.api.test_flows import _evaluated, caught_up
from tests.api.test_live_updates import live

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration


async def test_a_routine_skip_from_telemetry_is_in_the_feed_and_pushed_live(
    stack: Stack, admin: Session
) -> None:
    trader = await stack.new_session(admin, "trader")
    await caught_up(
        stack, await stack.append("account", trader.user_id, _evaluated("s1", "entry", "entry"))
    )
    telemetry = TelemetryPublisher(stack.nc, TelemetrySpec.beside(stack.store.spec))
    skip = _evaluated("s2", "skip", "no_cross")
    async with live(stack, trader) as ws:
        stored = await telemetry.publish_decision(trader.user_id, skip)
        again = await telemetry.publish_decision(trader.user_id, skip)
        assert stored.last_sequence is not None and again.duplicate  # one decision, once
        frame = await _decision_frame(ws)
    assert (frame["type"], frame["user_id"]) == ("decision", trader.user_id)
    assert (frame["data"]["signal_id"], frame["data"]["code"]) == ("s2", "no_cross")

    feed = (await trader.get("/api/decisions")).json()  # the frame came once it was applied
    assert [d["signal_id"] for d in feed["items"]] == ["s2", "s1"]
    notable = (await trader.get("/api/decisions", params={"routine": "false"})).json()
    assert [d["signal_id"] for d in notable["items"]] == ["s1"]


async def _decision_frame(ws: Any, timeout: float = 15) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if frame["type"] == "decision":
                return frame
