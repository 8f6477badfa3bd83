"""Gateway benchmark: ``GET /api/status`` and a login mix with 200 signed-in sessions,
beside ``GET /healthz`` (the baseline: the same server, NATS and PostgreSQL, no session,
no read model) in the same run.

Each line prints p50 / p99 latency and requests/s. Two load shapes:
  * closed loop: every session sends its next request as soon as the last one answered
    (the throughput ceiling; latency is then concurrency / throughput);
  * paced: every session sends one request every ``--interval`` seconds (an offered
    load well under the ceiling; the latency a person sees).
The login mix: 1 request in ``--login-every`` is a login (argon2id verify in the auth
service), the others ``GET /api/status``.

WebSocket part (``--sockets N``, 0: skipped): N open ``GET /api/ws`` sockets, ``--tabs``
per user: the admin (his session cookie; every frame), ``--viewers`` viewers (each granted
``--grants`` traders) and traders for the rest, these made in the log (``user.created``,
as the executor benches make theirs) with a read access token each from the auth
service's ``create_access_token`` command, their sockets authenticated by the bearer token
as a script's are (no password, so no argon2 work per user). Meanwhile ``--bots`` bots
trade: those traders plus log-only ones, each trade appended as the executor records it
(a position opened and the account valued), ``--rate`` trades a second in all (at most
64 appends waiting; a failed append is counted). Prints the delivery p50 / p99 from the
append call to each socket's frame, the goal (p99 <= 250 ms), frames missing, the
gateway's CPU and the load average.

The HTTP part signs ``--sessions`` traders in through ``/api/auth/login``. Those browsers
share one source address (127.0.0.1), which the auth service's per-source login budget
would refuse (429) as a flood; the bench's own auth service gets a per-source budget as
large as the global one (``FLEET_LOGIN_SOURCE_*``; the production defaults stay). They
are signed in one at a time (argon2 on a loaded machine: two at once passed the gateway's
5 s wait for the auth service).

Usage: ``.venv/bin/python bench/gateway.py [--sessions 200] [--seconds 10] [--workers 1,2]
[--sockets 1000 --tabs 5 --viewers 9 --bots 1000 --rate 50]``; the acceptance shape alone:
``--sessions 1 --sockets 1000 --tabs 5 --viewers 9 --bots 1000 --rate 50 --seconds 20
--workers 0`` (``--workers 0``: no HTTP lines)
(every line once per gateway process count: ``FLEET_HTTP_WORKERS``). Starts
nats-server, PostgreSQL, the auth service and the gateway on free 127.0.0.1 ports (the
load generator runs on the same two cores), and stops everything afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import nats
import psycopg
import pyotp
import uvloop
from nats.aio.client import Client

from fleet.events import ActorId, AggregateId, AggregateRef, DomainEvent, wrap
from fleet.events.auth_commands import BootstrapAdmin, ChangeViewerGrant, CreateAccessToken
from fleet.events.commands import Command, command_subject
from fleet.events.trading import AccountValued, PositionOpened
from fleet.events.users import UserCreated
from fleet.eventstore import EventStore, StreamSpec
from fleet.eventstore.stream import TelemetrySpec, ensure_platform
from fleet.stack import NatsServer, PostgresServer
from fleet.testing.services import ServiceProcess

PASSWORD = "bench password of some length"
GOAL_P99_MS = 250.0  # issue 19: live-update delivery with 1,000 sockets
# the bench's browsers all come from 127.0.0.1: its auth service lets one source sign in
# as fast as all sources together may (production keeps its per-source defaults)
ONE_SOURCE_LOGIN_BUDGET = {
    "FLEET_LOGIN_SOURCE_IN_FLIGHT": "8",  # = FLEET_LOGIN_MAX_IN_FLIGHT's default
    "FLEET_LOGIN_SOURCE_PER_MINUTE": "1000000",
    "FLEET_LOGIN_SOURCE_BURST": "1000000",
}
# users made and signed in at once: each costs the auth service argon2 hashes, and on a
# loaded machine two at once already passed the gateway's 5 s wait (503)
SIGN_IN_AT_ONCE = 1
APPENDS_IN_FLIGHT = 64  # the bots' appends waiting at once (a busy log slows the offer)
Call = Callable[["User"], Awaitable[str]]


@dataclass
class User:
    """One signed-in browser session."""

    http: aiohttp.ClientSession
    username: str
    password: str
    csrf: str = ""
    totp_secret: str = ""  # an admin's: every sign-in sends its current code
    user_id: str = ""


@dataclass
class Latencies:
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, seconds: float) -> None:
        self.by_kind.setdefault(kind, []).append(seconds)


def line(label: str, samples: list[float], seconds: float, errors: int = 0) -> str:
    if not samples:
        return f"  {label:<44} no answers"
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    rate = len(samples) / seconds
    failed = f"  errors {errors}" if errors else ""
    return f"  {label:<44} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  {rate:8.0f} req/s{failed}"


def browser(base: str) -> aiohttp.ClientSession:
    """A client with its own cookie jar (``unsafe``: cookies of an IP-address host)."""
    return aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True))


async def status(user: User) -> str:
    async with user.http.get("/api/status") as answer:
        await answer.read()
        return "status" if answer.status == 200 else f"error {answer.status}"


async def healthz(user: User) -> str:
    async with user.http.get("/healthz") as answer:
        body = await answer.read()
        if answer.status != 200:
            FIRST_ERRORS.setdefault(answer.status, body.decode()[:300])
        return "healthz" if answer.status == 200 else f"error {answer.status}"


FIRST_ERRORS: dict[int, str] = {}


async def login(user: User) -> str:
    body = {"username": user.username, "password": user.password}
    if user.totp_secret:
        body["totp_code"] = pyotp.TOTP(user.totp_secret).now()
    async with user.http.post("/api/auth/login", json=body) as answer:
        payload = await answer.json()
        if answer.status != 200:
            return f"error {answer.status} {payload['error']['code']}"
        user.csrf = payload["csrf_token"]
    if payload.get("must_change_password"):  # a new trader's first sign-in
        await renew_password(user)
    return "login"


async def renew_password(user: User) -> None:
    """Choose a new password (as a new user must before anything else)."""
    new = user.password + " renewed"
    body = {"current_password": user.password, "new_password": new}
    headers = {"X-CSRF-Token": user.csrf}
    async with user.http.post("/api/auth/password", json=body, headers=headers) as answer:
        changed = await answer.json()
        if answer.status != 200:
            raise SystemExit(f"bench/gateway.py: a password change failed: {changed}")
    user.password, user.csrf = new, changed["csrf_token"]


async def enrol_totp(user: User) -> None:
    """Switch two-factor authentication on for ``user`` (signed in); keep the secret."""
    headers = {"X-CSRF-Token": user.csrf}
    async with user.http.post("/api/auth/2fa/enrol", headers=headers) as answer:
        secret = (await answer.json())["secret"]
    code = {"code": pyotp.TOTP(secret).now()}
    async with user.http.post("/api/auth/2fa/confirm", json=code, headers=headers) as answer:
        if answer.status != 200:
            raise SystemExit(f"bench/gateway.py: 2FA enrolment failed: {await answer.text()}")
    user.totp_secret = secret


def mixed(every: int) -> Call:
    async def call(user: User) -> str:
        return await (login(user) if random.randrange(every) == 0 else status(user))

    return call


async def drive(
    users: list[User], call: Call, seconds: float, interval: float | None
) -> tuple[Latencies, float]:
    """Every user calls in a loop for ``seconds`` (paced when ``interval`` is set)."""
    found = Latencies()
    deadline = time.monotonic() + seconds

    async def one(user: User) -> None:
        if interval:
            await asyncio.sleep(random.uniform(0, interval))
        while time.monotonic() < deadline:
            began = time.perf_counter()
            kind = await call(user)
            took = time.perf_counter() - began
            if kind.startswith("error"):
                found.errors += 1
                found.error_kinds[kind] = found.error_kinds.get(kind, 0) + 1
            else:
                found.add(kind, took)
            if interval:
                await asyncio.sleep(max(0.0, interval - took))

    started = time.monotonic()
    await asyncio.gather(*(one(user) for user in users))
    return found, time.monotonic() - started


class Bench:
    """The running stack and the signed-in sessions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.nats = NatsServer(root / "nats")
        self.postgres = PostgresServer(root / "postgres", fast_unsafe=True)
        self.services: list[ServiceProcess] = []
        self.gateway: ServiceProcess | None = None
        self.gateway_env: dict[str, str] = {}
        self.nc: Client | None = None
        self.user_ids: list[str] = []
        self.sockets_http: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        self.nats.start()
        self.postgres.start()
        spec = StreamSpec(name="FLEET_EVENTS", prefix="ev")
        self.nc = await nats.connect(self.nats.admin_url)
        await ensure_platform(self.nc.jetstream(), spec)
        self.store = EventStore(self.nc, spec)
        common = {"FLEET_LOG_LEVEL": "warning"}
        database_url = self.postgres.create_database("fleet")
        self.database_dsn = self.postgres.dsn("fleet")
        auth = {
            **self.nats.env_for("auth"),
            "FLEET_DATABASE_URL": database_url,
            **ONE_SOURCE_LOGIN_BUDGET,
        }
        gateway = {
            **self.nats.env_for("gateway"),
            "FLEET_DATABASE_URL": database_url,
            "FLEET_COOKIE_SECURE": "false",
        }
        self.services.append(ServiceProcess("auth", common | auth, self.root).start())
        self.gateway_env = common | gateway
        return self.start_gateway(1)

    def start_gateway(self, workers: int) -> str:
        """(Re)start the gateway with ``workers`` processes on a new port; sessions live
        in PostgreSQL, so every signed-in browser stays signed in."""
        if self.gateway is not None:
            self.gateway.stop()
            self.services.remove(self.gateway)
        env = self.gateway_env | {"FLEET_HTTP_WORKERS": str(workers)}
        self.gateway = ServiceProcess("gateway", env, self.root).start()
        self.services.append(self.gateway)
        return self.gateway.url

    async def admin(self, base: str) -> User:
        assert self.nc is not None
        command = BootstrapAdmin(username="root", password=PASSWORD, email="root@example.com")
        await self.nc.request(command_subject(command), command.model_dump_json().encode(), 30)
        user = User(browser(base), "root", PASSWORD)
        assert await login(user) == "login"
        await enrol_totp(user)  # an admin reaches nothing else before
        return user

    async def traders(self, base: str, admin: User, count: int) -> list[User]:
        return await self.members(base, admin, count, "trader")

    async def members(self, base: str, admin: User, count: int, role: str) -> list[User]:
        """``count`` users of ``role`` made by ``admin`` and signed in (a trader with a
        trading history), :data:`SIGN_IN_AT_ONCE` at a time."""
        gate = asyncio.Semaphore(SIGN_IN_AT_ONCE)

        async def one(index: int) -> tuple[str, User]:
            name = f"{role}{index}-{uuid.uuid4().hex[:6]}"
            body = {
                "username": name,
                "password": PASSWORD,
                "email": f"{name}@example.com",
                "role": role,
            }
            headers = {"X-CSRF-Token": admin.csrf}
            async with gate:
                async with admin.http.post("/api/admin/users", json=body, headers=headers) as made:
                    created = await made.json()
                if made.status != 201:
                    raise SystemExit(f"bench/gateway.py: creating a user failed: {created}")
                user_id = created["id"]
                if role == "trader":
                    await self.trading_history(user_id)
                user = User(browser(base), name, PASSWORD, user_id=user_id)
                signed_in = await login(user)
            if signed_in != "login":
                raise SystemExit(f"bench/gateway.py: a {role}'s sign-in failed: {signed_in}")
            return user_id, user

        made = await asyncio.gather(*(one(index) for index in range(count)))
        if role == "trader":
            self.user_ids.extend(user_id for user_id, _ in made)
        return [user for _, user in made]

    async def ask(self, command: Command) -> dict[str, Any]:
        """A command to a service over NATS, as the gateway sends it; its accepted reply."""
        assert self.nc is not None
        answer = await self.nc.request(
            command_subject(command), command.model_dump_json().encode(), 30
        )
        reply = dict(json.loads(answer.data))
        if not reply.get("ok"):
            raise SystemExit(f"bench/gateway.py: {command.name} refused: {reply}")
        return reply

    async def token_users(self, count: int, role: str) -> list[tuple[str, str]]:
        """``count`` users of ``role`` made in the log (as the executor benches make
        theirs: no password, so no argon2 work) with a read token each from the auth
        service's ``create_access_token``; (user id, token). A trader gets a history."""
        gate = asyncio.Semaphore(16)

        async def one() -> tuple[str, str]:
            user_id = f"{role}{uuid.uuid4().hex[:16]}"
            ref = AggregateRef(type="user", id=AggregateId(user_id))
            created = UserCreated(username=user_id, email=f"{user_id}@example.com", role=role)
            async with gate:
                await self.store.append(ref, [wrap(created, ref)], 0)
                if role == "trader":
                    await self.trading_history(user_id)
                command = CreateAccessToken(user_id=user_id, token_name="bench", scope="read")
                reply = await self.ask(command)
            return user_id, str(reply["data"]["token"])

        return list(await asyncio.gather(*(one() for _ in range(count))))

    async def grant(self, viewer_id: str, trader_ids: list[str]) -> None:
        for trader_id in trader_ids:
            await self.ask(
                ChangeViewerGrant(viewer_id=viewer_id, trader_id=trader_id, granted=True)
            )

    async def log_only_traders(self, count: int) -> list[str]:
        """``count`` traders that exist only in the log (no password, no session)."""
        made: list[str] = []
        for _ in range(count):
            user_id = f"bot{uuid.uuid4().hex[:16]}"
            ref = AggregateRef(type="user", id=AggregateId(user_id))
            created = UserCreated(username=user_id, email=f"{user_id}@example.com", role="trader")
            await self.store.append(ref, [wrap(created, ref)], 0)
            made.append(user_id)
        return made

    async def trading_history(self, user_id: str) -> None:
        """A position and a valuation, so the trader's dashboard has something to show."""
        await self.trade(user_id, 0)

    async def trade(self, user_id: str, number: int) -> list[int]:
        """One trade of ``user_id``'s bot as the executor records it (the position opened,
        the account valued); the events' stream sequences."""
        now = datetime.now(UTC)
        equity = Decimal(2500 + number % 100)
        events: list[DomainEvent] = [
            PositionOpened(
                trade_id=f"b{number}",
                symbol="BTC-USDT",
                position_side="LONG",
                direction="long",
                quantity=Decimal("0.01"),
                leverage=5,
                entry_price=Decimal(60000 + number % 500),
                opened_at=now,
            ),
            AccountValued(
                balance=equity,
                equity=equity,
                available_margin=equity,
                unrealised_pnl=Decimal(0),
                valued_at=now,
            ),
        ]
        aggregate = AggregateRef(type="account", id=AggregateId(user_id))
        envelopes = [wrap(event, aggregate, actor=ActorId(user_id)) for event in events]
        stored = await self.store.append(aggregate, envelopes, None)
        return [item.sequence or 0 for item in stored]

    async def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        if self.nc is not None:
            await self.nc.close()
        self.postgres.stop()
        self.nats.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        total += cpu_seconds(int(child))
    return total


