"""Background loops under one supervisor: a loop that fails or ends is restarted after a
pause that grows with each failure in a row (with jitter, so replicas do not restart in
step), counted in ``fleet_loop_restarts_total``; ``fleet_loop_up`` says which run now.
A *required* loop waiting to restart makes the service's ``/readyz`` fail (its
:class:`~fleet.bus.runtime.ServiceRuntime` asks :meth:`Loops.probe`), so a follower or a
lease holder that keeps failing is seen, never a task that died in silence.

One registry per process (:data:`LOOPS`), like the metrics it feeds."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import Counter, Gauge

from fleet.obs import count_unexpected, get_logger

RESTARTS = Counter(
    "fleet_loop_restarts_total", "Background loops restarted after failing or ending", ["loop"]
)
UP = Gauge("fleet_loop_up", "1 while a background loop runs, 0 while it waits to restart", ["loop"])

FIRST_PAUSE_S = 0.5
MAX_PAUSE_S = 30.0
# a loop that ran this long before failing starts its pauses again from the first
HEALTHY_RUN_S = 60.0

Run = Callable[[], Awaitable[None]]


@dataclass
class _Loop:
    name: str
    required: bool
    up: bool = False
    failures: int = 0  # in a row


class Loops:
    """The supervised background loops of one process."""

    def __init__(
        self, first_pause_s: float = FIRST_PAUSE_S, max_pause_s: float = MAX_PAUSE_S
    ) -> None:
        self.first_pause_s = first_pause_s
        self.max_pause_s = max_pause_s
        self._loops: dict[str, _Loop] = {}

    def start(
        self,
        name: str,
        run: Run,
        *,
        required: bool = True,
        until: Callable[[], bool] | None = None,
    ) -> asyncio.Task[None]:
        """A task running ``run()`` for ever (restarted whenever it fails or returns), or
        until ``until()`` is true when it ends. Cancel the task to stop it."""
        loop = self._loops[name] = _Loop(name, required)
        return asyncio.create_task(self._supervise(loop, run, until), name=name)

    async def _supervise(self, loop: _Loop, run: Run, until: Callable[[], bool] | None) -> None:
        log = get_logger()
        try:
            while True:
                self._mark(loop, up=True)
                started = time.monotonic()
                try:
                    await run()
                    reason = "ended"
                except asyncio.CancelledError:
                    raise
                except Exception:
                    count_unexpected(f"loop.{loop.name}")
                    log.exception("background loop failed; restarting", loop=loop.name)
                    reason = "failed"
                if until is not None and until():
                    return
                self._mark(loop, up=False)
                ran_s = time.monotonic() - started
                loop.failures = 1 if ran_s >= HEALTHY_RUN_S else loop.failures + 1
                pause = self.pause(loop.failures)
                RESTARTS.labels(loop.name).inc()
                log.warning("background loop restarts", loop=loop.name, why=reason, in_s=pause)
                await asyncio.sleep(pause)
        finally:
            self._loops.pop(loop.name, None)
            UP.labels(loop.name).set(0)

    def pause(self, failures: int) -> float:
        """The wait before restart number ``failures`` in a row: doubling from the first
        pause up to the cap, a random tenth of it taken off."""
        full = min(self.max_pause_s, self.first_pause_s * 2.0 ** max(0, failures - 1))
        return full * (1 - random.random() / 10)  # noqa: S311 - jitter, not a secret

    def _mark(self, loop: _Loop, *, up: bool) -> None:
        loop.up = up
        UP.labels(loop.name).set(1 if up else 0)

    def down(self) -> list[str]:
        """The required loops waiting to restart now."""
        return sorted(loop.name for loop in self._down())

    def _down(self) -> list[_Loop]:
        # a copy first: loops of another thread's event loop (a follower thread) may start
        # or stop while this reads
        return [loop for loop in list(self._loops.values()) if loop.required and not loop.up]

    async def probe(self) -> str | None:
        """A readiness probe: the reason while a required loop is down."""
        down = sorted(self._down(), key=lambda loop: loop.name)
        if not down:
            return None
        return "restarting after a failure: " + ", ".join(
            f"{loop.name} ({loop.failures} in a row)" for loop in down
        )


LOOPS = Loops()


def supervise(
    name: str, run: Run, *, required: bool = True, until: Callable[[], bool] | None = None
) -> asyncio.Task[None]:
    """:meth:`Loops.start` on the process's registry (:data:`LOOPS`)."""
    return LOOPS.start(name, run, required=required, until=until)
