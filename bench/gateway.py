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
per signed-in trader, while every trader's account is valued ``--rate`` times a second in
all (appended to the log as the executor would); prints the delivery p50 / p99 from the
append call to the frame's arrival on each socket, frames lost, and the gateway's CPU.

Usage: ``.venv/bin/python bench/gateway.py [--sessions 200] [--seconds 10] [--workers 1,2]
[--sockets 1000 --tabs 5 --rate 200]``
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import aiohttp
import nats
import pyotp
import uvloop
from nats.aio.client import Client

from fleet.events import ActorId, AggregateId, AggregateRef, DomainEvent, wrap
from fleet.events.auth_commands import BootstrapAdmin
from fleet.events.commands import command_subject
from fleet.events.trading import AccountValued, PositionOpened
from fleet.eventstore import EventStore, StreamSpec
from fleet.eventstore.stream import ensure_platform
from fleet.stack import NatsServer, PostgresServer
from fleet.testing.services import ServiceProcess

PASSWORD = "bench password of some length"
Call = Callable[["User"], Awaitable[str]]


@dataclass
class User:
    """One signed-in browser session."""

    http: aiohttp.ClientSession
    username: str
    password: str
    csrf: str = ""
    totp_secret: str = ""  # an admin's: every sign-in sends its current code


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

    async def start(self) -> str:
        self.nats.start()
        self.postgres.start()
        spec = StreamSpec(name="FLEET_EVENTS", prefix="ev")
        self.nc = await nats.connect(self.nats.admin_url)
        await ensure_platform(self.nc.jetstream(), spec)
        self.store = EventStore(self.nc, spec)
        common = {"FLEET_LOG_LEVEL": "warning"}
        database_url = self.postgres.create_database("fleet")
        auth = {**self.nats.env_for("auth"), "FLEET_DATABASE_URL": database_url}
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
        async def one(index: int) -> User:
            name = f"trader{index}-{uuid.uuid4().hex[:6]}"
            body = {
                "username": name,
                "password": PASSWORD,
                "email": f"{name}@example.com",
                "role": "trader",
            }
            headers = {"X-CSRF-Token": admin.csrf}
            async with admin.http.post("/api/admin/users", json=body, headers=headers) as made:
                created = await made.json()
            if made.status != 201:
                raise SystemExit(f"bench/gateway.py: creating a user failed: {created}")
            user_id = created["id"]
            self.user_ids.append(user_id)
            await self.trading_history(user_id)
            user = User(browser(base), name, PASSWORD)
            signed_in = await login(user)
            if signed_in != "login":
                raise SystemExit(f"bench/gateway.py: a trader's sign-in failed: {signed_in}")
            return user

        made: list[User] = []
        # one at a time: the auth service refuses concurrent sign-ins from one source (429)
        for index in range(count):
            made.append(await one(index))
        return made

    async def trading_history(self, user_id: str) -> None:
        now = datetime.now(UTC)
        events: list[DomainEvent] = [
            PositionOpened(
                trade_id=f"t{i}",
                symbol="BTC-USDT",
                position_side="LONG",
                direction="long",
                quantity=Decimal("0.01"),
                leverage=5,
                entry_price=Decimal(60000 + i),
                opened_at=now,
            )
            for i in range(2)
        ]
        events.append(
            AccountValued(
                balance=Decimal(2500),
                equity=Decimal(2510),
                available_margin=Decimal(2000),
                unrealised_pnl=Decimal(10),
                valued_at=now,
            )
        )
        aggregate = AggregateRef(type="account", id=AggregateId(user_id))
        envelopes = [wrap(e, aggregate, actor=ActorId(user_id)) for e in events]
        await self.store.append(aggregate, envelopes, None)

    async def value(self, user_id: str, equity: Decimal) -> int:
        """One account valuation of ``user_id`` appended; its stream sequence."""
        event = AccountValued(
            balance=equity,
            equity=equity,
            available_margin=equity,
            unrealised_pnl=Decimal(0),
            valued_at=datetime.now(UTC),
        )
        aggregate = AggregateRef(type="account", id=AggregateId(user_id))
        stored = await self.store.append(aggregate, [wrap(event, aggregate)], None)
        return stored[-1].sequence or 0

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