@dataclass
class SocketShape:
    """The WebSocket part's load: sockets, tabs a user, viewers, bots and trade rate."""

    count: int = 0
    tabs: int = 5
    viewers: int = 9
    grants: int = 5
    bots: int = 1000
    rate: float = 200.0


@dataclass
class Trading:
    """The bots' trades appended so far: when each event's append began, and whose."""

    bench: Bench
    bots: list[str]
    appended: dict[int, float] = field(default_factory=dict)
    owner_of: dict[int, str] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    sent: int = 0

    async def run(self, seconds: float, rate: float) -> None:
        """``rate`` trades a second for ``seconds``, at most APPENDS_IN_FLIGHT waiting (a
        log slower than the offer slows the offer: ``sent`` says what was offered)."""
        in_flight = asyncio.Semaphore(APPENDS_IN_FLIGHT)
        appends: set[asyncio.Task[None]] = set()
        started = time.monotonic()
        while time.monotonic() < started + seconds:
            await in_flight.acquire()
            task = asyncio.create_task(self.one(random.choice(self.bots), self.sent))
            appends.add(task)
            task.add_done_callback(appends.discard)
            task.add_done_callback(lambda _: in_flight.release())
            self.sent += 1
            await asyncio.sleep(max(0.0, started + self.sent / rate - time.monotonic()))
        await asyncio.gather(*appends)

    async def one(self, owner: str, number: int) -> None:
        began = time.perf_counter()
        try:
            sequences = await self.bench.trade(owner, number)
        except (TimeoutError, nats.errors.Error) as exc:  # counted, not hidden
            self.failed[type(exc).__name__] = self.failed.get(type(exc).__name__, 0) + 1
            return
        for seq in sequences:
            self.appended[seq], self.owner_of[seq] = began, owner


