"""The history import waits out BingX's rate-limit answers window by window: the back-off
grows with one window's refusals and starts again at the next (a 13-window import that
is refused once per window waits 13 short pauses, not a doubling sum of minutes)."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.bingx.errors import InvalidParameter, RateLimited
from fleet.executor import history_import
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
