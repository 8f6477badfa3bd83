"""Orders before bookkeeping: while a signal's decisions are in flight, recording the fills
the user streams report and the follow-up queries of orders already accepted wait (at
most ``max_wait_s``), so a fan-out's orders do not share the executor, the log, the signer
and the exchange budget with the bookkeeping of the orders before them
(``bench/fanout.py`` measures both; the executor's README has the figures).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class SignalTraffic:
    """How many signal decisions are in flight, and a wait for none."""

    def __init__(self, max_wait_s: float = 10.0) -> None:
        self.max_wait_s = max_wait_s
        self._deciding = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    @contextlib.contextmanager
    def deciding(self) -> Iterator[None]:
        """Around one trader's decision on a signal (waiting for its turn included)."""
        self._deciding += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._deciding -= 1
            if self._deciding == 0:
                self._quiet.set()

    async def quiet(self) -> None:
        """Until no decision is in flight, or ``max_wait_s`` (a query is never starved)."""
        if self._quiet.is_set():
            return  # the common case, without a timer
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.max_wait_s):
                await self._quiet.wait()
