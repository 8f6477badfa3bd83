"""Least privilege on the bus, against a real nats-server with the deployed permissions.

Per service: everything in its row of :mod:`fleet.stack.permissions` works (append its
aggregate types, send and serve its commands, use its KV buckets, read the log), and a
representative of everything else is refused: a publish gets a permission violation and
is never stored, a subscription never receives.
"""

import asyncio
import contextlib
import json
import re
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import nkeys
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.js.api import StreamConfig
from nats.js.errors import Error as JetStreamError
from typer.testing import CliRunner

from fleet.cli.main import app
from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, EventRegistry
from fleet.eventstore import EventStore, StreamSpec, ensure_stream
from fleet.eventstore.stream import (
    DEFAULT_PREFIX,
    DEFAULT_STREAM,
    LEASE_BUCKET,
    MARKET_STREAM,
    NOTIFY_BUCKET,
    TELEMETRY_PREFIX,
    TELEMETRY_STREAM,
    ensure_domain_stream,
    ensure_platform,
)
from fleet.stack import NatsServer
from fleet.stack.nats_config import new_password
from fleet.stack.nkey_files import seed_path
from fleet.stack.permissions import SERVICE_USERS, Row, inbox_prefix, row_of, table
from fleet.stack.process import ManagedProcess, bin_dir, free_port, port_answers

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

WAIT_S = 0.5


class Noted(DomainEvent):
    """A test-only event: appends are screened against a registry that must declare it."""

    event_type = "t.e"


REGISTRY = EventRegistry([Noted])


async def refused(action: Any) -> bool:
    try:
        await asyncio.wait_for(action, timeout=WAIT_S)
    except (NatsError, JetStreamError, TimeoutError):
        return True
    return False


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A nats-server with the deployed permissions (stream FLEET_EVENTS, prefix ev) and
    the streams and buckets ``fleet up`` makes."""
    server = NatsServer(tmp_path_factory.mktemp("nats-deployed"))
    server.start()
    asyncio.run(ensure_domain_stream(server.admin_url))
    yield server
    server.stop()


class Connection:
    """A service's connection that keeps the permission violations the server reports."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.nc: Client | None = None

    async def open(self, server: NatsServer, user: str) -> Client:
        async def noted(error: Exception) -> None:
            if "permissions violation" in str(error).lower():
                self.violations.append(str(error))

        self.nc = await nats.connect(**server.connect_options(user), error_cb=noted)
        return self.nc

    async def violation_for(self, subject: str) -> bool:
        """Whether the server reported a violation naming ``subject`` (waits a little)."""
        for _ in range(20):
            if any(f'"{subject.lower()}"' in found.lower() for found in self.violations):
                return True
            await asyncio.sleep(WAIT_S / 10)
        return False


@pytest.fixture
async def admin(deployed: NatsServer) -> AsyncIterator[Client]:
    nc = await nats.connect(deployed.admin_url)
    yield nc
    await nc.close()


async def _as(server: NatsServer, user: str) -> tuple[Client, Connection]:
    connection = Connection()
    return await connection.open(server, user), connection


def _others(row: Row) -> list[Row]:
    return [other for other in table() if other.service != row.service]


async def _stored(admin: Client, subject: str) -> bool:
    try:
        await admin.jetstream().get_last_msg(DEFAULT_STREAM, subject)
    except JetStreamError:
        return False
    return True


async def _asked(admin: Client, subject: str, violations: list[str]) -> Msg:
    """``admin``'s request on ``subject``, asked again after "no responders" (seen once
    on a loaded machine although the server had acknowledged the subscription); a refused
    subscription never answers, so three tries still fail on a missing permission."""
    for attempt in range(3):
        try:
            return await admin.request(subject, b"ping", timeout=2)
        except NoRespondersError:
            if attempt == 2:
                raise
            await asyncio.sleep(0.2)
        except NatsError as exc:
            pytest.fail(f"{subject}: {exc!r} {violations}")
    raise AssertionError("unreachable")


