"""The history import waits out BingX's rate-limit answers window by window: the back-off
grows with one window's refusals and starts again at the next (a 13-window import that
is refused once per window waits 13 short pauses, not a doubling sum of minutes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from fleet.bingx.errors import COOL_DOWN_S, InvalidParameter, RateLimited
from fleet.events import ActorId, AggregateId
from fleet.executor import history_import
from fleet.executor.domain.history import ImportedHistory
from fleet.executor.history_import import HistoryImports, _Run


class RefusedOncePerWindow:
    """A BingX history whose first call of every window is refused for its rate limit."""

    def __init__(self, refusals: int = 1) -> None:
        self.refusals = refusals
        self.left = refusals

    async def fills(self, start: int, end: int) -> list[Any]:
        if self.left:
            self.left -= 1
            raise RateLimited("too many requests", code=100410)
        self.left = self.refusals  # the next window is refused again
        return []

    async def income(self, start: int, end: int) -> list[Any]:
        return []


async def test_the_back_off_starts_again_at_each_window() -> None:
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    imports = HistoryImports(None, lambda view: None, pause_s=1.0, sleep=pause)  # type: ignore[arg-type, return-value]
    run = _Run("u1", "i1", "u1", None)  # type: ignore[arg-type]
    source = RefusedOncePerWindow(refusals=2)
    for window in range(6):
        await imports._read_window(run, source, window, window + 1)  # type: ignore[arg-type]
    assert pauses == [1.0, 2.0] * 6  # grows within a window, never across them
    assert run.rate_limited == 12  # every refusal counts toward giving up


async def test_an_import_refused_too_often_gives_up() -> None:
    async def pause(seconds: float) -> None:
        return None

    imports = HistoryImports(None, lambda view: None, pause_s=1.0, sleep=pause)  # type: ignore[arg-type, return-value]
    run = _Run("u1", "i1", "u1", None)  # type: ignore[arg-type]
    source = RefusedOncePerWindow(refusals=history_import.RATE_LIMITED_MAX + 1)
    with pytest.raises(history_import.ImportFailed, match="rate limit"):
        await imports._read_window(run, source, 0, 1)  # type: ignore[arg-type]


class Scripted:
    """A BingX history answering each read with the next of its scripted outcomes."""

    def __init__(self, fills: list[Exception | None], income: list[Exception | None]) -> None:
        self.script = {"fills": fills, "income": income}
        self.calls = {"fills": 0, "income": 0}

    async def _next(self, kind: str) -> list[Any]:
        self.calls[kind] += 1
        outcome = self.script[kind].pop(0) if self.script[kind] else None
        if outcome is not None:
            raise outcome
        return []

    async def fills(self, start: int, end: int) -> list[Any]:
        return await self._next("fills")

    async def income(self, start: int, end: int) -> list[Any]:
        return await self._next("income")


def no_pauses(pauses: list[float]) -> HistoryImports:
    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    return HistoryImports(None, lambda view: None, pause_s=1.0, sleep=pause)  # type: ignore[arg-type, return-value]


async def test_a_rejection_ends_the_import_at_once_with_its_message() -> None:
    pauses: list[float] = []
    source = Scripted([InvalidParameter("startTs is required", code=80014)], [])
    with pytest.raises(history_import.ImportFailed, match="startTs is required"):
        await no_pauses(pauses)._read_window(_Run("u1", "i1", "u1", None), source, 0, 1)  # type: ignore[arg-type]
    assert source.calls["fills"] == 1 and pauses == []  # never sent again


async def test_a_refused_income_read_does_not_read_the_fills_again() -> None:
    pauses: list[float] = []
    source = Scripted([], [RateLimited("too many requests", code=100410)])
    await no_pauses(pauses)._read_window(_Run("u1", "i1", "u1", None), source, 0, 1)  # type: ignore[arg-type]
    assert source.calls == {"fills": 1, "income": 2} and pauses == [1.0]


def test_a_pausing_import_is_not_taken_for_a_stalled_one() -> None:
    """An import waiting out BingX's longest cool-down (a ban) is still alive."""
    longest = timedelta(seconds=max(COOL_DOWN_S.values()))
    assert longest + timedelta(minutes=5) <= history_import.STALLED_AFTER


class OneHistory:
    """The log of one trader's history, kept in memory (Repository's load and execute)."""

    def __init__(self) -> None:
        self.history = ImportedHistory(AggregateId("u1"))

    async def load(self, aggregate_id: AggregateId) -> ImportedHistory:
        return self.history

    async def execute(
        self, aggregate_id: AggregateId, decide: Callable[[ImportedHistory], None], **_: Any
    ) -> list[Any]:
        decide(self.history)
        stored = list(self.history.pending)
        self.history.mark_saved(self.history.version + len(stored))
        return stored


async def test_a_second_import_does_not_start_while_this_process_runs_one() -> None:
    """Even once the log calls it stalled, this process's running import is the one: no
    second one starts, and the first's end leaves no task behind."""
    now = [datetime(2026, 9, 1, tzinfo=UTC)]
    release, runs = asyncio.Event(), []

    async def run(*_: Any) -> None:
        runs.append(1)
        await release.wait()

    imports = HistoryImports(None, lambda view: None, lambda: now[0])  # type: ignore[arg-type, return-value]
    imports._histories = OneHistory()  # type: ignore[assignment]
    imports._run = run  # type: ignore[method-assign, assignment]
    view, actor = SimpleNamespace(user_id="u1"), ActorId("u1")
    await imports.start(view, 90, actor, None)  # type: ignore[arg-type]
    await asyncio.sleep(0)
    now[0] += history_import.STALLED_AFTER * 2  # the log alone would call it stalled
    await imports.start(view, 90, actor, None)  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert runs == [1] and imports._running("u1")
    release.set()
    await asyncio.sleep(0.01)
    assert not imports._tasks


async def test_an_ended_import_forgets_only_itself() -> None:
    """The first import's end must not drop the newer import that took its place."""
    imports = HistoryImports(None, lambda view: None)  # type: ignore[arg-type, return-value]
    release = asyncio.Event()

    async def until(event: asyncio.Event) -> None:
        await event.wait()

    first = asyncio.create_task(until(release))
    imports._track("u1", first)
    second = asyncio.create_task(until(asyncio.Event()))
    imports._track("u1", second)
    release.set()
    await first
    await asyncio.sleep(0)
    assert imports._tasks["u1"] is second
    second.cancel()
