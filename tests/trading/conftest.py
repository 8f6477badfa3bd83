"""The trading path for real: NATS JetStream, OpenBao, the vault service, the executor and
the BingX simulator, each a process on 127.0.0.1. Users are set up the way the log knows
them (user and settings events appended as auth would), credentials go through vault,
bots start through the executor's command, signals are appended as the strategy does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client

from fleet.events import AggregateId, AggregateRef, DomainEvent, Envelope, wrap
from fleet.events.catalog import domain_registry
from fleet.events.commands import Command, command_subject
from fleet.events.executor_commands import StartBot
from fleet.events.trading import (
    OrderAccepted,
    OrderFilled,
    OrderIntended,
    PositionClosed,
    PositionOpened,
    SignalEvaluated,
)
from fleet.events.users import TradingSettings, TradingSettingsChanged, UserCreated
from fleet.events.vault_commands import SignPayload
from fleet.eventstore import EventStore, StreamSpec
from fleet.eventstore.stream import TelemetrySpec, ensure_platform
from fleet.stack import OpenBaoServer, SimulatorServer
from fleet.testing.services import ServiceProcess
from fleet.testing.signals import Cross, price_of, publish, signal_at
from fleet.testing.vault import connect_command

REGISTRY = domain_registry()


@dataclass(frozen=True)
class TraderKeys:
    user_id: str
    api_key: str
    secret: str


@dataclass
class Trading:
    """Handles on the running path, for one test module."""

    nc: Client
    store: EventStore
    sim: SimulatorServer
    vault: ServiceProcess
    executor: ServiceProcess
    executor_env: dict[str, str]
    log_dir: Path
    started: list[ServiceProcess] = field(default_factory=list)

    async def ask(self, command: Command, timeout: float = 20) -> dict[str, Any]:
        answer = await self.nc.request(
            command_subject(command), command.model_dump_json().encode(), timeout=timeout
        )
        return dict(json.loads(answer.data))

    async def sim_api(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.sim.url, timeout=10) as http:
            answer = await http.request(method, path, json=body)
            answer.raise_for_status()
            return answer.json()

    async def append(self, kind: str, aggregate_id: str, *events: DomainEvent) -> list[Envelope]:
        ref = AggregateRef(type=kind, id=AggregateId(aggregate_id))
        return await self.store.append(ref, [wrap(e, ref) for e in events], None)

    async def trader(
        self, balance: str = "10000", start: bool = True, **settings: Any
    ) -> TraderKeys:
        """A trader with a simulator account, a verified credential and (by default) a
        running bot, whose settings are ``settings`` over sensible test defaults."""
        keys = await self.sim_api("POST", "/sim/accounts", {"balance": balance})
        user = "u" + uuid.uuid4().hex[:12]
        chosen = TradingSettings(trading_enabled=True, **settings)
        await self.append(
            "user",
            user,
            UserCreated(username=user, email=f"{user}@example.com", role="trader"),
            TradingSettingsChanged(settings=chosen),
        )
        connect = await connect_command(self.nc, user, keys["apiKey"], keys["secretKey"])
        connected = await self.ask(connect)
        assert connected["ok"], connected
        if start:
            started = await self.ask(StartBot(user_id=user))
            assert started["ok"], started
        return TraderKeys(user, keys["apiKey"], keys["secretKey"])

    async def signal(self, symbol: str = "BTC-USDT", cross: Cross = "up", **changes: Any) -> str:
        """Append a signal for the candle that just closed; returns its event id."""
        close = await price_of(self.sim.url, symbol)
        return await publish(self.store, signal_at(close, cross, symbol=symbol, **changes))

    async def events(self, kind: str, user_id: str) -> list[DomainEvent]:
        ref = AggregateRef(type=kind, id=AggregateId(user_id))
        return [REGISTRY.decode(e) for e in await self.store.load(ref)]

    async def decisions(self, user_id: str) -> list[SignalEvaluated]:
        """The trader's decisions: those in the log and the routine skips in telemetry."""
        telemetry = EventStore(self.nc, TelemetrySpec.beside(self.store.spec).as_log())
        ref = AggregateRef(type="account", id=AggregateId(user_id))
        stored = [*await self.store.load(ref), *await telemetry.load(ref)]
        return [e for e in map(REGISTRY.decode, stored) if isinstance(e, SignalEvaluated)]

    async def account_state(self, keys: TraderKeys) -> dict[str, Any]:
        return dict(await self.sim_api("GET", f"/sim/accounts/{keys.api_key}"))

    def restart_executor(self, *, kill: bool) -> None:
        (self.executor.kill if kill else self.executor.stop)()
        self.executor = self.new_executor(self.executor_env)

    def new_executor(self, env: dict[str, str]) -> ServiceProcess:
        """Start an executor; every one started is stopped at the module's end, even one
        whose start a timeout interrupted (a leaked executor answers other modules'
        commands on the shared NATS server)."""
        process = ServiceProcess("executor", env, self.log_dir)
        self.started.append(process)
        return process.start()

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


def intents_in(events: list[DomainEvent]) -> list[OrderIntended]:
    """Every order intended: inside decisions, or on its own (a flatten)."""
    found: list[OrderIntended] = []
    for event in events:
        if isinstance(event, SignalEvaluated):
            found.extend(event.intents)
        elif isinstance(event, OrderIntended):
            found.append(event)
    return found