async def open_sockets(
    bench: Bench, base: str, admin: User, shape: SocketShape
) -> tuple[list[aiohttp.ClientWebSocketResponse], list[set[str] | None], list[str]]:
    """The sockets (the admin's with his session cookie, the others with each user's
    bearer token), whose frames each receives (None: everyone's), and the traders."""
    users = shape.count // shape.tabs
    viewers = await bench.token_users(min(shape.viewers, max(0, users - 2)), "viewer")
    traders = await bench.token_users(max(1, users - 1 - len(viewers)), "trader")
    tabs_of: list[tuple[str | None, set[str] | None]] = [(None, None)]  # the admin's
    for index, (viewer_id, token) in enumerate(viewers):  # each granted a few traders
        first = index * shape.grants % len(traders)
        granted = [t for t, _ in (traders * 2)[first : first + shape.grants]]
        await bench.grant(viewer_id, granted)
        tabs_of.append((token, set(granted)))
    tabs_of += [(trader_token, {trader_id}) for trader_id, trader_token in traders]
    audience: list[set[str] | None] = []
    opened: list[aiohttp.ClientWebSocketResponse] = []
    by_token = bench.sockets_http
    assert by_token is not None
    for bearer_token, whose in tabs_of:
        for _ in range(min(shape.tabs, shape.count - len(opened))):
            if bearer_token is None:
                ws = await admin.http.ws_connect("/api/ws", origin=base, heartbeat=None)
            else:
                bearer = {"Authorization": f"Bearer {bearer_token}"}
                ws = await by_token.ws_connect("/api/ws", headers=bearer, heartbeat=None)
            opened.append(ws)
            audience.append(whose)
    print(
        f"\n{len(opened)} sockets ({shape.tabs} a user: 1 admin, {len(viewers)} viewers, "
        f"{len(traders)} traders)",
        flush=True,
    )
    return opened, audience, [t for t, _ in traders]


