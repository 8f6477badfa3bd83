"""What runs beside the command handlers: the directory followed from the log, the
partition leases, the signal fan-out, and the periodic reconciliation and resolution of
every owned trader. Built at startup (nothing at import time)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from datetime import timedelta
from typing import Any

from nats.aio.client import Client

from fleet.bingx import BingxClient, Transport
from fleet.bus.lease import LEASE_BUCKET
from fleet.bus.loops import supervise
from fleet.events import ActorId, AggregateId, DomainEvent, Envelope
from fleet.events.catalog import domain_registry
from fleet.events.directory import USER_TYPES, Directory
from fleet.events.halt import HALT_AGGREGATE, HaltState
from fleet.events.signals import SIGNAL_AGGREGATE, SignalGenerated
from fleet.events.subjects import aggregate_type_subject
from fleet.eventstore import EventStore, Repository, StreamSpec
from fleet.eventstore.snapshots import KvSnapshots
from fleet.eventstore.stream import BUDGET_BUCKET, TelemetrySpec
from fleet.executor.adapters.budget_owner import BudgetOwner
from fleet.executor.adapters.contracts import ContractBook
from fleet.executor.adapters.egress import EgressIdentity, EgressPool
from fleet.executor.adapters.telemetry import JetStreamTelemetry
from fleet.executor.domain.account import TradingAccount
from fleet.executor.domain.bot import Bot
from fleet.executor.errors import ExecutorError
from fleet.executor.execution import Execution, SignalReceived, utc_now
from fleet.executor.fanout import Fanout
from fleet.executor.handlers import ExecutorDeps
from fleet.executor.history_import import HistoryImports
from fleet.executor.ownership import Ownership
from fleet.executor.partitions import PartitionManager
from fleet.executor.reactions import Reactions
from fleet.executor.settings import ExecutorSettings
from fleet.executor.streams import UserStreams
from fleet.executor.traders import Trader, TraderFactory
from fleet.obs import count_unexpected, get_logger


class ExecutorWorker:
    """The executor's moving parts, started after the broker connects."""

    def __init__(self, settings: ExecutorSettings) -> None:
        self.settings = settings
        self.registry = domain_registry()
        self.directory = Directory()
        self.directory_caught_up = asyncio.Event()
        self._directory_position = 0
        self.halt = HaltState()
        self._deps: ExecutorDeps | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def deps(self) -> ExecutorDeps:
        if self._deps is None:
            raise ExecutorError("the executor is still starting")
        return self._deps

    async def start(self, nc: Client) -> None:
        """Build and start everything on ``nc``, the service's one NATS connection (its
        broker's, which closes it after :meth:`stop`)."""
        settings = self.settings
        spec = StreamSpec(name=settings.stream_name, prefix=settings.subject_prefix)
        self.store = store = EventStore(nc, spec)
        js = nc.jetstream()
        budgets = await js.key_value(BUDGET_BUCKET) if settings.rate_limits else None
        identities = [EgressIdentity.parse(text) for text in settings.egress]
        leases = await js.key_value(LEASE_BUCKET)
        self.budget_owners = (
            {
                i.name: BudgetOwner(
                    nc, leases, budgets, settings.stream_name, i.name, settings.instance_id
                )
                for i in identities
            }
            if budgets is not None
            else {}
        )
        self.egress = EgressPool(
            identities, budgets, scope=settings.stream_name, owners=self.budget_owners
        )
        self.market = BingxClient(Transport(settings.bingx_base_url, None))
        snapshots = KvSnapshots(js) if settings.snapshot_every else None
        every = max(settings.snapshot_every, 1)
        bots = Repository(store, self.registry, Bot, snapshots=snapshots, snapshot_every=every)
        accounts = Repository(
            store, self.registry, TradingAccount, snapshots=snapshots, snapshot_every=every
        )
        self.execution = Execution(
            ContractBook(self.market),
            self._auto_pause,
            max_signal_age=self._max_age(),
            caps=settings.caps,
            telemetry=JetStreamTelemetry(nc, TelemetrySpec.beside(spec)),
        )
        factory = TraderFactory(
            nc, accounts, self.egress, settings.bingx_base_url, settings.bingx_demo_base_url
        )
        self.ownership = Ownership(
            self.directory, factory, self.execution, store, settings.partitions
        )
        self.fanout = Fanout(self.execution, self.ownership, settings.fanout_concurrency)
        self.ownership.on_gained = self.fanout.replay_for
        self.reactions = Reactions(self.ownership, self.execution, bots)
        self.ownership.on_pending = self.reactions.pending
        self._deps = ExecutorDeps(store, bots, self.directory)
        self._deps.clients = factory.client_for
        self._deps.history_imports = HistoryImports(store, factory.client_for)
        self.partitions = PartitionManager(
            leases,
            settings.stream_name,
            settings.instance_id,
            settings.partitions,
            self.ownership.gain,
            self.ownership.lose,
        )
        partitions, ownership = self.partitions, self.ownership
        factory.fence = lambda user: partitions.fence(ownership.partition(user))
        with contextlib.suppress(Exception):  # warm the contract book; else on first use
            await self.execution.contracts.refresh()
        for name, owner in self.budget_owners.items():
            self._spawn(f"budget {name}", owner.run)
        self._spawn("directory", self._follow_directory)
        self._spawn("signals", self._follow_signals)
        self._spawn("partitions", self._own_partitions)
        self._spawn("reconcile", lambda: self._every(settings.poll_interval_s, self._reconcile))
        self._spawn("resolve", lambda: self._every(settings.resolve_interval_s, self._resolve))
        if settings.user_streams_max > 0:
            self.streams = UserStreams(
                settings.user_ws_urls,
                lambda: self.ownership.traders,
                self._reconcile,
                settings.user_streams_max,
                per_egress=settings.user_streams_per_egress,
                address_of=self.egress.address_of,
                fills=self.execution,
            )
            self._spawn("user streams", self._follow_user_streams)

    async def _follow_user_streams(self) -> None:
        await self.directory_caught_up.wait()
        await self.streams.run()

    def _max_age(self) -> timedelta | None:
        age = self.settings.max_signal_age_s
        return timedelta(seconds=age) if age is not None else None

    def _spawn(self, name: str, loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._tasks.append(supervise(name, loop))

    async def _follow_directory(self) -> None:
        prefix = self.store.spec.prefix
        subjects = [aggregate_type_subject(prefix, kind) for kind in (*USER_TYPES, HALT_AGGREGATE)]
        last = max([await self.store.last_sequence_of(s) for s in subjects])
        if last <= self._directory_position:
            self.directory_caught_up.set()
        start = self._directory_position + 1
        async for stored in self.store.subscribe(subjects=subjects, from_sequence=start):
            envelope, event = stored.envelope, stored.event
            halt = envelope.aggregate.type == HALT_AGGREGATE
            if halt:
                self._follow_halt(event)
            else:
                self.directory.apply(
                    envelope.aggregate.id, event, envelope.occurred_at, envelope.id
                )
            self._directory_position = envelope.sequence or self._directory_position
            if self.directory_caught_up.is_set():
                if not halt:
                    self.reactions.on_event(envelope, event)
            elif self._directory_position >= last:
                self.directory_caught_up.set()

    def _follow_halt(self, event: DomainEvent) -> None:
        """The kill switch as the log says: every order's risk gate reads it from the
        caps, so the next entry of every trader this process owns is refused (or allowed
        again) from here on, in-flight signals included."""
        self.halt.apply(event)
        self.execution.caps = replace(self.execution.caps, halt=self.halt.sentence)
        get_logger().warning("trading halt", halted=self.halt.halted, by=self.halt.by)

    async def _own_partitions(self) -> None:
        await self.directory_caught_up.wait()
        await self.partitions.run()

    async def _follow_signals(self) -> None:
        await self.directory_caught_up.wait()
        since = utc_now() - timedelta(seconds=self.settings.signal_lookback_s)
        subject = aggregate_type_subject(self.store.spec.prefix, SIGNAL_AGGREGATE)
        async for stored in self.store.subscribe(subject=subject, from_time=since):
            received = _received(stored.envelope, stored.event)
            if received is not None:
                self.fanout.dispatch(received)

    async def _every(self, seconds: float, work: Callable[[Trader], Awaitable[None]]) -> None:
        """``work`` for every owned trader, a round starting every ``seconds`` (not
        ``seconds`` after the last one ended), so each trader is visited once per interval
        while a round fits in it; a longer round (the budget allows fewer traders per
        interval) is followed by the next at once, and said once in the log."""
        warned, next_round = False, time.monotonic() + seconds
        while True:
            await asyncio.sleep(max(0.0, next_round - time.monotonic()))
            started = time.monotonic()
            next_round = started + seconds
            for trader in list(self.ownership.traders.values()):
                try:
                    await work(trader)
                except Exception:  # the next round tries again; one user never stops all
                    count_unexpected("executor.periodic")
                    get_logger().exception("periodic work failed", user=trader.user_id)
            took = time.monotonic() - started
            if took > seconds and not warned:
                warned = True
                get_logger().warning(
                    "a round of periodic work took longer than its interval",
                    interval_s=seconds,
                    took_s=round(took, 1),
                    traders=len(self.ownership.traders),
                )

    async def _reconcile(self, trader: Trader) -> None:
        if trader.view.running:
            await self.execution.reconcile(trader)

    async def _resolve(self, trader: Trader) -> None:
        if trader.account.open_intents:
            await self.execution.resolve_open(trader)

    async def _auto_pause(self, user_id: str, reason: str) -> None:
        def decide(bot: Bot) -> None:
            bot.pause(reason, "system", automatic=True)

        await self.deps().bots.execute(AggregateId(user_id), decide, actor=ActorId("system"))

    async def stop(self) -> None:
        log, started = get_logger(), time.monotonic()
        with contextlib.suppress(Exception):
            await self.partitions.release_all()
        for owner in self.budget_owners.values():
            with contextlib.suppress(Exception):
                await owner.release()
        log.info("stopping: partitions given back", after_s=round(time.monotonic() - started, 2))
        for task in self._tasks:
            task.cancel()
        if self._tasks:  # asyncio.wait refuses an empty set
            _, pending = await asyncio.wait(self._tasks, timeout=STOP_REPORT_S)
            if pending:
                log.warning("stopping: still ending", loops=sorted(t.get_name() for t in pending))
        await asyncio.gather(*self._tasks, return_exceptions=True)
        log.info("stopping: background work ended", after_s=round(time.monotonic() - started, 2))
        if self._deps is not None and self._deps.history_imports is not None:
            await self._deps.history_imports.stop()
        await self.egress.close()
        await self.market.close()
        log.info("stopped", after_s=round(time.monotonic() - started, 2))


STOP_REPORT_S = 3.0  # a background loop still ending after this long is named in the log


def _received(envelope: Envelope, event: object) -> SignalReceived | None:
    if not isinstance(event, SignalGenerated):
        return None
    return SignalReceived(envelope.id, event, envelope.occurred_at)