def trade_events(events: list[DomainEvent]) -> list[PositionOpened | PositionClosed]:
    """Trades opened and closed: on their own (reconciliation) or inside a fill (older
    logs: inside an order's outcome)."""
    found: list[PositionOpened | PositionClosed] = []
    for event in events:
        if isinstance(event, PositionOpened | PositionClosed):
            found.append(event)
        elif isinstance(event, OrderAccepted | OrderFilled):
            found.extend(e for e in (event.opened, event.closed) if e is not None)
    return found


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float = 20.0, every: float = 0.2
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(every)
    raise AssertionError(f"not reached in {timeout} s (last: {last!r})")


async def metric(process: ServiceProcess, name: str) -> float:
    """The value of an unlabelled metric on the process's /metrics (0 when absent)."""
    async with httpx.AsyncClient(base_url=process.url, timeout=5) as http:
        for line in (await http.get("/metrics")).text.splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
    return 0.0


def executor_env(base: dict[str, str], **overrides: str) -> dict[str, str]:
    return (
        base
        | {
            "FLEET_PARTITIONS": "4",
            "FLEET_POLL_INTERVAL_S": "1",
            "FLEET_RESOLVE_INTERVAL_S": "1",
            "FLEET_RATE_LIMITS": "false",
            # a restarted executor takes its own leases back at once (no 3 s TTL wait)
            "FLEET_INSTANCE_ID": "executor-under-test",
        }
        | overrides
    )


@pytest.fixture(scope="module")
def executor_overrides() -> dict[str, str]:
    """Extra executor settings; a test module overrides this fixture to change them."""
    return {}


@contextlib.asynccontextmanager
async def running_path(
    nc: Client,
    spec: StreamSpec,
    sim: SimulatorServer,
    openbao_server: OpenBaoServer,
    log_dir: Path,
    base: dict[str, str],
    *,
    vault_extra: dict[str, str] | None = None,
    executor_extra: dict[str, str] | None = None,
) -> AsyncIterator[Trading]:
    """The vault service and an executor on ``spec`` for the simulator ``sim`` (which it
    stops after them, with ``nc``): the one way each trading fixture starts the path."""
    vault_env = (
        base
        | {
            "FLEET_VAULT_ADDR": openbao_server.addr,
            "FLEET_VAULT_TOKEN": openbao_server.root_token,
            "FLEET_HEALTH_CHECK_MINUTES": "60",
        }
        | (vault_extra or {})
    )
    vault = ServiceProcess("vault", vault_env, log_dir).start()
    await _wait_for_vault(nc)
    env = executor_env(base, **(executor_extra or {}))
    executor = ServiceProcess("executor", env, log_dir).start()
    handle = Trading(nc, EventStore(nc, spec), sim, vault, executor, env, log_dir)
    handle.started.append(executor)
    try:
        yield handle
    finally:
        handle.stop_all()  # every executor the module started, the restarted ones too
        vault.stop()
        sim.stop()
        await nc.close()


async def fresh_platform(
    nats_server: Any, log_dir: Path, speed: float
) -> tuple[Client, StreamSpec, SimulatorServer, dict[str, str]]:
    """A started simulator whose clock runs ``speed`` times real time, an admin connection,
    a fresh namespace's stream with the platform's others, and the services' environment
    on them (JSON logs): what ``running_path`` starts the path on."""
    namespace = "t" + uuid.uuid4().hex[:10]
    sim = SimulatorServer(log_dir, speed=speed)
    sim.start()
    nc = await nats.connect(nats_server.admin_url)
    spec = StreamSpec(name=f"EV_{namespace}", prefix=namespace)
    await ensure_platform(nc.jetstream(), spec)
    base = {
        "FLEET_NATS_URL": nats_server.admin_url,
        "FLEET_STREAM_NAME": spec.name,
        "FLEET_SUBJECT_PREFIX": namespace,
        "FLEET_BINGX_BASE_URL": sim.url,
        "FLEET_LOG_FORMAT": "json",
    }
    return nc, spec, sim, base


@pytest.fixture(scope="module")
async def trading(
    nats_server: Any,
    openbao_server: OpenBaoServer,
    tmp_path_factory: pytest.TempPathFactory,
    executor_overrides: dict[str, str],
) -> AsyncIterator[Trading]:
    """A fresh stream, simulator, vault service and executor for the module."""
    log_dir = tmp_path_factory.mktemp("trading")
    nc, spec, sim, base = await fresh_platform(nats_server, log_dir, speed=1.0)
    # a thousand traders connect at once: far beyond the platform's production budget
    vault_extra = {
        "FLEET_CONNECT_PLATFORM_PER_MINUTE": "600000",
        "FLEET_CONNECT_PLATFORM_BURST": "100000",
        "FLEET_CONNECT_USER_BURST": "100",
    }
    async with running_path(
        nc,
        spec,
        sim,
        openbao_server,
        log_dir,
        base,
        vault_extra=vault_extra,
        executor_extra=executor_overrides,
    ) as handle:
        yield handle


async def _wait_for_vault(nc: Client) -> None:
    command = SignPayload(user_id="nobody", payload="x")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            await nc.request(command_subject(command), command.model_dump_json().encode(), 2)
            return
        except (TimeoutError, nats.errors.NoRespondersError):
            await asyncio.sleep(0.2)
    raise AssertionError("the vault service did not answer")