async def sockets_part(
    bench: Bench, base: str, *, admin: User, shape: SocketShape, seconds: float
) -> None:
    """``shape.count`` sockets while ``shape.bots`` bots trade: the delivery latency from
    the append to each socket's frame."""
    # one client for every token's sockets: no cap on its connections (aiohttp's default
    # 100 would hold the 101st socket's handshake until one closes)
    bench.sockets_http = aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=0))
    opened, audience, bots = await open_sockets(bench, base, admin, shape)
    bots += await bench.log_only_traders(max(0, shape.bots - len(bots)))
    print(f"  {len(bots)} bots trading, {shape.rate:g} trades/s offered", flush=True)
    trading = Trading(bench, bots)
    arrivals: list[tuple[int, float, int]] = []  # (seq, when, socket) of every frame
    listeners = [
        asyncio.create_task(listen(ws, arrivals, index)) for index, ws in enumerate(opened)
    ]
    assert bench.gateway is not None
    pid = bench.gateway.process.pid
    assert pid is not None
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    own_before = sum(os.times()[:2])
    # the setup appended a user and a token per socket user: frames wait for the read
    # models, so the measure starts once they applied it (the steady state, not a backlog)
    behind = ReadModelLag(bench)
    waited = await behind.caught_up()
    print(f"  read models caught up with the setup in {waited:.1f} s", flush=True)
    sampling = asyncio.create_task(behind.sample_forever())
    await trading.run(seconds, shape.rate)
    await settled(arrivals)  # the last frames
    sampling.cancel()
    print(f"  read models' largest lag while measured: {behind.worst()}")
    wall = time.monotonic() - wall_before
    cpu = (cpu_seconds(pid) - cpu_before) / wall
    own = (sum(os.times()[:2]) - own_before) / wall
    for task in listeners:
        task.cancel()
    # matched once every append has answered: a frame may beat its append's answer to
    # this process (it was then lost to the count: "5 admin sockets 5 frames short")
    ours = [(seq, at, index) for seq, at, index in arrivals if seq in trading.appended]
    samples = [at - trading.appended[seq] for seq, at, _ in ours]
    by_socket = Counter(index for _, _, index in ours)
    received = [by_socket[index] for index in range(len(opened))]
    # sockets the gateway closed while measured, by close code (a slow socket is dropped)
    closed = Counter(str(ws.close_code) for ws in opened if ws.closed)
    for ws in opened:
        await ws.close()
    await bench.sockets_http.close()
    wanted = sum(
        1
        for owner in trading.owner_of.values()
        for whose in audience
        if whose is None or owner in whose
    )
    failed = f"; appends failed: {trading.failed}" if trading.failed else ""
    print(
        f"  {trading.sent} trades sent ({trading.sent / seconds:.0f}/s), "
        f"{len(trading.owner_of)} events appended in {seconds:.0f} s{failed}"
    )
    report(samples, wanted, cpu)
    short = missing_by_socket(trading.owner_of.values(), audience, received)
    if short:
        print(f"  frames missing by socket: {short}")
    if closed:
        print(f"  sockets closed by the gateway while measured (by code): {dict(closed)}")
    print(f"  this bench's own CPU (the sockets' frames, the appends): {own * 100:.0f} %")


