"""BingX's own history into a trader's: the last 90 days of fills and income, read in the
background window by window, recorded as ``history.*`` events with their progress.

One import per trader at a time: the log says one is running (any executor instance may
be asked; the one that started it runs it). An import whose process ended (nothing heard
for :data:`STALLED_AFTER`) may be started again; trades and income rows have stable
identities, so what the first one stored is not stored twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from fleet.bingx import BingxClient
from fleet.bingx.errors import COOL_DOWN_S, MAX_COOL_DOWN_S, BingxError, RateLimited
from fleet.events import ActorId, AggregateId, CorrelationId
from fleet.events.catalog import domain_registry
from fleet.events.directory import UserView
from fleet.events.history import (
    IMPORT_MAX,
    BingxImportFinished,
    BingxImportProgressed,
    BingxImportStarted,
    BingxImportState,
    ImportedIncome,
    ImportedTrade,
)
from fleet.eventstore import EventStore, Repository
from fleet.executor.adapters.bingx_account import income_row
from fleet.executor.adapters.bingx_history import BingxHistory, imported_income, windows
from fleet.executor.domain.bingx_fills import FillRow, fold_fills, realised_by_fill
from fleet.executor.domain.history import ImportedHistory
from fleet.executor.errors import ExecutorError, SigningUnavailable
from fleet.obs import count_unexpected, get_logger

WINDOW = timedelta(days=7)  # one progress step (BingX would take up to 30 days at once)
# The longest an import may go unheard while alive: a pause for BingX's longest cool-down
# (a 418/403 ban, 5 min), then a read whose budget may wait out a new one, plus a margin.
# Equal to one cool-down, a live import pausing looked stalled and a second one started.
LONGEST_COOL_DOWN = timedelta(seconds=max(MAX_COOL_DOWN_S, *COOL_DOWN_S.values()))
STALLED_AFTER = 2 * LONGEST_COOL_DOWN + timedelta(minutes=5)
RATE_LIMIT_PAUSE_S = 1.0  # after a refusal: 1 s, 2 s, 4 s ... up to 30 s
RATE_LIMIT_PAUSE_MAX_S = 30.0
RATE_LIMITED_MAX = 20  # refusals one import waits out before giving up
T = TypeVar("T", ImportedTrade, ImportedIncome)
R = TypeVar("R")


class ImportFailed(ExecutorError):
    """The import could not finish: its reason is recorded."""

    error_code = "bingx_history_import_failed"


@dataclass
class _Run:
    user_id: str
    import_id: str
    actor: ActorId
    correlation_id: CorrelationId | None
    fills: list[FillRow] = field(default_factory=list)
    income: list[ImportedIncome] = field(default_factory=list)
    # (symbol, ms) → realised PnL
    realised: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    income_read: int = 0
    rate_limited: int = 0


@dataclass
class _Refusals:
    """One window's rate-limit refusals (its back-off grows with them)."""

    count: int = 0


