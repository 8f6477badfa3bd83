"""Users hash to P partitions (``partition_of``, the FNV-1a NATS uses); each partition has
one owner at a time, by a lease in NATS KV. Every executor process heartbeats a member key;
each takes at most its fair share (P / live members, rounded up) of the free partitions
and gives back what exceeds it, so a new process gets work and a dead one's partitions
are taken over once its leases expire (the bucket's TTL, 3 s)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable, Callable

from nats.js.errors import NoKeysError
from nats.js.kv import KeyValue

from fleet.bus.lease import LEASE_TTL_S, Lease
from fleet.obs import count_unexpected, get_logger

Change = Callable[[set[int]], Awaitable[None]]


class PartitionManager:
    """Holds this process's partitions and reports gains and losses."""

    def __init__(
        self,
        kv: KeyValue,
        scope: str,
        instance: str,
        partitions: int,
        on_gain: Change,
        on_loss: Change,
    ) -> None:
        self._kv = kv
        self._scope = scope
        self._instance = instance
        self._count = partitions
        self._on_gain = on_gain
        self._on_loss = on_loss
        self._leases = {p: Lease(kv, f"{scope}.executor.p{p}", instance) for p in range(partitions)}
        self.owned: set[int] = set()

    async def run(self, every_s: float = LEASE_TTL_S / 3) -> None:
        """Forever: heartbeat, renew, rebalance."""
        while True:
            try:
                await self.step()
            except Exception as exc:  # NATS hiccup: keep the loop alive, leases decide
                count_unexpected("executor.partitions")
                get_logger().warning("partition step failed", error=str(exc))
            await asyncio.sleep(every_s)

    async def step(self) -> None:
        """One round: renew what we hold, take our share of what is free, give back extra."""
        await self._kv.put(self._member_key(self._instance), b"alive")
        share = math.ceil(self._count / max(1, await self._members()))
        lost = {p for p in self.owned if not await self._keep(p)}
        gained: set[int] = set()
        for partition in self._preferred_order():
            if len(self.owned - lost) + len(gained) >= share:
                break
            if partition not in self.owned and await self._leases[partition].try_acquire():
                gained.add(partition)
        extra = sorted(self.owned - lost)[share:] if len(self.owned - lost) > share else []
        await self._apply(lost | set(extra), gained, release=set(extra))

    async def _keep(self, partition: int) -> bool:
        """Renew; a lease that lapsed (a busy moment outlived the TTL) but that nobody
        took meanwhile is taken again at once, without dropping its traders."""
        lease = self._leases[partition]
        return await lease.renew() or await lease.try_acquire()

    async def _apply(self, lost: set[int], gained: set[int], *, release: set[int]) -> None:
        if lost:
            self.owned -= lost
            await self._on_loss(lost)
            for partition in release:
                await self._leases[partition].release()
        if gained:
            self.owned |= gained
            await self._on_gain(gained)

    async def fence(self, partition: int) -> int:
        """The partition lease's fencing token, or :class:`~fleet.bus.lease.LeaseLost` when
        this process no longer owns the partition (it was paused past its lease, or could
        not renew it): checked before every write for its users (``Lease.check``: no I/O
        while the last renewal covers now)."""
        return await self._leases[partition].check()

    def _preferred_order(self) -> list[int]:
        # Start at a different place per instance so two processes rarely race for one key.
        offset = sum(self._instance.encode()) % self._count
        return [(offset + i) % self._count for i in range(self._count)]

    def _member_key(self, instance: str) -> str:
        return f"{self._scope}.executor.member.{instance}"

    async def _members(self) -> int:
        prefix = self._member_key("")
        try:
            keys = await self._kv.keys()
        except NoKeysError:
            return 1
        return max(1, sum(1 for key in keys if key.startswith(prefix)))

    async def release_all(self) -> None:
        """Clean shutdown: give every partition back at once (no TTL wait for the others)."""
        owned, self.owned = set(self.owned), set()
        if owned:
            await self._on_loss(owned)
        for partition in owned:
            await self._leases[partition].release()
        with contextlib.suppress(Exception):
            await self._kv.delete(self._member_key(self._instance))
