"""Work a command's answer does not wait for: the answer goes out before the work starts,
so its timing says nothing about what the work finds (password-reset look-ups)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fleet.auth.domain.login_budget import Busy
from fleet.obs import get_logger

MAX_PENDING = 256


class Background:
    """At most ``limit`` pieces of work at once (more: :class:`Busy`, whatever they
    concern); each one's failure is logged by type, never raised to the caller."""

    def __init__(self, limit: int = MAX_PENDING) -> None:
        self._limit = limit
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Callable[[], Awaitable[None]], what: str) -> None:
        """Run ``work()`` after the current command's answer; :class:`Busy` when full."""
        if len(self._tasks) >= self._limit:
            raise Busy(1.0)
        task = asyncio.create_task(self._run(work, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until every piece of work started so far has ended (tests, stop)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    @staticmethod
    async def _run(work: Callable[[], Awaitable[None]], what: str) -> None:
        try:
            await work()
        except Exception as exc:  # the caller was answered; a new request can be made
            get_logger().warning("background work failed", work=what, error=type(exc).__name__)