class HistoryImports:
    """Starts imports and runs them as background tasks of this process."""

    def __init__(
        self,
        store: EventStore,
        clients: Callable[[UserView], BingxClient],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        pause_s: float = RATE_LIMIT_PAUSE_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._histories = Repository(store, domain_registry(), ImportedHistory)
        self._clients = clients
        self._clock = clock
        self._pause_s = pause_s
        self._sleep = sleep
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def state(self, user_id: str) -> BingxImportState:
        return (await self._histories.load(AggregateId(user_id))).bingx_import

    async def start(
        self, view: UserView, days: int, actor: ActorId, correlation_id: CorrelationId | None
    ) -> BingxImportState:
        """Start an import of the last ``days`` days, unless one is running (this
        process's own task is running whatever the log's clock says)."""
        if self._running(view.user_id):
            return await self.state(view.user_id)
        now = self._clock()
        since, until = now - timedelta(days=days), now
        cuts = windows(_ms(since), _ms(until), int(WINDOW.total_seconds() * 1000))
        import_id = uuid.uuid4().hex

        def decide(history: ImportedHistory) -> None:
            if history.importing and not history.stalled(now, STALLED_AFTER):
                return
            history.record(
                BingxImportStarted(
                    import_id=import_id, since=since, until=until, windows=len(cuts), at=now
                )
            )

        stored = await self._histories.execute(
            AggregateId(view.user_id), decide, actor=actor, correlation_id=correlation_id
        )
        if stored:
            run = _Run(view.user_id, import_id, actor, correlation_id)
            task = asyncio.create_task(self._run(run, self._clients(view), cuts))
            self._track(view.user_id, task)
        return await self.state(view.user_id)

    def _running(self, user_id: str) -> bool:
        task = self._tasks.get(user_id)
        return task is not None and not task.done()

    def _track(self, user_id: str, task: asyncio.Task[None]) -> None:
        """Keep ``task`` as ``user_id``'s until it ends; an ended task forgets only itself,
        never a newer import that took its place."""
        self._tasks[user_id] = task

        def forget(_: asyncio.Task[None]) -> None:
            if self._tasks.get(user_id) is task:
                del self._tasks[user_id]

        task.add_done_callback(forget)

    async def stop(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _run(self, run: _Run, client: BingxClient, cuts: list[tuple[int, int]]) -> None:
        source = BingxHistory(client)
        try:
            for number, (start, end) in enumerate(cuts, start=1):
                await self._read_window(run, source, start, end)
                await self._record(run, self._progress(run, number))
            await self._store(run)
        except ImportFailed as exc:
            await self._finish(run, 0, 0, 0, str(exc))
        except Exception as exc:  # recorded, so the trader sees it ended
            count_unexpected("executor.history_import")
            get_logger().exception("history import failed", user=run.user_id)
            await self._finish(run, 0, 0, 0, f"the import stopped: {type(exc).__name__}")

    async def _read_window(self, run: _Run, source: BingxHistory, start: int, end: int) -> None:
        """One window's fills, then its income: a rate-limit refusal of the income does not
        read the fills again. The back-off grows with this window's refusals only."""
        refused = _Refusals()
        fills = await self._patiently(run, refused, lambda: source.fills(start, end))
        rows = await self._patiently(run, refused, lambda: source.income(start, end))
        read = [row for row in map(income_row, rows) if row is not None]
        run.fills += fills
        run.income += [row for row in map(imported_income, read) if row is not None]
        run.realised.update(realised_by_fill(read))  # windows do not overlap
        run.income_read += len(rows)

    async def _patiently(
        self, run: _Run, refused: _Refusals, read: Callable[[], Awaitable[R]]
    ) -> R:
        """``read`` until it is not refused for BingX's rate limit. Only that refusal is
        waited out (the long cool-down the transport could not wait): the transport has
        already retried passing failures, and a rejection (a bad parameter, a missing
        permission) is refused again however often it is sent, so it ends the import."""
        while True:
            try:
                return await read()
            except RateLimited as exc:
                run.rate_limited += 1
                refused.count += 1
                if run.rate_limited > RATE_LIMITED_MAX:
                    raise ImportFailed("BingX kept refusing for its rate limit") from None
                await self._sleep(self._pause(refused.count, exc.cool_down_s))
            except (BingxError, SigningUnavailable) as exc:
                raise ImportFailed(f"BingX's history could not be read: {exc}") from None

    def _pause(self, attempt: int, cool_down_s: float) -> float:
        growing = self._pause_s * float(2 ** min(attempt - 1, 5))
        return max(cool_down_s, min(growing, RATE_LIMIT_PAUSE_MAX_S))

    def _progress(self, run: _Run, done: int) -> BingxImportProgressed:
        return BingxImportProgressed(
            import_id=run.import_id,
            windows_done=done,
            fills_read=len(run.fills),
            income_read=run.income_read,
            rate_limited=run.rate_limited,
            at=self._clock(),
        )

    async def _store(self, run: _Run) -> None:
        trades = fold_fills(run.user_id, run.fills, run.realised).trades
        added_trades = await self._add(run, trades, lambda h, c: h.add("bingx", c))
        added_income = await self._add(run, run.income, lambda h, c: h.add_income("bingx", c))
        await self._finish(run, added_trades, len(trades) - added_trades, added_income, "")

    async def _add(
        self,
        run: _Run,
        items: Iterable[T],
        add: Callable[[ImportedHistory, tuple[T, ...]], int],
    ) -> int:
        everything, added = list(items), 0
        for start in range(0, len(everything), IMPORT_MAX):
            added += await self._add_chunk(run, tuple(everything[start : start + IMPORT_MAX]), add)
        return added

    async def _add_chunk(
        self,
        run: _Run,
        chunk: tuple[T, ...],
        add: Callable[[ImportedHistory, tuple[T, ...]], int],
    ) -> int:
        counted = 0  # the last decision's (a conflict decides again)

        def decide(history: ImportedHistory) -> None:
            nonlocal counted
            counted = add(history, chunk)

        await self._histories.execute(
            AggregateId(run.user_id), decide, actor=run.actor, correlation_id=run.correlation_id
        )
        return counted

    async def _finish(
        self, run: _Run, trades: int, already_there: int, income: int, reason: str
    ) -> None:
        finished = BingxImportFinished(
            import_id=run.import_id,
            outcome="failed" if reason else "done",
            trades_imported=trades,
            trades_already_there=already_there,
            income_imported=income,
            reason=reason,
            at=self._clock(),
        )
        await self._record(run, finished)

    async def _record(self, run: _Run, event: BingxImportProgressed | BingxImportFinished) -> None:
        await self._histories.execute(
            AggregateId(run.user_id),
            lambda history: history.record(event),
            actor=run.actor,
            correlation_id=run.correlation_id,
        )


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
