"""The notify service as a real process on a real NATS, a real SMTP server (aiosmtpd on a
free port) and a local HTTP receiver for webhooks."""

from __future__ import annotations

import asyncio
import email
import json
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, wrap
from fleet.events.commands import Command, CommandReply, command_subject
from fleet.events.notifications import NOTIFICATION_AGGREGATE, SetNotificationPreferences
from fleet.events.users import EmailVerified, UserCreated
from fleet.eventstore import EventStore
from fleet.projections.meta import migrate
from fleet.projections.personal_keys import PersonalKeys
from fleet.stack import free_port
from fleet.stack.tls import issue
from fleet.testing.services import ServiceProcess

SIGNING_KEY = "test-webhook-master-key"


class Inbox:
    """aiosmtpd handler: every message caught, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@dataclass
class Receiver:
    """A webhook receiver: answers from ``script`` (then 200), keeps every request."""

    port: int
    script: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    huge_reply: bool = False
    requests: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        status = self.script.pop(0) if self.script else 200
        self.requests.append((dict(request.headers), body, status))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.huge_reply:
            reply = web.StreamResponse(status=200)
            await reply.prepare(request)
            chunk = b"x" * 65536
            for _ in range(160):  # 10 MB
                await reply.write(chunk)
            return reply
        return web.Response(status=status, text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver(free_port())
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", hook.port).start()
    yield hook
    await runner.cleanup()


@dataclass
class Harness:
    """The store, the notify process and helpers to act as the other services would."""

    store: EventStore
    nats_url: str
    env: dict[str, str]
    log_dir: Path
    keys: PersonalKeys | None = None  # seals e-mails as the auth service does
    processes: list[ServiceProcess] = field(default_factory=list)

    async def start(self, **extra: str) -> ServiceProcess:
        process = ServiceProcess("notify", self.env | extra, self.log_dir)
        self.processes.append(process)
        await asyncio.to_thread(process.start)
        return process

    async def append(self, kind: str, owner: str, *events: DomainEvent) -> list[Envelope]:
        aggregate = AggregateRef(type=kind, id=AggregateId(owner))
        return await self.store.append(aggregate, [wrap(e, aggregate) for e in events], None)

    async def user(self, user_id: str, role: str = "trader") -> None:
        address = f"{user_id}@fleet.test"
        if self.keys is not None:  # sealed with the user's key: notify must open it
            (address,) = await asyncio.to_thread(self.keys.seal, user_id, address)
        created = UserCreated(username=user_id, email=address, role=role)
        await self.append("user", user_id, created, EmailVerified())

    async def preferences(self, command: SetNotificationPreferences) -> CommandReply:
        return await self.ask(command)

    async def ask(self, command: Command) -> CommandReply:
        """Send one of the service's commands as the gateway would."""
        nc = await nats.connect(self.nats_url)
        try:
            body = command.model_dump_json().encode()
            answer = await nc.request(command_subject(command), body, timeout=10)
        finally:
            await nc.close()
        return CommandReply.model_validate_json(answer.data)

    async def notifications(self, user_id: str) -> list[Envelope]:
        aggregate = AggregateRef(type=NOTIFICATION_AGGREGATE, id=AggregateId(user_id))
        return await self.store.load(aggregate)

    async def wait_for(
        self, found: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = ""
    ) -> float:
        """Seconds until ``found()`` held (fails with the service's log tail otherwise)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if await found():
                return time.monotonic() - start
            await asyncio.sleep(0.05)
        logs = "\n".join(p.log()[-3000:] for p in self.processes)
        pytest.fail(f"timed out waiting for {what}\n{logs}")


@pytest.fixture
async def harness(
    event_store: EventStore, nats_url: str, namespace: str, tmp_path: Path, database_url: str
) -> AsyncIterator[Harness]:
    env = {
        "FLEET_NATS_URL": nats_url,
        "FLEET_DATABASE_URL": database_url,
        "FLEET_STREAM_NAME": event_store.spec.name,
        "FLEET_SUBJECT_PREFIX": event_store.spec.prefix,
        "FLEET_NOTIFY_POSITION_BUCKET": f"notify_{namespace}",
        "FLEET_SMTP_STARTTLS": "false",
        "FLEET_WEBHOOK_ALLOWED_HOSTS": json.dumps(["127.0.0.1"]),
        "FLEET_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        "FLEET_RETRY_BASE_S": "0.05",
        "FLEET_LOG_FORMAT": "console",
    }
    engine = create_engine(database_url)
    migrate(engine)
    harness = Harness(event_store, nats_url, env, tmp_path, keys=PersonalKeys(engine))
    yield harness
    for process in harness.processes:
        process.stop()
    engine.dispose()


SMTP_USER, SMTP_PASSWORD = "fleet-mailer", "smtp-secret-never-logged"


@dataclass
class SecureSmtp:
    """An SMTP server that requires STARTTLS and AUTH, and the CA file to trust it."""

    inbox: Inbox
    port: int
    ca_file: Path
    logins: list[str] = field(default_factory=list)


@pytest.fixture
def secure_smtp(tmp_path: Path) -> Iterator[SecureSmtp]:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    files = issue(tmp_path / "tls", "smtp")  # the test's SMTP server speaks STARTTLS
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.cert_file, files.key_file)
    server = SecureSmtp(Inbox(), free_port(), files.ca_file)

    def authenticate(*args: Any) -> AuthResult:
        auth_data = args[-1]
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (SMTP_USER, SMTP_PASSWORD)
        if ok:
            server.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    controller = Controller(
        server.inbox,
        hostname="127.0.0.1",
        port=server.port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticate,
    )
    controller.start()
    yield server
    controller.stop()