class ReadModelLag:
    """How far each of the gateway's read models is behind the log (its checkpoint row)."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.largest: dict[str, int] = {}

    async def lag(self) -> dict[str, int]:
        async with await psycopg.AsyncConnection.connect(
            self.bench.database_dsn, autocommit=True
        ) as conn:
            found = await conn.execute(
                "SELECT table_schema FROM information_schema.tables"
                " WHERE table_name = '_checkpoint' AND table_schema LIKE 'rm\\_%'"
            )
            schemas = [row[0] for row in await found.fetchall()]
            last = await self.bench.store.last_sequence()
            # the telemetry read model follows a stream of its own: its lag is against
            # that stream's end (against the log's it would never reach 0)
            telemetry = TelemetrySpec.beside(self.bench.store.spec).as_log()
            ends = {"telemetry": await EventStore(self.bench.store.nc, telemetry).last_sequence()}
            lag = {}
            for schema in schemas:
                read = await conn.execute(f'SELECT last_sequence FROM "{schema}"._checkpoint')
                row = await read.fetchone()
                name = schema.removeprefix("rm_")
                lag[name] = max(0, ends.get(name, last) - (int(row[0]) if row else 0))
            return lag

    async def caught_up(self, longest: float = 300.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < longest:
            if not any((await self.lag()).values()):
                break
            await asyncio.sleep(0.5)
        return time.monotonic() - started

    async def sample_forever(self) -> None:
        while True:
            for name, events in (await self.lag()).items():
                self.largest[name] = max(self.largest.get(name, 0), events)
            await asyncio.sleep(0.5)

    def worst(self) -> str:
        ranked = sorted(self.largest.items(), key=lambda item: -item[1])
        return ", ".join(f"{name} {events} events" for name, events in ranked[:4]) or "none"


async def settled(arrivals: list[Any], quiet: float = 3.0, longest: float = 60.0) -> None:
    """Wait for the frames still on their way: until none came for ``quiet`` seconds."""
    until = time.monotonic() + longest
    seen = -1
    while len(arrivals) != seen and time.monotonic() < until:
        seen = len(arrivals)
        await asyncio.sleep(quiet)


async def listen(
    ws: aiohttp.ClientWebSocketResponse, arrivals: list[tuple[int, float, int]], index: int
) -> None:
    """Note each frame's sequence and arrival (matched with the appends afterwards)."""
    async for message in ws:
        if message.type != aiohttp.WSMsgType.TEXT:
            break
        seq = json.loads(message.data).get("seq")
        if isinstance(seq, int):
            arrivals.append((seq, time.perf_counter(), index))