@pytest.mark.parametrize("service", SERVICE_USERS)
async def test_everything_in_a_row_works(deployed: NatsServer, admin: Client, service: str) -> None:
    row = row_of(service)
    nc, connection = await _as(deployed, service)
    js = nc.jetstream(timeout=2)
    for entry in row.appends:  # append its aggregate types (JetStream acknowledges)
        ack = await js.publish(f"{DEFAULT_PREFIX}.{entry.name}.{service}1", b"{}")
        assert ack.stream == DEFAULT_STREAM
    # read the log: a pull consumer, fetch, ack; the last message of a subject
    sub = await js.pull_subscribe(f"{DEFAULT_PREFIX}.>", stream=DEFAULT_STREAM)
    if row.appends:
        fetched = await sub.fetch(1, timeout=2)
        await fetched[0].ack()
        subject = f"{DEFAULT_PREFIX}.{row.appends[0].name}.{service}1"
        assert (await js.get_last_msg(DEFAULT_STREAM, subject)).data == b"{}"
    await sub.unsubscribe()
    assert (await js.stream_info(DEFAULT_STREAM)).config.name == DEFAULT_STREAM
    for entry in row.sends:  # send its commands and get the reply
        responder = await admin.subscribe(entry.name, cb=_echo(admin))
        await admin.flush()
        assert (await _asked(nc, entry.name, connection.violations)).data == b"pong"
        await responder.unsubscribe()
    for entry in row.serves:  # serve its commands (the reply goes back to the sender)
        served = await nc.subscribe(entry.name, cb=_echo(nc))
        await nc.flush()
        answer = await _asked(admin, entry.name, connection.violations)
        assert answer.data == b"pong", entry.name
        await served.unsubscribe()
    for entry in row.kv:  # its KV buckets
        kv = await js.key_value(entry.name)
        revision = await kv.put(f"probe-{service}", b"1")
        assert (await kv.get(f"probe-{service}")).revision == revision
        assert f"probe-{service}" in await kv.keys()
        await kv.delete(f"probe-{service}")
    for entry in row.kv_reads:  # KV buckets it only reads
        kv = await js.key_value(entry.name)
        await (await admin.jetstream().key_value(entry.name)).put(f"probe-{service}", b"1")
        assert (await kv.get(f"probe-{service}")).value == b"1"
        assert f"probe-{service}" in await kv.keys()  # a put is refused: see the gateway's test
    for entry in row.publishes:  # market data, or telemetry (routine decisions)
        subject = entry.name.replace(">", "probe.1m").replace("*", f"{service}1")
        into = TELEMETRY_STREAM if subject.startswith(f"{TELEMETRY_PREFIX}.") else MARKET_STREAM
        assert (await js.publish(subject, b"{}")).stream == into
    for entry in row.reads:
        assert (await js.stream_info(entry.name)).config.name == entry.name
    await nc.flush()
    assert connection.violations == []
    await nc.close()


def _echo(nc: Client) -> Any:
    async def answer(msg: Msg) -> None:
        await nc.publish(msg.reply, b"pong")

    return answer


