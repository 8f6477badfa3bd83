"""The trading path as separate processes for benchmarks: nats-server, OpenBao, the BingX
simulator, vault worker(s) and the executor; users set up through the log, vault and the
executor's commands; a watcher that times every accepted order from the log itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
import nats
import psutil
from nats.aio.client import Client

from fleet.bingx import BingxClient, LocalHmacSigner, Transport
from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.catalog import domain_registry
from fleet.events.commands import Command, command_subject
from fleet.events.executor_commands import StartBot
from fleet.events.subjects import aggregate_type_subject
from fleet.events.trading import (
    ACCOUNT_AGGREGATE,
    ExchangeConfigured,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
)
from fleet.events.users import TradingSettings, TradingSettingsChanged, UserCreated
from fleet.eventstore import EventStore, StoredEvent, StreamSpec
from fleet.eventstore.stream import ensure_platform
from fleet.executor.domain.ids import client_order_id
from fleet.stack import NatsServer, OpenBaoServer, SimulatorServer
from fleet.testing.services import ServiceProcess
from fleet.testing.signals import price_of, publish, signal_at
from fleet.testing.vault import connect_command

T = TypeVar("T")
REGISTRY = domain_registry()
SYMBOL, TIMEFRAME = "BTC-USDT", "5m"


async def bounded(jobs: list[Awaitable[T]], limit: int = 48) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[T]) -> T:
        async with gate:
            return await job

    return await asyncio.gather(*(one(job) for job in jobs))


WATCHED = frozenset(
    {
        OrderAccepted.event_type,
        OrderRejected.event_type,
        OrderFilled.event_type,
        ExchangeConfigured.event_type,
    }
)


class Watcher:
    """Follows every account event: accepted orders by clientOrderID (with the time the
    executor recorded them), rejections, and users whose exchange is configured."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.accepted: dict[str, datetime] = {}
        self.rejected: dict[str, str] = {}
        self.configured: set[str] = set()
        self.filled: dict[str, tuple[datetime, str]] = {}  # order's last fill: when, by which path
        self.changed = asyncio.Event()
        self.failed: BaseException | None = None  # the follower's end, raised by until()

    async def run(self, start: int) -> None:
        try:
            await self._follow(start)
        except BaseException as exc:
            self.failed = exc
            raise

    async def _follow(self, start: int) -> None:
        subject = aggregate_type_subject(self.store.spec.prefix, ACCOUNT_AGGREGATE)
        # only the types it counts are decoded (the rest passed over on a peek at their
        # type): the bench's own CPU is taken from the 2 cores the measured parts share
        read = self.store.follow(subject=subject, from_sequence=start, types=WATCHED)
        async for stored in read:
            if not isinstance(stored, StoredEvent):
                continue
            envelope = stored.envelope
            if envelope.type == OrderAccepted.event_type:
                self.accepted[envelope.data["client_order_id"]] = envelope.occurred_at
            elif envelope.type == OrderRejected.event_type:
                self.rejected[envelope.data["client_order_id"]] = envelope.data["message"]
            elif envelope.type == OrderFilled.event_type:
                if envelope.data["order_status"] == "FILLED":
                    self.filled[envelope.data["client_order_id"]] = (
                        envelope.occurred_at,
                        envelope.data["reported_by"],
                    )
            elif envelope.type == ExchangeConfigured.event_type:
                self.configured.add(envelope.aggregate.id)
            self.changed.set()

    async def until(self, done: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if self.failed is not None:
                raise RuntimeError("the bench's log follower stopped") from self.failed
            if time.monotonic() > deadline:
                raise TimeoutError("the fan-out did not finish in time")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), 1.0)
            except TimeoutError:
                continue


