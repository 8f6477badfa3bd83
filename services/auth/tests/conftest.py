"""Fixtures of the auth tests: the handlers' dependencies on a real NATS stream, with a
clock the test moves and cheap argon2 parameters (the algorithm is the same); and the
service as a process, once per test module.

Test modules cannot import this file at run time (``--import-mode=importlib``); they
import its classes under ``TYPE_CHECKING`` for their annotations only.
"""

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client

from fleet.auth.accounts import AuthDeps
from fleet.auth.adapters.argon2_hasher import Argon2Hasher
from fleet.auth.adapters.clock import ManualClock
from fleet.auth.adapters.personal_keys import InMemoryPersonalData
from fleet.auth.main import build_deps
from fleet.auth.settings import AuthSettings
from fleet.events.auth_commands import AuthCommand, UnlockUser
from fleet.events.commands import command_subject
from fleet.eventstore import EventStore, StreamSpec, ensure_stream
from fleet.stack import ManagedProcess, free_port

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
    personal = InMemoryPersonalData()  # one key store, as the instances share PostgreSQL

    def make(**overrides: object) -> AuthDeps:
        values = {"stream_name": event_store.spec.name, "subject_prefix": event_store.spec.prefix}
        settings = AuthSettings.model_validate(values | CHEAP_ARGON2 | overrides)
        built.append(build_deps(settings, connection, personal, clock))
        return built[-1]

    yield make
    for deps in built:
        assert isinstance(deps.hasher, Argon2Hasher)
        deps.hasher.close()


@pytest.fixture
def deps(make_deps: MakeDeps) -> AuthDeps:
    return make_deps()


@dataclass
class RunningAuth:
    """``python -m fleet.auth`` on a stream of its own, with the service's NATS user."""

    nc: Client  # the admin user's connection, for requests and reading the log
    store: EventStore
    process: ManagedProcess
    log: Path

    async def ask(self, command: AuthCommand) -> dict[str, Any]:
        """Send ``command``; the reply as JSON."""
        answer = await self.nc.request(
            command_subject(command), command.model_dump_json().encode(), timeout=10
        )
        reply: dict[str, Any] = json.loads(answer.data)
        return reply

    async def start(self) -> None:
        """Start the process; return once it answers a command."""
        self.process.start()
        for _ in range(150):
            try:
                await self.ask(UnlockUser(user_id="nobody"))
                return
            except (TimeoutError, nats.errors.NoRespondersError):
                await asyncio.sleep(0.2)
        raise AssertionError(f"auth did not answer: {self.process.tail()}")

    async def restart(self) -> None:
        self.process.stop()
        await self.start()


@pytest.fixture(scope="module")
async def auth_service(
    nats_server: Any, postgres_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningAuth]:
    """The auth service as a process, for one test module (debug logs: the most it logs)."""
    nc = await nats.connect(nats_server.admin_url)
    namespace = "t" + uuid.uuid4().hex[:12]
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    await ensure_stream(nc.jetstream(), spec)
    log = tmp_path_factory.mktemp("auth") / "auth.log"
    env = os.environ | {
        **nats_server.env_for("auth"),
        "FLEET_DATABASE_URL": postgres_server.create_database(namespace),
        "FLEET_STREAM_NAME": spec.name,
        "FLEET_SUBJECT_PREFIX": spec.prefix,
        "FLEET_HTTP_PORT": str(free_port()),
        "FLEET_LOG_LEVEL": "debug",
        **{f"FLEET_{name.upper()}": str(value) for name, value in CHEAP_ARGON2.items()},
    }
    process = ManagedProcess("auth", [sys.executable, "-m", "fleet.auth"], log, env=env)
    running = RunningAuth(nc, EventStore(nc, spec), process, log)
    await running.start()
    yield running
    process.stop()
    await nc.close()