@pytest.mark.parametrize("service", SERVICE_USERS)
async def test_what_is_not_in_a_row_is_refused(
    deployed: NatsServer, admin: Client, service: str
) -> None:
    row = row_of(service)
    nc, connection = await _as(deployed, service)
    mine = {entry.name for entry in (*row.sends, *row.serves)}
    # another service's aggregate types: refused, never stored
    for other in _others(row):
        for entry in other.appends:
            subject = f"{DEFAULT_PREFIX}.{entry.name}.forged{service}"
            await nc.publish(subject, b'{"forged": true}')
            assert await connection.violation_for(subject), subject
            assert not await _stored(admin, subject), subject
    # commands it neither sends nor serves: no publish, no listening
    foreign = sorted(
        {e.name for other in _others(row) for e in (*other.serves, *other.sends)} - mine
    )
    delivered: list[str] = []

    async def collect(msg: Msg) -> None:
        delivered.append(msg.subject)

    for subject in foreign:
        await nc.subscribe(subject, cb=collect)
        await nc.publish(subject, b"{}")
        assert await connection.violation_for(subject), subject
        await admin.publish(subject, b"{}")
    # nor another service's replies, nor the default inbox
    for inbox in ("_INBOX.>", *(f"{other.inbox}.>" for other in _others(row))):
        await nc.subscribe(inbox, cb=collect)
        assert await connection.violation_for(inbox), (inbox, connection.violations[-3:])
        await admin.publish(inbox.replace(">", "x"), b"reply")
    await admin.flush()
    await asyncio.sleep(WAIT_S)
    assert delivered == []
    # KV buckets it does not use
    js = nc.jetstream(timeout=WAIT_S)
    used = {entry.name for entry in (*row.kv, *row.kv_reads)}
    for bucket in {entry.name for other in _others(row) for entry in other.kv} - used:
        assert await refused(js.key_value(bucket)), bucket
        await nc.publish(f"$KV.{bucket}.probe", b"taken")
        assert await connection.violation_for(f"$KV.{bucket}.probe"), bucket
    # the stream's administration
    assert await refused(js.delete_stream(DEFAULT_STREAM))
    assert await refused(js.purge_stream(DEFAULT_STREAM))
    assert await refused(js.delete_msg(DEFAULT_STREAM, 1))
    await nc.close()


async def test_the_gateway_cannot_write_users_nor_touch_vault_commands_nor_write_leases(
    deployed: NatsServer, admin: Client
) -> None:
    nc, connection = await _as(deployed, "gateway")
    await nc.publish(f"{DEFAULT_PREFIX}.user.u1", b'{"role": "admin"}')
    assert await connection.violation_for(f"{DEFAULT_PREFIX}.user.u1")
    seen: list[bytes] = []

    async def collect(msg: Msg) -> None:
        seen.append(msg.data)

    for subject in ("cmd.vault.sign", "cmd.vault.connect", "cmd.vault.>"):
        await nc.subscribe(subject, queue="vault", cb=collect)
        assert await connection.violation_for(subject), subject
    await admin.publish("cmd.vault.connect", b"secret")
    await admin.publish("cmd.vault.sign", b"payload")
    await admin.flush()
    await asyncio.sleep(WAIT_S)
    assert seen == []
    # the leases it reads (the admin's system page) but can neither take nor release
    lease = await admin.jetstream().key_value(LEASE_BUCKET)
    await lease.put("strategy", b"owner")
    readable = await nc.jetstream(timeout=WAIT_S).key_value(LEASE_BUCKET)
    assert (await readable.get("strategy")).value == b"owner"
    assert await refused(readable.put("strategy", b"gateway"))
    assert await connection.violation_for(f"$KV.{LEASE_BUCKET}.strategy")
    assert await refused(readable.delete("strategy"))
    assert (await lease.get("strategy")).value == b"owner"
    await nc.close()


async def test_the_strategy_cannot_append_an_order(deployed: NatsServer, admin: Client) -> None:
    nc, connection = await _as(deployed, "strategy")
    subject = f"{DEFAULT_PREFIX}.account.u1"
    assert await refused(nc.jetstream(timeout=WAIT_S).publish(subject, b'{"order": 1}'))
    assert await connection.violation_for(subject)
    assert not await _stored(admin, subject)
    await nc.close()


@pytest.mark.parametrize("service", [s for s in SERVICE_USERS if s != "executor"])
async def test_only_the_executor_writes_telemetry(
    deployed: NatsServer, admin: Client, service: str
) -> None:
    """A forged routine decision would show in a trader's feed: no other user may publish
    under ``tm``."""
    nc, connection = await _as(deployed, service)
    subject = f"{TELEMETRY_PREFIX}.account.forged{service}"
    await nc.publish(subject, b'{"forged": true}')
    assert await connection.violation_for(subject)
    await nc.close()
    with pytest.raises(JetStreamError):
        await admin.jetstream().get_last_msg(TELEMETRY_STREAM, subject)