class TradingStack:
    def __init__(
        self,
        workdir: Path,
        *,
        sim_limits: bool,
        egress: list[str] | None = None,
        vault_workers: int = 2,
        streams_per_egress: int | None = None,
    ) -> None:
        self.workdir = workdir
        self.sim_limits = sim_limits
        self.egress = egress or ["default"]
        self.vault_workers = vault_workers
        # None: BingX's cap (54 user streams per egress identity, the rest polled); N: up
        # to N per identity, the simulator lenient (no 60-socket cap per address)
        self.streams_per_egress = streams_per_egress
        self.users: list[str] = []
        self.uids: dict[str, str] = {}  # Fleet user id -> simulator uid
        self._index = int(time.time()) // 300
        self._processes: list[ServiceProcess] = []
        self.last_fills: list[float] = []  # per round: signal -> last order's fill recorded
        self.fill_paths: dict[str, int] = {}  # fills recorded by "stream" / "query"

    async def __aenter__(self) -> TradingStack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.nats = NatsServer(self.workdir / f"nats-{uuid.uuid4().hex[:6]}")
        self.nats.start()
        self.openbao = OpenBaoServer(self.workdir / f"bao-{uuid.uuid4().hex[:6]}", dev=True)
        self.openbao.start()
        extra = [] if self.sim_limits else ["--no-rate-limits"]
        if self.streams_per_egress is not None:
            extra.append("--lenient")
        self.sim = SimulatorServer(self.workdir, speed=1.0, extra=extra)
        self.sim.start()
        self.nc: Client = await nats.connect(self.nats.admin_url)
        spec = StreamSpec()
        await ensure_platform(self.nc.jetstream(), spec)
        self.store = EventStore(self.nc, spec)
        self._start_services()
        self.watcher = Watcher(self.store)
        self._watch = asyncio.create_task(self.watcher.run(await self.store.last_sequence() + 1))
        return self

    def _start_services(self) -> None:
        base = {"FLEET_BINGX_BASE_URL": self.sim.url, "FLEET_LOG_LEVEL": "warning"}
        vault = base | {
            **self.nats.env_for("vault"),
            "FLEET_VAULT_ADDR": self.openbao.addr,
            "FLEET_VAULT_TOKEN": self.openbao.root_token,
            "FLEET_HEALTH_CHECK_MINUTES": "600",
            # thousands of traders connect at once: far beyond the platform's connect budget
            "FLEET_CONNECT_PLATFORM_PER_MINUTE": "600000",
            "FLEET_CONNECT_PLATFORM_BURST": "100000",
        }
        for _ in range(self.vault_workers):
            self._processes.append(ServiceProcess("vault", vault, self.workdir).start())
        executor = base | {
            **self.nats.env_for("executor"),
            "FLEET_RATE_LIMITS": "true" if self.sim_limits else "false",
            "FLEET_EGRESS": json.dumps(self.egress),
            "FLEET_POLL_INTERVAL_S": "3600",
            "FLEET_PARTITIONS": "16",
            **(
                {"FLEET_USER_STREAMS_PER_EGRESS": str(self.streams_per_egress)}
                if self.streams_per_egress is not None
                else {}
            ),
        }
        self.executor = ServiceProcess("executor", executor, self.workdir).start()
        self._processes.append(self.executor)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._watch.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait({self._watch}, timeout=5)  # never hang on the way out
        for process in reversed(self._processes):
            process.stop()
        await self.nc.close()
        self.sim.stop()
        self.openbao.stop()
        self.nats.stop()

    async def ask(self, command: Command) -> dict[str, Any]:
        answer = await self.nc.request(
            command_subject(command), command.model_dump_json().encode(), timeout=120
        )
        return dict(json.loads(answer.data))

    async def sim_api(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.sim.url, timeout=30) as http:
            answer = await http.request(method, path, json=body)
            answer.raise_for_status()
            return answer.json()

    async def reset_limits(self) -> None:
        await self.sim_api("POST", "/sim/limits", {"enabled": True})

    async def streams_open(self, wanted: int, timeout: float = 300) -> float:
        """Wait until ``wanted`` user-data sockets are open at the simulator (a signal
        before then has its fills found by query); the seconds it took."""
        started = time.monotonic()
        while True:
            seen = await self.sim_api("GET", "/sim/websockets")
            if sum(seen["open_by_address"].values()) >= wanted:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{wanted} user streams were not open after {timeout:.0f} s")
            await asyncio.sleep(0.5)

    async def limits(self) -> dict[str, Any]:
        return dict(await self.sim_api("GET", "/sim/limits"))

    async def populate(self, count: int) -> None:
        """``count`` traders connected and running, each with a configured exchange."""
        if self.sim_limits:
            await self.sim_api("POST", "/sim/limits", {"enabled": False})
        started = time.monotonic()
        users = await bounded([self._connected_user() for _ in range(count)], 32)
        replies = await bounded([self.ask(StartBot(user_id=u)) for u in users], 64)
        refused = [r for r in replies if not r["ok"]]
        if refused:
            raise RuntimeError(f"{len(refused)} bots did not start: {refused[0]}")
        self.users = users
        await self.watcher.until(lambda: self.watcher.configured >= set(users), 3600)
        print(f"        ({count} users ready in {time.monotonic() - started:.0f} s)", flush=True)

    async def _connected_user(self) -> str:
        keys = await self.sim_api("POST", "/sim/accounts", {"balance": "10000"})
        user = "u" + uuid.uuid4().hex[:16]
        self.uids[user] = keys["uid"]
        ref = AggregateRef(type="user", id=AggregateId(user))
        settings = TradingSettings(trading_enabled=True, risk_per_trade=Decimal(1))
        events = [
            UserCreated(username=user, email=f"{user}@example.com", role="trader"),
            TradingSettingsChanged(settings=settings),
        ]
        await self.store.append(ref, [wrap(e, ref) for e in events], 0)
        connect = await connect_command(self.nc, user, keys["apiKey"], keys["secretKey"])
        reply = await self.ask(connect)
        if not reply["ok"]:
            raise RuntimeError(f"connect refused: {reply}")
        return user

    async def signal_round(self, cross: str) -> dict[str, float]:
        """Append one signal; wait for every user's order; each user's delay in seconds."""
        self._index += 1
        price = await price_of(self.sim.url, SYMBOL)
        signal = signal_at(price, cross, candle_open_ms=self._index * 300_000)  # type: ignore[arg-type]
        stored_at = datetime.now(UTC)  # the signal's publication (a hair before its stamp)
        signal_id = await publish(self.store, signal)
        leg = "entry" if cross == "up" else "exit"
        wanted = {client_order_id(signal_id, u, leg): u for u in self.users}
        watcher = self.watcher
        await watcher.until(
            lambda: all(c in watcher.accepted or c in watcher.rejected for c in wanted), 900
        )
        failed = [watcher.rejected[c] for c in wanted if c in watcher.rejected]
        if failed:
            raise RuntimeError(f"{len(failed)} orders rejected, e.g. {failed[0]}")
        # BingX's answer is not a fill: each order's fill comes by the user stream or by query
        await watcher.until(lambda: all(c in watcher.filled for c in wanted), 300)
        fills = [watcher.filled[c] for c in wanted]
        self.last_fills.append(max((at - stored_at).total_seconds() for at, _ in fills))
        for _, path in fills:
            self.fill_paths[path] = self.fill_paths.get(path, 0) + 1
        return {u: (watcher.accepted[c] - stored_at).total_seconds() for c, u in wanted.items()}

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by each part (user + system), by role."""
        parts: dict[str, list[int | None]] = {
            "executor": [self.executor.process.pid],
            "vault workers": [p.process.pid for p in self._processes if p.name == "vault"],
            "OpenBao": [self.openbao.process.pid],
            "simulator": [self.sim.process.pid],
            "nats-server": [self.nats.process.pid],
            "this bench (log watcher)": [os.getpid()],
        }
        return {role: sum(_cpu(pid) for pid in pids) for role, pids in parts.items()}

    async def executor_metrics(self) -> dict[str, float]:
        async with httpx.AsyncClient(base_url=self.executor.url) as http:
            text = (await http.get("/metrics")).text
        found = {}
        for line in text.splitlines():
            if line.startswith("executor_") and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                found[name] = float(value)
        return found


def _cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def baseline_orders_per_s(sim_url: str, orders: int) -> float:
    """The simulator alone: signed MARKET orders with local HMAC, 64 in flight."""
    async with httpx.AsyncClient(base_url=sim_url) as http:
        keys = (await http.post("/sim/accounts", json={"balance": "100000000"})).json()
    client = BingxClient(Transport(sim_url, LocalHmacSigner(keys["apiKey"], keys["secretKey"])))
    try:
        started = time.perf_counter()
        await bounded(
            [
                client.place_order(SYMBOL, "BUY", "LONG", "MARKET", Decimal("0.001"))
                for _ in range(orders)
            ],
            64,
        )
        return orders / (time.perf_counter() - started)
    finally:
        await client.close()
