"""Orders before bookkeeping: while a signal's decisions are in flight, recording the fills
the user streams report and the follow-up queries of orders already accepted wait (at
most ``max_wait_s``), so a fan-out's orders do not share the executor, the log, the signer
and the exchange budget with the bookkeeping of the orders before them
(``bench/fanout.py`` measures both; the executor's README has the figures). A follow-up
query also waits for the stream reports in flight: after a fan-out a thousand reports are
queued, and a query asks BingX (a request and a signature) what the stream already said.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class InFlight:
    """How many pieces of one kind of work are in flight, and a wait for none.

    Waiters share one gate and one timer per busy spell (a fan-out has a thousand stream
    reports waiting: one timer each was a measurable share of the executor's CPU)."""

    def __init__(self, max_wait_s: float) -> None:
        self.max_wait_s = max_wait_s
        self._busy = 0
        self._gate: asyncio.Event | None = None
        self._timer: asyncio.TimerHandle | None = None

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Around one piece of work (waiting for its turn included)."""
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._open()

    async def quiet(self) -> None:
        """Until none is in flight, or ``max_wait_s`` (a waiter is never starved: the gate
        opens ``max_wait_s`` after its first waiter came, at the latest)."""
        if self._busy == 0:
            return  # the common case, without a timer
        if self._gate is None:
            self._gate = asyncio.Event()
            self._timer = asyncio.get_running_loop().call_later(self.max_wait_s, self._open)
        await self._gate.wait()

    def _open(self) -> None:
        if self._gate is not None:
            self._gate.set()
            self._gate = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class SignalTraffic:
    """Signal decisions first, then the stream's reports, then follow-up queries."""

    def __init__(self, max_wait_s: float = 10.0) -> None:
        self.decisions = InFlight(max_wait_s)
        self.reports = InFlight(max_wait_s)

    def deciding(self) -> contextlib.AbstractContextManager[None]:
        """Around one trader's decision on a signal."""
        return self.decisions.busy()

    def reporting(self) -> contextlib.AbstractContextManager[None]:
        """Around one stream report, from its arrival to its record."""
        return self.reports.busy()

    async def quiet(self) -> None:
        """Until no decision is in flight (a stream report's turn)."""
        await self.decisions.quiet()

    async def settled(self) -> None:
        """Until no decision and then no stream report is in flight (a query's turn)."""
        await self.decisions.quiet()
        await self.reports.quiet()
