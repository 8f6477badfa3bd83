"""The history import waits out BingX's rate-limit answers window by window: the back-off
grows with one window's refusals and starts again at the next (a 13-window import that
is refused once per window waits 13 short pauses, not a doubling sum of minutes)."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.bingx.errors import RateLimited
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