def missing_by_socket(
    owners: Iterable[str], audience: list[set[str] | None], received: list[int]
) -> str:
    """The sockets that got fewer frames than they should: how many, whose (admin,
    viewer, trader) and how many frames short in all."""
    counted = Counter(owners)
    short: Counter[str] = Counter()
    frames: Counter[str] = Counter()
    for whose, got in zip(audience, received, strict=True):
        kind = "admin" if whose is None else "trader" if len(whose) == 1 else "viewer"
        expected = sum(counted.values()) if whose is None else sum(counted[o] for o in whose)
        if got < expected:
            short[kind] += 1
            frames[kind] += expected - got
    return ", ".join(f"{n} {kind} sockets {frames[kind]} frames short" for kind, n in short.items())


def report(samples: list[float], wanted: int, cpu: float) -> None:
    if samples:
        ordered = sorted(samples)
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        print(f"  append -> frame: p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({len(samples)} frames)")
        verdict = "met" if p99 <= GOAL_P99_MS else "NOT met"
        print(f"  goal: p99 <= {GOAL_P99_MS:.0f} ms ({verdict})")
    print(f"  frames missing: {wanted - len(samples)} of {wanted}; gateway CPU {cpu * 100:.0f} %")
    print(f"  load average while measured: {os.getloadavg()}")


