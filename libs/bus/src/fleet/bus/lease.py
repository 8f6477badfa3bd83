"""A lease in NATS KV: one owner at a time for a role (the active strategy, an executor
partition, the vault's health checks). The key expires with the bucket's TTL when its
owner stops renewing, so a standby takes over within ``ttl`` seconds of a crash.

**Fencing.** A lease carries a fencing token: the KV revision at which this owner took it
(KV revisions only grow, so a later owner always has a larger token). Every write made
under the lease first calls one of:

* :meth:`Lease.fence` — no I/O: refused once the time the last renewal bought has run out
  on this process's monotonic clock (which keeps counting while the process is paused);
* :meth:`Lease.check` — the same, but when that time has run out it renews once (one KV
  round trip, which succeeds only if nobody took the key) before refusing: a busy moment
  that delayed the renewal loop does not refuse a write, a lost lease does;
* :meth:`Lease.confirm` — the fence plus one KV read: the key still names this owner at
  the revision it last wrote.

Each raises :class:`LeaseLost`, so an owner that was paused (SIGSTOP, a long GC, a frozen
VM) past its lease and resumes cannot act: its next write is refused before it is made."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from fleet.events.errors import FleetError
from fleet.eventstore.stream import LEASE_BUCKET, LEASE_TTL_S

# The part of the TTL a renewal is trusted for locally: the server counts the TTL from
# when it stored the renewal (after we sent it), so our deadline is early by the round
# trip; the margin covers clock-rate differences between hosts.
TRUSTED_SHARE = 0.8


class LeaseLost(FleetError, RuntimeError):
    """A write under a lease this process no longer holds (or cannot be sure it holds)."""

    error_code = "lease_lost"

    def __init__(self, key: str, why: str) -> None:
        super().__init__(f"lease {key}: {why}")
        self.key = key


class Lease:
    """Acquire, renew and release ``key`` as ``owner``; fence the writes made under it."""

    def __init__(self, kv: KeyValue, key: str, owner: str, ttl_s: float = LEASE_TTL_S) -> None:
        self.kv = kv
        self.key = key
        self.owner = owner
        self.ttl_s = ttl_s
        self._revision: int | None = None  # of our last write of the key
        self._token: int | None = None  # the revision at which we took it
        self._valid_until = 0.0  # monotonic: the last renewal holds until then
        # one renewal at a time: two with the same last revision, one fails and drops us
        self._renewing = asyncio.Lock()

    @property
    def held(self) -> bool:
        return self._revision is not None

    @property
    def token(self) -> int | None:
        """The fencing token while held: the KV revision at which this owner took the key."""
        return self._token if self._revision is not None else None

    async def try_acquire(self) -> bool:
        """Take the lease if nobody holds it (or renew it if we do). A lease still held
        under our own name (this instance restarted before it expired) is taken back at
        once: owner names must therefore be unique among live instances."""
        if self._revision is not None:
            return await self.renew()
        started = time.monotonic()
        try:
            revision = await self.kv.create(self.key, self.owner.encode())
        except KeyWrongLastSequenceError:
            return await self._reclaim()
        self._held_from(revision, started, taken=True)
        return True

    async def _reclaim(self) -> bool:
        try:
            entry = await self.kv.get(self.key)
        except KeyNotFoundError:
            return False
        if entry.value != self.owner.encode() or entry.revision is None:
            return False
        self._revision = entry.revision
        self._token = entry.revision
        return await self.renew()

    async def renew(self) -> bool:
        """Extend our lease; False (and no longer held) when someone else has it."""
        async with self._renewing:
            if self._revision is None:
                return False
            started = time.monotonic()
            try:
                revision = await self.kv.update(self.key, self.owner.encode(), last=self._revision)
            except (KeyWrongLastSequenceError, KeyNotFoundError):
                self._lost()
                return False
            self._held_from(revision, started, taken=False)
            return True

    def _held_from(self, revision: int, started: float, *, taken: bool) -> None:
        self._revision = revision
        if taken or self._token is None:
            self._token = revision
        self._valid_until = started + self.ttl_s * TRUSTED_SHARE

    def _lost(self) -> None:
        self._revision = None
        self._token = None
        self._valid_until = 0.0

    def fence(self) -> int:
        """The fencing token, if the last renewal still covers now; else :class:`LeaseLost`.
        No I/O: call it right before every write made under the lease."""
        if self._revision is None or self._token is None:
            raise LeaseLost(self.key, "not held")
        if time.monotonic() >= self._valid_until:
            raise LeaseLost(self.key, "not renewed in time (paused, or NATS unreachable)")
        return self._token

    async def check(self) -> int:
        """:meth:`fence`; when only the local deadline has passed, one renewal decides (it
        succeeds only while nobody took the key)."""
        try:
            return self.fence()
        except LeaseLost:
            if self._revision is None:
                raise
        if self._renewing.locked():  # a renewal is under way: its outcome decides
            async with self._renewing:
                pass
            return self.fence()
        if not await self.renew():
            raise LeaseLost(self.key, "lost while paused or unreachable")
        return self.fence()

    async def confirm(self) -> int:
        """:meth:`fence`, then one KV read: the key still names us at our last revision.
        A lease found taken is dropped at once (the holder's next renewal would anyway)."""
        async with self._renewing:  # a renewal meanwhile would move our revision
            token = self.fence()
            try:
                entry = await self.kv.get(self.key)
            except KeyNotFoundError:
                self._lost()
                raise LeaseLost(self.key, "expired") from None
            if entry.revision != self._revision or entry.value != self.owner.encode():
                self._lost()
                raise LeaseLost(self.key, "taken by another owner")
            return token

    async def release(self) -> None:
        """Give the lease up at once (clean shutdown: the standby need not wait the TTL)."""
        if self._revision is not None:
            with contextlib.suppress(Exception):
                await self.kv.delete(self.key, last=self._revision)
            self._lost()


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


__all__ = ["LEASE_BUCKET", "LEASE_TTL_S", "Lease", "LeaseLost", "hold"]