async def test_a_service_user_is_its_nkey_and_nothing_else(
    deployed: NatsServer, tmp_path: Path
) -> None:
    quiet = {"max_reconnect_attempts": 0, "allow_reconnect": False, "connect_timeout": 2}
    with pytest.raises((NatsError, OSError)):  # no seed: no user
        await nats.connect(deployed.url_for("gateway"), **quiet)
    with pytest.raises((NatsError, OSError)):  # the old password form
        await nats.connect(deployed.public_url.replace("//", "//gateway:x@"), **quiet)
    stranger = tmp_path / "stranger.nk"
    stranger.write_bytes(nkeys.encode_seed(bytes(32), nkeys.PREFIX_BYTE_USER))
    with pytest.raises((NatsError, OSError)):  # a seed the server does not know
        await nats.connect(deployed.public_url, nkeys_seed=str(stranger), **quiet)
    nc = await nats.connect(**deployed.connect_options("gateway"))
    assert nc.is_connected
    await nc.close()


# The test suite's shared server: any stream and prefix, the rest as deployed.
@pytest.mark.parametrize("user", ["auth", "executor"])
async def test_a_service_cannot_change_the_stream(
    nats_server: Any, namespace: str, user: str
) -> None:
    admin = await nats.connect(nats_server.admin_url)
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    await ensure_stream(admin.jetstream(), spec)
    service = await nats.connect(**nats_server.connect_options(user))
    js = service.jetstream(timeout=0.5)
    aggregate = AggregateRef(type=row_of(user).appends[0].name, id=AggregateId("a"))
    event = Envelope(type="t.e", schema_version=1, aggregate=aggregate, data={})
    assert await EventStore(service, spec, registry=REGISTRY).append(
        aggregate, [event], 0
    )  # appending its own aggregate type is allowed
    assert await refused(js.delete_stream(spec.name))
    assert await refused(js.purge_stream(spec.name))
    assert await refused(js.update_stream(StreamConfig(name=spec.name, subjects=["x.>"])))
    assert await refused(js.add_stream(StreamConfig(name=f"NEW_{namespace}", subjects=["y.>"])))
    assert await refused(js.delete_msg(spec.name, 1))
    info = await admin.jetstream().stream_info(spec.name)
    assert info.state.messages == 1 and info.config.subjects == [f"{namespace}.>"]
    await service.close()
    await admin.close()


async def test_in_the_shared_test_server_kv_buckets_stay_per_row(nats_server: Any) -> None:
    """The wildcard stream name of the test scope does not open the other rows' buckets
    (the gateway reads leases and budgets for the admin's system page, never notify's)."""
    admin = await nats.connect(nats_server.admin_url)
    await ensure_platform(admin.jetstream(), StreamSpec())  # the bucket is there
    gateway = await nats.connect(**nats_server.connect_options("gateway"))
    assert await refused(gateway.jetstream(timeout=WAIT_S).key_value(NOTIFY_BUCKET))
    await gateway.close()
    await admin.close()


async def test_only_the_executor_may_ask_vault_to_sign(nats_server: Any) -> None:
    vault = await nats.connect(**nats_server.connect_options("vault"))
    seen: list[bytes] = []

    async def collect(msg: Msg) -> None:
        seen.append(msg.data)

    sub = await vault.subscribe("cmd.vault.sign", cb=collect)
    gateway = await nats.connect(**nats_server.connect_options("gateway"))
    executor = await nats.connect(**nats_server.connect_options("executor"))
    with contextlib.suppress(NatsError):
        await gateway.publish("cmd.vault.sign", b"from-gateway")
    await executor.publish("cmd.vault.sign", b"from-executor")
    await gateway.flush()
    await executor.flush()
    await asyncio.sleep(0.3)
    assert seen == [b"from-executor"]
    await sub.unsubscribe()
    for client in (vault, gateway, executor):
        await client.close()