async def run(
    sessions: int,
    seconds: float,
    interval: float,
    login_every: int,
    workers: list[int],
    sockets: SocketShape | None = None,
) -> None:
    with tempfile.TemporaryDirectory(prefix="fleet-bench-gateway-") as tmp:
        bench = Bench(Path(tmp))
        try:
            base = await bench.start()
            admin = await bench.admin(base)
            users = await bench.traders(base, admin, sessions)
            if sockets is not None and sockets.count:
                await sockets_part(bench, base, admin=admin, shape=sockets, seconds=seconds)
            anonymous = [User(browser(base), "", "") for _ in range(sessions)]
            running = 1
            for count in [w for w in workers if w]:  # 0: the WebSocket part only
                if count != running:
                    base, running = bench.start_gateway(count), count
                    for user in [*users, *anonymous]:
                        await rebase(user, base)
                await drive(users, status, 2, None)  # warm-up
                await scenarios(
                    sessions=sessions,
                    seconds=seconds,
                    interval=interval,
                    login_every=login_every,
                    workers=count,
                    users=users,
                    anonymous=anonymous,
                )
            for user in [admin, *users, *anonymous]:
                await user.http.close()
        finally:
            await bench.stop()


async def rebase(user: User, base: str) -> None:
    """Point a browser at a restarted gateway, keeping its cookies (they name no port)."""
    jar = user.http.cookie_jar
    await user.http.close()
    user.http = aiohttp.ClientSession(base, cookie_jar=jar)


