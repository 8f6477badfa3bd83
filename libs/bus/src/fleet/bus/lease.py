"""A lease in NATS KV: one owner at a time for a role (the active strategy, an executor
partition). The key expires with the bucket's TTL when its owner stops renewing, so a
standby takes over within ``ttl`` seconds of a crash."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from fleet.eventstore.stream import LEASE_BUCKET, LEASE_TTL_S


class Lease:
    """Acquire, renew and release ``key`` as ``owner``."""

    def __init__(self, kv: KeyValue, key: str, owner: str) -> None:
        self.kv = kv
        self.key = key
        self.owner = owner
        self._revision: int | None = None

    @property
    def held(self) -> bool:
        return self._revision is not None

    async def try_acquire(self) -> bool:
        """Take the lease if nobody holds it (or renew it if we do). A lease still held
        under our own name (this instance restarted before it expired) is taken back at
        once: owner names must therefore be unique among live instances."""
        if self._revision is not None:
            return await self.renew()
        try:
            self._revision = await self.kv.create(self.key, self.owner.encode())
        except KeyWrongLastSequenceError:
            return await self._reclaim()
        return True

    async def _reclaim(self) -> bool:
        try:
            entry = await self.kv.get(self.key)
        except KeyNotFoundError:
            return False
        if entry.value != self.owner.encode() or entry.revision is None:
            return False
        self._revision = entry.revision
        return await self.renew()

    async def renew(self) -> bool:
        """Extend our lease; False (and no longer held) when someone else has it."""
        try:
            self._revision = await self.kv.update(
                self.key, self.owner.encode(), last=self._revision
            )
        except (KeyWrongLastSequenceError, KeyNotFoundError):
            self._revision = None
            return False
        return True

    async def release(self) -> None:
        """Give the lease up at once (clean shutdown: the standby need not wait the TTL)."""
        if self._revision is not None:
            with contextlib.suppress(Exception):
                await self.kv.delete(self.key, last=self._revision)
            self._revision = None


async def hold(
    lease: Lease,
    on_active: Callable[[], Awaitable[None]],
    on_standby: Callable[[], Awaitable[None]],
    every_s: float = LEASE_TTL_S / 3,
) -> None:
    """Forever: become active when the lease is ours, standby when it is not."""
    active = False
    while True:
        mine = await lease.try_acquire()
        if mine and not active:
            active = True
            await on_active()
        elif not mine and active:
            active = False
            await on_standby()
        await asyncio.sleep(every_s)


__all__ = ["LEASE_BUCKET", "LEASE_TTL_S", "Lease", "hold"]
