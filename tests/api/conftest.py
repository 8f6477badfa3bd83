"""The HTTP API as people use it: the auth service and the gateway as real processes on a
real NATS (each with its own NATS user) and PostgreSQL, started once per test module.

Test modules cannot import this file at run time (``--import-mode=importlib``); they use
the ``stack`` fixture and import these classes under ``TYPE_CHECKING`` for annotations.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
import pyotp
import pytest
from nats.aio.client import Client

from fleet.events import ActorId, AggregateId, AggregateRef, DomainEvent, wrap
from fleet.events.auth_commands import BootstrapAdmin, UnlockUser
from fleet.events.commands import Command, command_subject
from fleet.events.vault_commands import VerifyCredential
from fleet.eventstore import EventStore, StreamSpec
from fleet.eventstore.stream import ensure_platform
from fleet.stack.smtp_sink import SmtpSink
from fleet.testing.services import ServiceProcess

PASSWORD = "correct horse battery staple"
CHEAP_ARGON2 = {
    "FLEET_ARGON2_TIME_COST": "1",
    "FLEET_ARGON2_MEMORY_KIB": "8192",
    "FLEET_ARGON2_PARALLELISM": "1",
}


@dataclass
class Account:
    user_id: str
    username: str
    password: str
    role: str
    totp_secret: str = ""  # set once two-factor authentication is on
    totp_step: int = -1  # time step of the last code that signed in (a code is good once)
    spare_codes: list[str] = field(default_factory=list)  # recovery codes for quick re-logins

    async def totp_code(self) -> str:
        """A code auth has not accepted yet: the current step's, else the next one's (one
        step of drift is accepted), else a recovery code, else the code of a step still to
        come (waits for it)."""
        totp = pyotp.TOTP(self.totp_secret)
        while True:
            current = totp.timecode(datetime.now(UTC))
            step = max(current, self.totp_step + 1)
            if step <= current + 1:
                self.totp_step = step
                return totp.generate_otp(step)
            if self.spare_codes:
                return self.spare_codes.pop()
            await asyncio.sleep(0.5)


class Session:
    """A signed-in browser: cookies kept, the CSRF header sent on every request."""

    def __init__(self, http: httpx.AsyncClient, account: Account, csrf: str) -> None:
        self.http = http
        self.account = account
        self.csrf = csrf
        http.headers["X-CSRF-Token"] = csrf

    @property
    def user_id(self) -> str:
        return self.account.user_id

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.post(path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.put(path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.delete(path, **kwargs)


@dataclass
class Stack:
    """The running auth service and gateway, and what the tests used (for secret scans)."""

    base_url: str
    nats_admin_url: str
    nc: Client
    store: EventStore
    database_url: str
    logs: dict[str, Path]
    processes: dict[str, ServiceProcess]
    admin: Account | None = None
    secrets: set[str] = field(default_factory=set)  # passwords, session ids, tokens
    csrf_tokens: set[str] = field(default_factory=set)  # in login answers by design
    shown_once: set[str] = field(default_factory=set)  # TOTP secrets, recovery codes
    answers: list[str] = field(default_factory=list)
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self, ip: str = "127.0.0.1") -> httpx.AsyncClient:
        """An HTTP client whose requests come from ``ip`` (127.0.0.x are all local)."""
        transport = httpx.AsyncHTTPTransport(local_address=ip)
        http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=30,
            event_hooks={"response": [self._keep_answer]},
        )
        self.clients.append(http)
        return http

    async def _keep_answer(self, response: httpx.Response) -> None:
        await response.aread()
        self.answers.append(response.text)

    async def ask(self, command: Command) -> dict[str, Any]:
        """Send a command to a service directly (as an operator would)."""
        answer = await self.nc.request(
            command_subject(command), command.model_dump_json().encode(), timeout=15
        )
        reply: dict[str, Any] = json.loads(answer.data)
        return reply

    async def login(self, account: Account, ip: str = "127.0.0.1") -> Session:
        """Sign in; a required password change is made at once (the new one is kept), and
        an admin enrols in two-factor authentication at once (the secret is kept: later
        sign-ins send its current code)."""
        http = self.client(ip)
        credentials = {"username": account.username, "password": account.password}
        if account.totp_secret:
            credentials["totp_code"] = await account.totp_code()
        answer = await http.post("/api/auth/login", json=credentials)
        assert answer.status_code == 200, answer.text
        self._remember(http, answer)
        account.user_id = answer.json()["user_id"]
        session = Session(http, account, answer.json()["csrf_token"])
        if answer.json()["must_change_password"]:
            new = account.password + " renewed"
            changed = await session.post(
                "/api/auth/password",
                json={"current_password": account.password, "new_password": new},
            )
            assert changed.status_code == 200, changed.text
            account.password = new
            self.secrets.add(new)
            self._remember(http, changed)
            session = Session(http, account, changed.json()["csrf_token"])
        if account.role == "admin" and not account.totp_secret:
            await self.enrol_totp(session)
        return session

    async def enrol_totp(self, session: Session) -> list[str]:
        """Switch two-factor authentication on for the session's account (its secret is
        kept on the account); returns the recovery codes."""
        enrolment = await session.post("/api/auth/2fa/enrol")
        assert enrolment.status_code == 200, enrolment.text
        secret = enrolment.json()["secret"]
        self.shown_once.add(secret)
        totp = pyotp.TOTP(secret)
        step = totp.timecode(datetime.now(UTC))
        confirmed = await session.post(
            "/api/auth/2fa/confirm", json={"code": totp.generate_otp(step)}
        )
        assert confirmed.status_code == 200, confirmed.text
        session.account.totp_secret = secret
        session.account.totp_step = step  # the confirming code is used: it signs in no more
        codes: list[str] = confirmed.json()["recovery_codes"]
        session.account.spare_codes = codes[5:]  # the first five stay the caller's
        self.shown_once.update(codes)
        return codes

    def _remember(self, http: httpx.AsyncClient, answer: httpx.Response) -> None:
        if session_id := http.cookies.get("fleet_session"):
            self.secrets.add(session_id)
        if csrf := answer.json().get("csrf_token"):
            self.csrf_tokens.add(csrf)

    async def create_user(self, admin: Session, role: str, name: str = "") -> Account:
        """A new account created through the admin API."""
        username = name or f"{role}-{uuid.uuid4().hex[:8]}"
        password = f"{PASSWORD} {uuid.uuid4().hex[:6]}"
        self.secrets.add(password)
        answer = await admin.post(
            "/api/admin/users",
            json={
                "username": username,
                "password": password,
                "role": role,
                "email": f"{username}@example.com",
            },
        )
        assert answer.status_code == 201, answer.text
        return Account(answer.json()["id"], username, password, role)

    async def new_session(self, admin: Session, role: str, ip: str = "127.0.0.1") -> Session:
        return await self.login(await self.create_user(admin, role), ip)

    async def append(self, kind: str, owner: str, *events: DomainEvent) -> int:
        """Append events as the service owning them would (e.g. the executor's)."""
        aggregate = AggregateRef(type=kind, id=AggregateId(owner))
        envelopes = [wrap(event, aggregate, actor=ActorId(owner)) for event in events]
        stored = await self.store.append(aggregate, envelopes, expected_version=None)
        return stored[-1].sequence or 0

    def logged(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs.values())


async def _wait_auth(stack: Stack) -> None:
    for _ in range(150):
        try:
            await stack.ask(UnlockUser(user_id="nobody"))
            return
        except (TimeoutError, nats.errors.NoRespondersError):
            await asyncio.sleep(0.2)
    raise AssertionError(f"auth did not answer: {stack.processes['auth'].process.tail()}")


async def _wait_vault(stack: Stack) -> None:
    for _ in range(150):
        try:
            await stack.ask(VerifyCredential(user_id="nobody"))
            return
        except (TimeoutError, nats.errors.NoRespondersError):
            await asyncio.sleep(0.2)
    raise AssertionError(f"vault did not answer: {stack.processes['vault'].process.tail()}")


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    """Services besides auth and the gateway (a module overrides it: "vault", "executor")."""
    return ()


# every test client signs in from 127.0.0.1: one source that signs in hundreds of users a
# minute (tests/security/accounts keep the production budget to test it)
AUTH_ENV = {
    "FLEET_LOGIN_AUDIT_WINDOW_S": "1",
    "FLEET_LOGIN_SOURCE_PER_MINUTE": "6000",
    "FLEET_LOGIN_SOURCE_BURST": "500",
}


@pytest.fixture(scope="module")
def gateway_env() -> dict[str, str]:
    """Extra environment of the gateway (a module overrides it, e.g. to lower a limit)."""
    return {}


@pytest.fixture(scope="module")
def auth_env() -> dict[str, str]:
    """Settings of the auth service besides cheap argon2 (a module overrides it)."""
    return AUTH_ENV


@pytest.fixture(scope="module")
def gateway_workers() -> int:
    """Gateway processes sharing the port (a module overrides it to run several)."""
    return 1


def _extra_env(
    request: pytest.FixtureRequest, name: str, default: dict[str, str]
) -> dict[str, str]:
    # suites that reuse these fixtures without declaring gateway_env / auth_env (tests/ui,
    # tests/security) get the default
    try:
        extra: dict[str, str] = request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return default
    return extra


def _demo_url(request: pytest.FixtureRequest, live_url: str) -> str:
    """BingX VST's stand-in: a module's ``bingx_demo_sim`` fixture, else the one simulator."""
    try:
        return str(request.getfixturevalue("bingx_demo_sim").url)
    except pytest.FixtureLookupError:
        return live_url


def _environments(
    request: pytest.FixtureRequest, nats_server: Any, spec: StreamSpec, database_url: str
) -> dict[str, dict[str, str]]:
    common = {
        "FLEET_STREAM_NAME": spec.name,
        "FLEET_SUBJECT_PREFIX": spec.prefix,
        "FLEET_LOG_LEVEL": "debug",
    }
    envs = {
        "auth": CHEAP_ARGON2
        | {"FLEET_DATABASE_URL": database_url}
        | _extra_env(request, "auth_env", AUTH_ENV),
        "gateway": {
            "FLEET_DATABASE_URL": database_url,
            "FLEET_COOKIE_SECURE": "false",
            "FLEET_HTTP_WORKERS": str(request.getfixturevalue("gateway_workers")),
        }
        | _extra_env(request, "gateway_env", {}),
    }
    extra = request.getfixturevalue("extra_services")
    if "notify" in extra:
        envs["notify"] = _notify_env(request, database_url)
    if {"vault", "executor"} & set(extra):
        sim = request.getfixturevalue("bingx_sim")
        bao = request.getfixturevalue("openbao_server")
        demo = _demo_url(request, sim.url)
        envs["vault"] = {
            "FLEET_VAULT_ADDR": bao.addr,
            "FLEET_VAULT_TOKEN": bao.root_token,
            "FLEET_BINGX_BASE_URL": sim.url,
            "FLEET_BINGX_DEMO_BASE_URL": demo,
            "FLEET_HEALTH_CHECK_MINUTES": "60",
            # every test trader connects from this one platform: its budget is tested by
            # tests/security/accounts/test_connect.py with the per-user limit
            "FLEET_CONNECT_PLATFORM_PER_MINUTE": "6000",
            "FLEET_CONNECT_PLATFORM_BURST": "1000",
        }
        if getattr(bao, "tls", None) is not None:  # tests/security/tls: verify-full
            envs["vault"]["FLEET_VAULT_CA_FILE"] = str(bao.tls.ca_file)
        envs["executor"] = {
            "FLEET_BINGX_BASE_URL": sim.url,
            "FLEET_BINGX_DEMO_BASE_URL": demo,
            "FLEET_PARTITIONS": "2",
            "FLEET_RATE_LIMITS": "false",
            "FLEET_POLL_INTERVAL_S": "1",
        }
    chosen = ("auth", *extra, "gateway")
    return {name: common | envs[name] | nats_server.env_for(name) for name in chosen}


WEBHOOK_SIGNING_KEY = "test-webhook-master-key"


@pytest.fixture(scope="module")
def smtp_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd, fleet up's sink) keeping every mail in a Maildir."""
    root = tmp_path_factory.mktemp("smtp")
    sink = SmtpSink(root / "mails", root)
    sink.start()
    yield sink
    sink.stop()


def _notify_env(request: pytest.FixtureRequest, database_url: str) -> dict[str, str]:
    """The notify service sending e-mail to the module's ``smtp_sink``."""
    sink: SmtpSink = request.getfixturevalue("smtp_sink")
    return {
        "FLEET_DATABASE_URL": database_url,  # the personal-data keys (e-mail addresses)
        "FLEET_SMTP_HOST": "127.0.0.1",
        "FLEET_SMTP_PORT": str(sink.port),
        "FLEET_SMTP_STARTTLS": "false",
        "FLEET_WEBHOOK_SIGNING_KEY": WEBHOOK_SIGNING_KEY,
        "FLEET_WEBHOOK_ALLOWED_HOSTS": json.dumps(["127.0.0.1"]),  # local receivers
        "FLEET_RETRY_BASE_S": "0.05",
        "FLEET_DELIVERY_ATTEMPTS": "2",
    }


@pytest.fixture(scope="module")
async def stack(
    request: pytest.FixtureRequest,
    nats_server: Any,
    postgres_server: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    """Auth, the gateway (and ``extra_services``) on a stream and a database of their own,
    each a process with its own NATS user, and a bootstrapped admin."""
    namespace = "t" + uuid.uuid4().hex[:12]
    nc = await nats.connect(**nats_server.connect_options("admin"))
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    await ensure_platform(nc.jetstream(), spec)
    database_url = postgres_server.create_database(namespace)
    logs_dir = tmp_path_factory.mktemp("api")
    envs = _environments(request, nats_server, spec, database_url)
    processes = {name: ServiceProcess(name, env, logs_dir) for name, env in envs.items()}
    gateway = processes["gateway"]
    logs = {name: process.log_path for name, process in processes.items()}
    running = Stack(
        gateway.url,
        nats_server.admin_url,
        nc,
        EventStore(nc, spec),
        database_url,
        logs,
        processes,
    )
    try:
        for name, process in processes.items():
            process.start()
            if name == "vault":
                await _wait_vault(running)
        await _wait_auth(running)
        running.admin = await _bootstrap_admin(running)
        yield running
    finally:
        for http in running.clients:
            await http.aclose()
        for process in reversed(processes.values()):
            process.stop()
        await nc.close()


async def _bootstrap_admin(stack: Stack) -> Account:
    reply = await stack.ask(
        BootstrapAdmin(username="root", password=PASSWORD, email="root@example.com")
    )
    assert reply["ok"] and reply["data"]["created"], reply
    stack.secrets.add(PASSWORD)
    return Account(str(reply["data"].get("user_id", "")), "root", PASSWORD, "admin")


@pytest.fixture(scope="module")
async def admin(stack: Stack) -> Session:
    """The bootstrap admin, signed in."""
    assert stack.admin is not None
    return await stack.login(stack.admin)