async def scenarios(
    *,
    sessions: int,
    seconds: float,
    interval: float,
    login_every: int,
    workers: int,
    users: list[User],
    anonymous: list[User],
) -> None:
    print(f"\n{sessions} sessions, {seconds:.0f} s a line, gateway = {workers} process(es)")
    lines: list[tuple[str, list[User], Call, float | None]] = [
        ("GET /healthz (baseline), closed loop", anonymous, healthz, None),
        ("GET /api/status, closed loop", users, status, None),
        (f"GET /healthz (baseline), paced {interval:g} s", anonymous, healthz, interval),
        (f"GET /api/status, paced {interval:g} s", users, status, interval),
        (f"login mix 1:{login_every}, paced {interval:g} s", users, mixed(login_every), interval),
        (f"login mix 1:{login_every}, closed loop", users, mixed(login_every), None),
    ]
    for label, who, call, pace in lines:
        found, took = await drive(who, call, seconds, pace)
        for kind, samples in sorted(found.by_kind.items()):
            print(line(f"{label} [{kind}]", samples, took, found.errors), flush=True)
        if found.error_kinds:
            print(f"    errors: {found.error_kinds} {FIRST_ERRORS}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=1.0, help="Paced: seconds between.")
    parser.add_argument("--login-every", type=int, default=100)
    parser.add_argument(
        "--workers", default="1,2", help="Gateway process counts to measure, e.g. 1,2."
    )
    parser.add_argument("--sockets", type=int, default=0, help="WebSocket part: open sockets.")
    parser.add_argument("--tabs", type=int, default=5, help="Sockets per signed-in user.")
    parser.add_argument("--viewers", type=int, default=9, help="Viewers among the sockets.")
    parser.add_argument("--grants", type=int, default=5, help="Traders granted per viewer.")
    parser.add_argument("--bots", type=int, default=1000, help="Bots trading (>= sessions).")
    parser.add_argument("--rate", type=float, default=200.0, help="Trades a second in all.")
    args = parser.parse_args()
    try:
        workers = [int(part) for part in args.workers.split(",")]
    except ValueError:
        workers = []
    if args.sessions < 1 or args.seconds <= 0 or args.login_every < 1:
        print(
            "bench/gateway.py: --sessions, --seconds and --login-every must be positive",
            file=sys.stderr,
        )
        raise SystemExit(2)
    if not workers or min(workers) < 0:
        print("bench/gateway.py: --workers wants counts >= 0, e.g. 1,2", file=sys.stderr)
        raise SystemExit(2)
    if min(args.sockets, args.viewers, args.bots) < 0 or min(args.tabs, args.grants) < 1:
        print(
            "bench/gateway.py: --sockets, --viewers, --bots >= 0; --tabs, --grants positive",
            file=sys.stderr,
        )
        raise SystemExit(2)
    if args.rate <= 0:
        print("bench/gateway.py: --rate must be positive", file=sys.stderr)
        raise SystemExit(2)
    sockets = SocketShape(args.sockets, args.tabs, args.viewers, args.grants, args.bots, args.rate)
    uvloop.run(run(args.sessions, args.seconds, args.interval, args.login_every, workers, sockets))


if __name__ == "__main__":
    main()
