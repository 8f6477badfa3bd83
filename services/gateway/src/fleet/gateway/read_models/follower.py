"""A thread with its own event loop for the projection runners.

The HTTP server's loop can be saturated (hundreds of requests in flight); runners on
that loop then see their NATS replies late, time out and resubscribe, and the read
models stall exactly when they are read most. On their own loop, with their own NATS
connection, they are scheduled by the interpreter every few milliseconds whatever the
HTTP load."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

Work = Callable[[asyncio.Event], Awaitable[None]]


class FollowerThread:
    """Runs ``work(stop)`` on a fresh loop in a daemon thread until :meth:`stop`."""

    def __init__(self, work: Work, name: str) -> None:
        self._work = work
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        await self._work(self._stop)

    async def stop(self, timeout: float = 10.0) -> None:
        """Ask the work to end and wait for the thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        await asyncio.to_thread(self._thread.join, timeout)
