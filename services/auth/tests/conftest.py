"""Fixtures of the auth tests: the handlers' dependencies on a real NATS stream, with a
clock the test moves and cheap argon2 parameters (the algorithm is the same)."""

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime

import nats
import pytest
from nats.aio.client import Client

from fleet.auth.accounts import AuthDeps
from fleet.auth.adapters.argon2_hasher import Argon2Hasher
from fleet.auth.adapters.clock import ManualClock
from fleet.auth.main import build_deps
from fleet.auth.settings import AuthSettings
from fleet.eventstore import EventStore

CHEAP_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 8192, "argon2_parallelism": 1}
MakeDeps = Callable[..., AuthDeps]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 12, tzinfo=UTC))


@pytest.fixture
async def connection(nats_url: str) -> AsyncIterator[Client]:
    nc = await nats.connect(nats_url)
    yield nc
    await nc.close()


@pytest.fixture
def make_deps(
    event_store: EventStore, connection: Client, clock: ManualClock
) -> Iterator[MakeDeps]:
    """``make_deps(**settings)``: one auth instance (its own in-memory ledger) on this
    test's stream; two of them stand for two instances deciding at once."""
    built: list[AuthDeps] = []

    def make(**overrides: object) -> AuthDeps:
        values = {"stream_name": event_store.spec.name, "subject_prefix": event_store.spec.prefix}
        settings = AuthSettings.model_validate(values | CHEAP_ARGON2 | overrides)
        built.append(build_deps(settings, connection, clock))
        return built[-1]

    yield make
    for deps in built:
        assert isinstance(deps.hasher, Argon2Hasher)
        deps.hasher.close()


@pytest.fixture
def deps(make_deps: MakeDeps) -> AuthDeps:
    return make_deps()
