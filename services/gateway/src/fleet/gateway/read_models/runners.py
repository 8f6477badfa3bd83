"""The gateway's projection runners, in its own process: started at startup, followed
forever, restarted after a failure, and waited for after a write (read your writes).

One runner per read model across every worker of every gateway replica: each read model
has a lease (``fleet_projection_leases``, key ``<stream>.<projection>``); its holder
follows the log, every other worker only serves reads (from the same PostgreSQL tables)
and takes the lease over within seconds of the holder's end (the key's TTL). Should two
ever apply at once (a paused holder whose lease ran out), the checkpoint row, locked and
moved in each batch's transaction, still lets every event in exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import time
import uuid
from collections.abc import Iterable
from typing import Any

import nats
from nats.aio.client import Client
from nats.js.kv import KeyValue
from sqlalchemy import Engine, text

from fleet.bus.lease import Lease, hold
from fleet.bus.loops import supervise
from fleet.eventstore import EventStore
from fleet.eventstore.stream import PROJECTION_LEASE_BUCKET
from fleet.gateway.read_models import ALL
from fleet.gateway.read_models.follower import FollowerThread
from fleet.obs import get_logger
from fleet.projections import ProjectionFailed, ProjectionRunner

STEADY_S = 30.0  # a handler failure not repeated for this long has healed
_FIRST_POLL_S = 0.002
_MAX_POLL_S = 0.025
_CHECKPOINT = "SELECT '{name}' AS name, last_sequence FROM rm_{name}._checkpoint"


class ReadModels:
    """Every read model of the gateway and its runner."""

    def __init__(self, engine: Engine, store: EventStore, *, owner: str | None = None) -> None:
        self.engine = engine
        self.store = store
        self.runners = read_model_runners(engine, store)
        # unique among live instances: a restarted worker must not pass for its former self
        self.owner = owner or f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        self.leading: set[str] = set()  # the read models this instance applies events to
        self._follower: FollowerThread | None = None
        self._checkpoints_query = text(
            " UNION ALL ".join(_CHECKPOINT.format(name=name) for name in self.runners)
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._failures: dict[str, tuple[str, float]] = {}
        self._log = get_logger("fleet.gateway.read_models")

    async def start(self, *, own_loop_nats: dict[str, Any] | None = None) -> None:
        """Create (or rebuild, on a version change) every schema, then follow the log for
        each read model whose lease this instance holds: on this loop, or (given a NATS
        URL) on a loop and connection of their own."""
        for runner in self.runners.values():
            await runner.prepare()
        if own_loop_nats is None:
            self._tasks += await self._leaders(self.store.nc, self.runners)
            return

        async def follow_apart(stop: asyncio.Event) -> None:
            nc = await nats.connect(
                **own_loop_nats, max_reconnect_attempts=-1, name="gateway-read-models"
            )
            store = EventStore(nc, self.store.spec)
            tasks = await self._leaders(nc, read_model_runners(self.engine, store))
            await stop.wait()
            await _cancel(tasks)
            await nc.close()

        self._follower = FollowerThread(follow_apart, "read-models")
        self._follower.start()

    async def _leaders(
        self, nc: Client, runners: dict[str, ProjectionRunner]
    ) -> list[asyncio.Task[None]]:
        leases = await nc.jetstream().key_value(PROJECTION_LEASE_BUCKET)
        return [
            supervise(
                f"read model lease {name}", functools.partial(self._lead, name, runner, leases)
            )
            for name, runner in runners.items()
        ]

    async def _lead(self, name: str, runner: ProjectionRunner, leases: KeyValue) -> None:
        """Follow the log while this instance holds ``name``'s lease; stand by otherwise.
        The platform's :func:`fleet.bus.lease.hold` decides: a renewal that fails (NATS
        unreachable) ends it, and the follower with it, since past the TTL another replica
        may lead; the supervisor restarts it, which takes the lease back only if still free."""
        lease = Lease(leases, f"{self.store.spec.name}.{name}", self.owner)
        following: list[asyncio.Task[None]] = []

        async def on_active() -> None:
            following.append(asyncio.create_task(self._follow(name, runner), name=name))
            self.leading.add(name)
            self._log.info("read model led here", read_model=name, owner=self.owner)

        async def on_standby() -> None:
            self.leading.discard(name)
            await _cancel(following)
            following.clear()

        try:
            await hold(lease, on_active, on_standby)
        finally:
            await on_standby()
            await lease.release()

    async def _follow(self, name: str, runner: ProjectionRunner) -> None:
        """Run ``runner`` under the process's loop supervisor (fleet.bus.loops): restarted
        from its checkpoint with back-off, counted, and failing /readyz while it waits."""

        async def once() -> None:
            try:
                await runner.run()
            except ProjectionFailed as exc:
                # A handler failing on an event fails again: /healthz shows it (the event,
                # never the cause: SQL, parameters; the log has it). A NATS timeout (seen
                # under heavy load) heals on the next subscription; the lag in /healthz
                # tells whether the read model keeps up.
                stopped = f"stopped at event #{exc.sequence} ({exc.event_type})"
                self._failures[name] = (stopped, time.monotonic())
                raise

        await supervise(f"read model {name}", once)

    @property
    def following_log(self) -> set[str]:
        """The read models that follow the log (its sequences are theirs to reach); the
        others follow the telemetry stream."""
        return {name for name, runner in self.runners.items() if runner.store is self.store}

    def using(self, names: Iterable[str], types: Iterable[str]) -> list[str]:
        """Of ``names``, the read models that apply any of the event ``types`` (a read
        model that applies none of them holds no state those events announce)."""
        wanted = set(types)
        chosen = []
        for name in names:
            used = self.runners[name].projection.event_types()
            if used is None or used & wanted:
                chosen.append(name)
        return chosen

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
        """How many events each read model is behind the stream it follows (the log; the
        telemetry stream for ``telemetry``)."""
        streams = {runner.store.spec: runner.store for runner in self.runners.values()}
        last = {spec: await store.last_sequence() for spec, store in streams.items()}
        reached = await asyncio.to_thread(self.checkpoints)
        return {
            name: max(0, last[runner.store.spec] - reached.get(name, 0))
            for name, runner in self.runners.items()
        }


def read_model_runners(engine: Engine, store: EventStore) -> dict[str, ProjectionRunner]:
    """A runner for each gateway read model into ``engine``, each reading its stream (the
    log ``store``, or the telemetry stream beside it)."""
    runners = {}
    for factory in ALL:
        spec = factory()
        stream = spec.stream(store.spec)
        reader = store if stream == store.spec else EventStore(store.nc, stream)
        runners[spec.projection.name] = ProjectionRunner(
            engine, reader, spec.registry, spec.projection
        )
    return runners


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