# --- The compose set-up: deploy/compose/nats.conf as committed, keys from `fleet nats keys` --


class ComposeNats:
    """deploy/compose/nats.conf run as one node: the addresses rewritten to loopback and
    its cluster and TLS blocks left out (one node, no peers to resolve; TLS is proven by
    tests/security/tls and tests/deploy/test_nats_tls.py); the admin's password and
    the services' public keys in its environment, as docker-compose gives them."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.seeds = home / "nkeys"
        self.env_file = home / ".env"
        self.port, monitor = free_port(), free_port()
        text = (ROOT / "deploy" / "compose" / "nats.conf").read_text()
        text = re.sub(r"\ncluster \{.*?\n\}", "", text, flags=re.S)
        text = re.sub(r"\ntls \{.*?\n\}", "", text, flags=re.S)
        text = text.replace('"0.0.0.0:4222"', f'"127.0.0.1:{self.port}"')
        text = text.replace('"0.0.0.0:8222"', f'"127.0.0.1:{monitor}"')
        text = text.replace('"/data/jetstream"', json.dumps(str(home / "jetstream")))
        text = text.replace('"/var/run/nats/nats.pid"', json.dumps(str(home / "nats.pid")))
        assert "0.0.0.0" not in text
        (home / "nats.conf").write_text(text)
        self.admin_password = new_password()
        self.process: ManagedProcess | None = None

    def keys(self, *extra: str) -> None:
        """``fleet nats keys`` as make-env.sh runs it (plus ``extra`` options)."""
        args = ["nats", "keys", "--seeds-dir", str(self.seeds), "--env-file", str(self.env_file)]
        answer = CliRunner().invoke(app, [*args, *extra])
        assert answer.exit_code == 0, answer.output

    def start(self) -> None:
        env = dict(line.split("=", 1) for line in self.env_file.read_text().splitlines())
        env |= {"SERVER_NAME": "nats-1", "NATS_ADMIN_PASSWORD": self.admin_password}
        argv = [str(bin_dir() / "nats-server"), "-c", str(self.home / "nats.conf")]
        self.process = ManagedProcess("nats-compose", argv, self.home / "nats.log", env=env)
        self.process.start()
        self.process.wait_until(lambda: port_answers(self.port))

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def as_service(self, seed_of: str, user: str | None = None) -> dict[str, Any]:
        """Connect options of a process that reads ``seed_of``'s seed (as the compose
        container of ``user``, by default the seed's own service, would)."""
        return {
            "servers": self.url,
            "nkeys_seed": str(seed_path(self.seeds, seed_of)),
            "inbox_prefix": inbox_prefix(user or seed_of),
        }


QUIET: dict[str, Any] = {
    "max_reconnect_attempts": 0,
    "allow_reconnect": False,
    "connect_timeout": 2,
}


@pytest.fixture(scope="module")
def compose_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeNats]:
    server = ComposeNats(tmp_path_factory.mktemp("nats-compose"))
    server.keys("--file-mode", "644")
    server.start()
    yield server
    server.stop()


