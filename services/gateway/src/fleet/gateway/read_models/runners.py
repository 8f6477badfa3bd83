"""The gateway's projection runners, in its own process: started at startup, followed
forever, restarted after a failure, and waited for after a write (read your writes)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from typing import Any

import nats
from sqlalchemy import Engine, text

from fleet.eventstore import EventStore
from fleet.gateway.read_models import ALL
from fleet.gateway.read_models.follower import FollowerThread
from fleet.obs import count_unexpected, get_logger
from fleet.projections import ProjectionFailed, ProjectionRunner

RESTART_DELAY_S = 1.0
STEADY_S = 30.0  # a handler failure not repeated for this long has healed
_FIRST_POLL_S = 0.002
_MAX_POLL_S = 0.025
_CHECKPOINT = "SELECT '{name}' AS name, last_sequence FROM rm_{name}._checkpoint"


class ReadModels:
    """Every read model of the gateway and its runner."""

    def __init__(self, engine: Engine, store: EventStore) -> None:
        self.engine = engine
        self.store = store
        self.runners = _runners(engine, store)
        self._follower: FollowerThread | None = None
        self._checkpoints_query = text(
            " UNION ALL ".join(_CHECKPOINT.format(name=name) for name in self.runners)
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._failures: dict[str, tuple[str, float]] = {}
        self._log = get_logger("fleet.gateway.read_models")

    async def start(self, *, own_loop_nats: dict[str, Any] | None = None) -> None:
        """Create (or rebuild, on a version change) every schema, then follow the log:
        on this loop, or (given a NATS URL) on a loop and connection of their own."""
        for runner in self.runners.values():
            await runner.prepare()
        if own_loop_nats is None:
            for name, runner in self.runners.items():
                self._tasks.append(asyncio.create_task(self._follow(name, runner), name=name))
            return

        async def follow_apart(stop: asyncio.Event) -> None:
            nc = await nats.connect(
                **own_loop_nats, max_reconnect_attempts=-1, name="gateway-read-models"
            )
            store = EventStore(nc, self.store.spec)
            tasks = [
                asyncio.create_task(self._follow(name, runner), name=name)
                for name, runner in _runners(self.engine, store).items()
            ]
            await stop.wait()
            await _cancel(tasks)
            await nc.close()

        self._follower = FollowerThread(follow_apart, "read-models")
        self._follower.start()

    async def _follow(self, name: str, runner: ProjectionRunner) -> None:
        while True:
            try:
                await runner.run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # logged and retried from the checkpoint
                count_unexpected("gateway.read_model")
                message = f"{type(exc).__name__}: {exc}"
                # A handler failing on an event fails again: /healthz shows it. A NATS
                # timeout (seen under heavy load) heals on the next subscription; the
                # lag in /healthz tells whether the read model keeps up.
                if isinstance(exc, ProjectionFailed):
                    # health names the event, never the cause (SQL, parameters): the log has it
                    stopped = f"stopped at event #{exc.sequence} ({exc.event_type})"
                    self._failures[name] = (stopped, time.monotonic())
                self._log.warning("read model restarting", read_model=name, error=message)
                await asyncio.sleep(RESTART_DELAY_S)

    @property
    def failures(self) -> dict[str, str]:
        """Read models failing now (a failure not repeated for a while has healed)."""
        recent = time.monotonic() - STEADY_S
        return {name: why for name, (why, at) in self._failures.items() if at >= recent}

    async def stop(self) -> None:
        """Cancel every runner."""
        await _cancel(self._tasks)
        self._tasks.clear()
        if self._follower is not None:
            await self._follower.stop()

    def checkpoints(self) -> dict[str, int]:
        """The last applied stream sequence of each read model."""
        with self.engine.connect() as connection:
            rows = connection.execute(self._checkpoints_query)
            return {row.name: int(row.last_sequence) for row in rows}

    async def caught_up(
        self, names: Iterable[str], sequence: int | None = None, *, timeout: float = 2.0
    ) -> bool:
        """Wait until the named read models have applied ``sequence`` (default: the log's
        last sequence now); ``False`` if ``timeout`` passed first."""
        wanted = set(names)
        target = sequence if sequence is not None else await self.store.last_sequence()
        deadline = time.monotonic() + timeout
        pause = _FIRST_POLL_S
        while True:
            reached = await asyncio.to_thread(self.checkpoints)
            if all(reached.get(name, 0) >= target for name in wanted):
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(pause)
            pause = min(pause * 2, _MAX_POLL_S)

    async def lag(self) -> dict[str, int]:
        """How many events each read model is behind the log."""
        last = await self.store.last_sequence()
        reached = await asyncio.to_thread(self.checkpoints)
        return {name: max(0, last - reached.get(name, 0)) for name in self.runners}


def _runners(engine: Engine, store: EventStore) -> dict[str, ProjectionRunner]:
    runners = {}
    for factory in ALL:
        spec = factory()
        runners[spec.projection.name] = ProjectionRunner(
            engine, store, spec.registry, spec.projection
        )
    return runners


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