async def sockets_part(
    bench: Bench,
    base: str,
    *,
    users: list[User],
    user_ids: list[str],
    count: int,
    tabs: int,
    seconds: float,
    rate: float,
) -> None:
    """``count`` sockets (``tabs`` per trader) while the traders' accounts are valued:
    delivery latency from the append to each socket's frame."""
    appended: dict[int, float] = {}
    owner_of: dict[int, str] = {}
    samples: list[float] = []
    opened: list[tuple[aiohttp.ClientWebSocketResponse, str]] = []
    for index in range(count):
        user = users[(index // tabs) % len(users)]
        ws = await user.http.ws_connect("/api/ws", origin=base, heartbeat=None)
        opened.append((ws, user_ids[users.index(user)]))
    expected: dict[str, int] = {}
    for _, owner in opened:
        expected[owner] = expected.get(owner, 0) + 1

    listeners = [asyncio.create_task(listen(ws, appended, samples)) for ws, _ in opened]
    assert bench.gateway is not None
    pid = bench.gateway.process.pid
    assert pid is not None
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline:
        owner = random.choice(list(expected))
        began = time.perf_counter()
        seq = await bench.value(owner, Decimal(2500 + sent % 100))
        appended[seq], owner_of[seq] = began, owner
        sent += 1
        await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - began)))
    await asyncio.sleep(2)  # the last frames
    cpu = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
    for task in listeners:
        task.cancel()
    for ws, _ in opened:
        await ws.close()
    wanted = sum(expected[owner] for owner in owner_of.values())
    print(f"\n{count} sockets ({tabs} per trader), {sent} valuations in {seconds:.0f} s")
    report(samples, wanted, cpu)


async def listen(
    ws: aiohttp.ClientWebSocketResponse, appended: dict[int, float], samples: list[float]
) -> None:
    """Each account frame of a valuation the bench appended: its delivery time."""
    async for message in ws:
        if message.type != aiohttp.WSMsgType.TEXT:
            break
        frame = json.loads(message.data)
        seq = frame.get("seq")
        if frame.get("type") == "account" and seq in appended:
            samples.append(time.perf_counter() - appended[seq])


def report(samples: list[float], wanted: int, cpu: float) -> None:
    if samples:
        ordered = sorted(samples)
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        print(f"  append -> frame: p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({len(samples)} frames)")
    print(f"  frames missing: {wanted - len(samples)} of {wanted}; gateway CPU {cpu * 100:.0f} %")


async def run(
    sessions: int,
    seconds: float,
    interval: float,
    login_every: int,
    workers: list[int],
    sockets: tuple[int, int, float] = (0, 5, 100.0),
) -> None:
    with tempfile.TemporaryDirectory(prefix="fleet-bench-gateway-") as tmp:
        bench = Bench(Path(tmp))
        try:
            base = await bench.start()
            admin = await bench.admin(base)
            users = await bench.traders(base, admin, sessions)
            if sockets[0]:
                count, tabs, rate = sockets
                await sockets_part(
                    bench,
                    base,
                    users=users,
                    user_ids=bench.user_ids,
                    count=count,
                    tabs=tabs,
                    seconds=seconds,
                    rate=rate,
                )
            anonymous = [User(browser(base), "", "") for _ in range(sessions)]
            running = 1
            for count in workers:
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
    parser.add_argument("--tabs", type=int, default=5, help="Sockets per trader.")
    parser.add_argument("--rate", type=float, default=100.0, help="Valuations a second.")
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
    if not workers or min(workers) < 1:
        print("bench/gateway.py: --workers wants positive counts, e.g. 1,2", file=sys.stderr)
        raise SystemExit(2)
    if args.sockets < 0 or args.tabs < 1 or args.rate <= 0:
        print("bench/gateway.py: --sockets >= 0, --tabs and --rate positive", file=sys.stderr)
        raise SystemExit(2)
    sockets = (args.sockets, args.tabs, args.rate)
    uvloop.run(run(args.sessions, args.seconds, args.interval, args.login_every, workers, sockets))


if __name__ == "__main__":
    main()
