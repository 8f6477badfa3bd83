"""The pytest plugin: real servers, started lazily once per session, cleaned up always."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import hvac
import nats
import pytest

from fleet.events import EventRegistry
from fleet.eventstore import EventStore, StreamSpec, ensure_stream
from fleet.eventstore.quarantine import default_registry
from fleet.eventstore.stream import (
    TelemetrySpec,
    ensure_quarantine_bucket,
    ensure_telemetry_stream,
)
from fleet.stack import NatsServer, OpenBaoServer, PostgresServer, SimulatorServer, prerequisites
from fleet.stack.permissions import Scope
from fleet.stack.process import StackError
from fleet.testing.containers import NatsContainer, PostgresContainer, docker_answers

BROWSER_FIXTURE = "chromium"


def pytest_collection_finish(session: pytest.Session) -> None:
    """Set-up before any test runs: when a collected test needs the browser and it is missing,
    install it now (once, outside every test's duration). A failure is not raised here: the
    ``chromium`` fixture raises it, so each UI test fails with the line that says what to run.
    """
    if not any(BROWSER_FIXTURE in getattr(item, "fixturenames", ()) for item in session.items):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")

    def notice(line: str) -> None:
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line)

    with contextlib.suppress(prerequisites.PrerequisiteMissing):
        prerequisites.ensure(prerequisites.CHROMIUM, notice)


@pytest.fixture(scope="session")
def chromium() -> Any:
    """Debian's Chromium (installed at collection when missing); fails with what to run."""
    try:
        prerequisites.ensure(prerequisites.CHROMIUM)
    except prerequisites.PrerequisiteMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    return prerequisites.CHROMIUM.provides


@pytest.fixture(scope="session")
def _docker() -> bool:
    return os.environ.get("FLEET_TESTS_USE_BINARIES") != "1" and docker_answers()


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory, _docker: bool) -> Iterator[Any]:
    """A nats-server with JetStream and Fleet's per-service users."""
    if _docker:
        server: Any = NatsContainer()
    else:  # one stream per test: the event stream's name and prefix are wildcards
        server = NatsServer(tmp_path_factory.mktemp("nats"), scope=Scope.any())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory, _docker: bool) -> Iterator[Any]:
    """A PostgreSQL cluster (fsync off: tests need speed, not durability)."""
    if _docker:
        server: Any = PostgresContainer()
    else:
        server = PostgresServer(tmp_path_factory.mktemp("postgres"), fast_unsafe=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def openbao_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBaoServer]:
    """OpenBao in dev mode with transit enabled (persistent mode is tested in tests/stack)."""
    server = OpenBaoServer(tmp_path_factory.mktemp("openbao"), dev=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bingx_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorServer]:
    """The BingX simulator (``python -m fleet.bingx_sim``) over real sockets."""
    simulator = SimulatorServer(tmp_path_factory.mktemp("bingx-sim"))
    try:
        simulator.start()
    except StackError as exc:
        simulator.stop()
        pytest.fail(f"the BingX simulator did not start: {exc}")
    yield simulator
    simulator.stop()


@pytest.fixture
def namespace() -> str:
    """A unique lowercase token: stream names, subject prefixes, database names."""
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
def nats_url(nats_server: Any) -> str:
    """The admin user's URL (tests create their own streams)."""
    return str(nats_server.admin_url)


@pytest.fixture
def database_url(postgres_server: Any, namespace: str) -> str:
    """A fresh database for this test."""
    return str(postgres_server.create_database(namespace))


@pytest.fixture
def vault_client(openbao_server: OpenBaoServer) -> hvac.Client:
    """An hvac client with the dev server's root token."""
    return openbao_server.client()


@pytest.fixture
def event_registry() -> EventRegistry:
    """The event types ``event_store`` accepts (every Fleet event; a test module that uses
    event types of its own overrides this fixture)."""
    return default_registry()


@pytest.fixture
async def event_store(
    nats_url: str, namespace: str, event_registry: EventRegistry
) -> AsyncIterator[EventStore]:
    """An EventStore on a fresh stream of this test's namespace (admin connection)."""
    connection = await nats.connect(nats_url)
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    await ensure_stream(connection.jetstream(), spec)
    await ensure_telemetry_stream(connection.jetstream(), TelemetrySpec.beside(spec))
    await ensure_quarantine_bucket(connection.jetstream())
    yield EventStore(connection, spec, registry=event_registry)
    await connection.close()
