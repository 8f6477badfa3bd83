"""A read model's runner follows the log only while its lease is surely held: a runner cut
off from NATS stops applying events, since past the lease's TTL another replica may have
taken the lease and two runners would apply to one read model (no NATS here: a fake KV)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeout
from sqlalchemy import create_engine

from fleet.eventstore import EventStore, StreamSpec
from fleet.gateway.read_models.runners import ReadModels
from fleet.projections import ProjectionRunner

NAME = "trading"


class UnreachableAfterTaking:
    """A lease bucket that grants the key, then cannot be reached for its renewals."""

    async def create(self, key: str, value: bytes) -> int:
        return 1

    async def update(self, key: str, value: bytes, last: int | None = None) -> int:
        raise NatsTimeout

    async def delete(self, key: str, last: int | None = None) -> bool:
        raise NatsTimeout


def _models() -> ReadModels:
    store = EventStore(Client(), StreamSpec(name="EV_lease", prefix="lease"))  # never connected
    return ReadModels(create_engine("sqlite://"), store, owner="me")


async def _cut_off(models: ReadModels, follows: asyncio.Event) -> bool:
    """Whether ``models`` stops leading (and following) within two renewal periods."""
    runner = models.runners[NAME]
    lead = asyncio.create_task(models._lead(NAME, runner, UnreachableAfterTaking()))  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(follows.wait(), 2.0)
        assert NAME in models.leading
        for _ in range(40):
            await asyncio.sleep(0.1)
            if NAME not in models.leading and not follows.is_set():
                return True
        return False
    finally:
        lead.cancel()
        with contextlib.suppress(BaseException):
            await lead


def test_a_runner_cut_off_from_nats_stops_following(monkeypatch: pytest.MonkeyPatch) -> None:
    follows = asyncio.Event()

    async def follow(self: ReadModels, name: str, runner: ProjectionRunner) -> None:
        follows.set()
        try:
            await asyncio.Event().wait()
        finally:
            follows.clear()

    monkeypatch.setattr(ReadModels, "_follow", follow)
    assert asyncio.run(_cut_off(_models(), follows))