def test_the_compose_set_up_keeps_seeds_out_of_the_env_file(compose_nats: ComposeNats) -> None:
    env = compose_nats.env_file.read_text()
    assert stat.S_IMODE(compose_nats.env_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(compose_nats.seeds.stat().st_mode) == 0o700
    for service in SERVICE_USERS:
        seed = seed_path(compose_nats.seeds, service)
        assert seed.read_text().startswith("SU") and seed.read_text().strip() not in env
        assert f"NATS_{service.upper()}_NKEY=U" in env


@pytest.mark.parametrize("service", SERVICE_USERS)
async def test_a_compose_service_with_its_seed_gets_its_row_and_no_more(
    compose_nats: ComposeNats, service: str
) -> None:
    admin = await nats.connect(
        compose_nats.url.replace("//", f"//admin:{compose_nats.admin_password}@")
    )
    seen: list[str] = []

    async def collect(msg: Msg) -> None:
        seen.append(msg.subject)

    await admin.subscribe(f"{DEFAULT_PREFIX}.>", cb=collect)
    await admin.flush()
    connection = Connection()

    async def noted(error: Exception) -> None:
        connection.violations.append(str(error))

    nc = await nats.connect(**compose_nats.as_service(service), error_cb=noted, **QUIET)
    connection.nc = nc
    own = [f"{DEFAULT_PREFIX}.{entry.name}.{service}1" for entry in row_of(service).appends]
    for subject in own:
        await nc.publish(subject, b"{}")
    foreign = [
        f"{DEFAULT_PREFIX}.{entry.name}.forged{service}"
        for other in _others(row_of(service))
        for entry in other.appends
    ]
    for subject in foreign:
        await nc.publish(subject, b'{"forged": true}')
    await nc.flush()
    for subject in foreign:
        assert await connection.violation_for(subject), subject
    await admin.flush()
    await asyncio.sleep(WAIT_S)
    assert sorted(seen) == sorted(own)  # its own aggregate types arrived; nothing forged
    await nc.close()
    await admin.close()


async def test_a_stolen_seed_carries_its_owners_permissions_only(
    compose_nats: ComposeNats,
) -> None:
    """The gateway's process holding the strategy's seed is the strategy, no more: it may
    append signals, not the gateway's audit nor users; its replies come to its own inbox."""
    connection = Connection()

    async def noted(error: Exception) -> None:
        connection.violations.append(str(error))

    stolen = compose_nats.as_service("strategy", user="gateway")  # the gateway's inbox
    nc = await nats.connect(**stolen, error_cb=noted, **QUIET)
    await nc.publish(f"{DEFAULT_PREFIX}.signal.s1", b"{}")
    await nc.publish(f"{DEFAULT_PREFIX}.audit.a1", b"{}")
    await nc.publish(f"{DEFAULT_PREFIX}.user.u1", b"{}")
    await nc.flush()
    assert await connection.violation_for(f"{DEFAULT_PREFIX}.audit.a1")
    assert await connection.violation_for(f"{DEFAULT_PREFIX}.user.u1")
    assert not await connection.violation_for(f"{DEFAULT_PREFIX}.signal.s1")
    with contextlib.suppress(NatsError):
        await nc.subscribe("_INBOX_gateway.>")  # the gateway's replies: not the strategy's
    assert await connection.violation_for("_INBOX_gateway.>")
    await nc.close()


@pytest.mark.parametrize(
    "credentials",
    [
        {"user": "gateway", "password": "any"},  # a service user by password: none exists
        {"user": "admin", "password": "wrong"},
        {},  # nothing
    ],
)
async def test_compose_nats_refuses_passwords_and_anonymous_clients(
    compose_nats: ComposeNats, credentials: dict[str, str]
) -> None:
    with pytest.raises((NatsError, OSError)):
        await nats.connect(compose_nats.url, **credentials, **QUIET)


async def test_a_rotated_seed_replaces_the_old_one(tmp_path: Path) -> None:
    """deploy/RUNBOOKS.md "Rotate NATS credentials": new seed and public key, NATS
    restarted with the new environment: the old seed is refused, the others still work."""
    server = ComposeNats(tmp_path)
    server.keys()
    old = tmp_path / "old-gateway.nk"
    old.write_bytes(seed_path(server.seeds, "gateway").read_bytes())
    untouched = seed_path(server.seeds, "auth").read_bytes()
    server.keys("--rotate", "gateway")
    assert seed_path(server.seeds, "auth").read_bytes() == untouched
    assert seed_path(server.seeds, "gateway").read_bytes() != old.read_bytes()
    server.start()
    try:
        with pytest.raises((NatsError, OSError)):
            await nats.connect(server.url, nkeys_seed=str(old), **QUIET)
        for service in ("gateway", "auth"):
            nc = await nats.connect(**server.as_service(service), **QUIET)
            assert nc.is_connected
            await nc.close()
    finally:
        server.stop()
