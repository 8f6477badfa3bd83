"""The traders this process trades for: the running bots of the partitions it owns.

Gaining a partition replays its users' accounts from the log (one pass over every
account subject when many users arrive at once), resolves their open intents by
clientOrderID, then lets the fan-out replay the recent signals they have not decided
yet (a crash mid-fan-out is finished by the next owner). Routine skips are not in the
accounts (they went to telemetry): the recent ones are read from there first, so a signal
already skipped is not decided again (by then stale, a skip the log would keep). Losing
a partition drops its traders.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta

from fleet.events import AggregateId, partition_of
from fleet.events.directory import Directory, UserView
from fleet.events.subjects import aggregate_type_subject
from fleet.events.trading import ACCOUNT_AGGREGATE
from fleet.eventstore import EventStore
from fleet.executor import metrics
from fleet.executor.domain.account import TradingAccount
from fleet.executor.execution import Execution
from fleet.executor.traders import Trader, TraderFactory

BULK_LOAD = 16  # above this many users, one pass over all account events beats one load each
SNAPSHOT_READS = 32  # snapshot reads in flight while a bulk load restores accounts
RESOLVE_CONCURRENCY = 32
# how far back the fan-out replays signals to traders just gained (Fanout.lookback), so
# also how far back their routine skips are read from telemetry
REPLAY_WINDOW = timedelta(minutes=15)
Gained = Callable[[list[Trader]], Awaitable[None]]


class Ownership:
    def __init__(
        self,
        directory: Directory,
        factory: TraderFactory,
        execution: Execution,
        store: EventStore,
        partitions: int,
    ) -> None:
        self.directory = directory
        self.factory = factory
        self.execution = execution
        self.store = store
        self.partitions = partitions
        self.owned: set[int] = set()
        self.traders: dict[str, Trader] = {}
        self.on_gained: Gained | None = None
        self.on_pending: Callable[[list[UserView]], Awaitable[None]] | None = None

    def partition(self, user_id: str) -> int:
        return partition_of(user_id, self.partitions)

    def owns(self, user_id: str) -> bool:
        return self.partition(user_id) in self.owned

    def followers(self, symbol: str, timeframe: str) -> list[Trader]:
        """Owned traders whose running bot follows this stream, in a stable order."""
        views = self.directory.followers(symbol, timeframe)
        return [self.traders[v.user_id] for v in views if v.user_id in self.traders]

    async def gain(self, partitions: set[int]) -> None:
        self.owned |= partitions
        metrics.OWNED_PARTITIONS.set(len(self.owned))
        if self.on_pending is not None:  # flattens asked while nobody owned these users
            pending = self.directory.flattens_pending()
            await self.on_pending([v for v in pending if self.partition(v.user_id) in partitions])
        views = [v for v in self.directory.running() if self.partition(v.user_id) in partitions]
        await self.add(views)

    async def add(self, views: Iterable[UserView]) -> list[Trader]:
        """Start trading for these (owned, running) users."""
        fresh = [v for v in views if v.user_id not in self.traders and self.owns(v.user_id)]
        if not fresh:
            return []
        accounts = await self._load([v.user_id for v in fresh])
        traders = [self.factory.build(v, accounts[v.user_id]) for v in fresh]
        await self._note_routine(traders)
        for trader in traders:
            self.traders[trader.user_id] = trader
        await _bounded(self.execution.resolve_open, traders, RESOLVE_CONCURRENCY)
        metrics.OWNED_TRADERS.set(len(self.traders))
        if self.on_gained is not None:
            await self.on_gained(traders)
        return traders

    async def _note_routine(self, traders: list[Trader]) -> None:
        telemetry = self.execution.telemetry
        if telemetry is None:
            return
        decided = await telemetry.decided_since(self.execution.clock() - REPLAY_WINDOW)
        for trader in traders:
            for signal_id in decided.get(trader.user_id, ()):
                trader.account.noted(signal_id)

    async def lose(self, partitions: set[int]) -> None:
        self.owned -= partitions
        for user_id in [u for u in self.traders if self.partition(u) in partitions]:
            del self.traders[user_id]
            self.factory.egress.release(user_id)
        metrics.OWNED_TRADERS.set(len(self.traders))
        metrics.OWNED_PARTITIONS.set(len(self.owned))

    def drop(self, user_id: str) -> None:
        """The user's bot stopped: no more trading or reconciling for them."""
        self.traders.pop(user_id, None)
        self.factory.egress.release(user_id)
        metrics.OWNED_TRADERS.set(len(self.traders))

    async def _load(self, user_ids: list[str]) -> dict[str, TradingAccount]:
        accounts = {u: TradingAccount(AggregateId(u)) for u in user_ids}
        if len(user_ids) <= BULK_LOAD:
            for user_id in user_ids:
                accounts[user_id] = await self.factory.accounts.load(AggregateId(user_id))
            return accounts
        subject = aggregate_type_subject(self.store.spec.prefix, ACCOUNT_AGGREGATE)
        last = await self.store.last_sequence_of(subject)
        if last == 0:
            return accounts
        # each account from its snapshot (when it has one), then one scan from the oldest
        # snapshot on, each account taking only the events after its own
        gate = asyncio.Semaphore(SNAPSHOT_READS)

        async def restored(user_id: str) -> TradingAccount:
            async with gate:
                return await self.factory.accounts.restored(AggregateId(user_id))

        for snapshotted in await asyncio.gather(*(restored(u) for u in user_ids)):
            accounts[snapshotted.id] = snapshotted
        start = min(a.version for a in accounts.values()) + 1
        if start > last:
            return accounts
        scan = self.store.subscribe(subject=subject, from_sequence=start)
        async with contextlib.aclosing(scan) as reader:
            async for stored in reader:
                envelope = stored.envelope
                sequence = envelope.sequence or 0
                found = accounts.get(envelope.aggregate.id)
                if found is not None and sequence > found.version:
                    found.apply(stored.event)
                    found.version = sequence
                    found.unsnapshotted += 1
                if sequence >= last:
                    break
        return accounts


async def _bounded(
    work: Callable[[Trader], Awaitable[object]], traders: list[Trader], limit: int
) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(trader: Trader) -> None:
        async with gate:
            await work(trader)

    await asyncio.gather(*(one(t) for t in traders))
