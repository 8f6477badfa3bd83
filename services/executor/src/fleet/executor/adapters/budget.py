"""BingX request budgets: per UID (this process owns the user) and per egress identity
(shared by every executor process that sends from the same IP: one process owns each
identity's buckets, :mod:`fleet.executor.adapters.budget_owner`).

A bucket refills at ``rate`` tokens a second up to ``capacity``. A request books its turn
with the identity's owner (in memory, or one NATS request away): bookings are served in
the order they were made, so users are served in the order they asked (the fan-out
rotates that order from signal to signal).

Why the numbers leave headroom: in any window of ``W`` seconds a bucket admits at most
``capacity + rate x W`` requests, and BingX counts sliding windows at its end, after
network jitter. 300 requests per 10 s per IP and endpoint becomes rate 29.4/s with a
burst of 3: at most 297 per 10 s, three requests (100 ms of bunching on the way) short of
a refusal. The burst is also the slack a waiter has to come back late without losing its
token: in bench/fanout.py (4 identities, 2,400 users) capacity 1 reached 87.6 % of the
cap, 2 reached 95.0 %, 4 reached 96.3 % but left room for 68 ms of bunching only, and one
request in 7,200 was refused (all at 98 % of the rate). The 1 s per-UID windows keep 4 %
(4.8/s, capacity 1: five sends 208 ms apart).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from fleet.bingx.ratelimit import TRADING_GROUP, TokenBucket
from fleet.ratelimit import BINGX_IP_ORDERS_PER_10S

if TYPE_CHECKING:
    from fleet.executor.adapters.budget_owner import BudgetOwner

HEADROOM = 0.96
PAUSE_READ_S = 1.0  # how stale a process's view of the identity's shared cool-down may be


@dataclass(frozen=True)
class Limit:
    """``count`` requests per ``window_s`` seconds, spent as a token bucket that refills
    at ``headroom`` of the limit's rate."""

    count: int
    window_s: float
    capacity: float
    headroom: float = HEADROOM

    @property
    def rate(self) -> float:
        return self.count * self.headroom / self.window_s


IP_PER_ENDPOINT = Limit(BINGX_IP_ORDERS_PER_10S, 10.0, 3, headroom=0.98)
IP_PER_GROUP = Limit(2000, 10.0, 20)
IP_MARKET = Limit(500, 10.0, 10)
UID_PER_ENDPOINT = Limit(5, 1.0, 1)
UID_SLOW = Limit(2, 1.0, 1)  # marginType, positionSide/dual, listenKeys
SLOW_ENDPOINTS = ("/trade/marginType", "/positionSide/dual", "/auth/userDataStream")


class EgressBudget:
    """The per-IP limits of one egress identity, shared by every process using it: the
    buckets live with the identity's owner (:mod:`fleet.executor.adapters.budget_owner`),
    the cool-down after a bare 429 in NATS KV."""

    def __init__(self, kv: KeyValue, identity: str, scope: str, owner: BudgetOwner) -> None:
        self._kv = kv
        self._prefix = f"{scope}.{identity}"
        self.owner = owner
        self._paused_until = 0.0
        self._pause_read_at = float("-inf")

    async def cool_down(self, seconds: float) -> None:
        """Pause every process sending from this identity (BingX answered a bare 429, or
        banned the address): the pause is shared through KV, seen within a second."""
        until = time.time() + seconds
        self._paused_until = max(self._paused_until, until)
        await self._kv.put(f"{self._prefix}.pause", json.dumps({"until": until}).encode())

    async def paused_for(self) -> float:
        """Seconds left of the identity's cool-down (0 when none)."""
        now = time.time()
        if now - self._pause_read_at >= PAUSE_READ_S:
            self._pause_read_at = now
            with contextlib.suppress(KeyNotFoundError):
                entry = await self._kv.get(f"{self._prefix}.pause")
                until = float(json.loads(entry.value or b"{}").get("until", 0))
                self._paused_until = max(self._paused_until, until)
        return max(0.0, self._paused_until - now)

    async def acquire(self, endpoint: str) -> None:
        """Wait until a request to ``endpoint`` (``path:METHOD``) fits the IP's limits."""
        if (pause := await self.paused_for()) > 0:
            await asyncio.sleep(pause)
        if (wait := await self.owner.book(endpoint)) > 0:
            await asyncio.sleep(wait)


class DoorPacer:
    """The IP limits again, counted in this process right before a request leaves.

    The shared budget grants turns evenly, but a log append and a signature come between
    a turn and the send; their time varies (a slow signature holds a request back, then
    several leave together), and BingX counts at arrival. Pacing again at the door, with
    the same buckets, bounds what leaves in any window whatever happened in between; it
    waits only for requests that were bunched (a 1,000-user fan-out on 4 addresses was
    refused 5 times out of ~2,000 on a busy box without it)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    async def acquire(self, endpoint: str) -> None:
        for name, limit in ip_limits(endpoint):
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = TokenBucket(limit.rate, limit.capacity, self._clock)
                self._buckets[name] = bucket
            await bucket.take()


def ip_limits(endpoint: str) -> list[tuple[str, Limit]]:
    """The per-IP buckets a request to ``endpoint`` spends from, by name."""
    if _is_market(endpoint):
        return [("market", IP_MARKET)]
    group = "group3" if endpoint in TRADING_GROUP else "group2"
    return [(_key(endpoint), IP_PER_ENDPOINT), (group, IP_PER_GROUP)]


class UserBudget:
    """A :class:`fleet.bingx.ratelimit.RateBudget` for one user: per-UID buckets (local:
    one process owns the user) in front of the egress identity's shared buckets. Without
    an egress budget (rate limits switched off, for benchmarks) nothing waits."""

    def __init__(self, egress: EgressBudget | None) -> None:
        self._egress = egress
        self._buckets: dict[str, TokenBucket] = {}
        self._reserved: dict[str, int] = {}

    async def reserve(self, endpoint: str) -> None:
        """Wait for a request's turn now; the next :meth:`acquire` of ``endpoint`` then
        passes at once (an order's turn is decided before its intent is recorded)."""
        if self._egress is None:
            return
        await self.acquire(endpoint)
        self._reserved[endpoint] = self._reserved.get(endpoint, 0) + 1

    async def cool_down(self, seconds: float) -> None:
        """Pause the user's egress identity (the refusal was the address's, not the user's)."""
        if self._egress is not None:
            await self._egress.cool_down(seconds)

    async def acquire(self, endpoint: str) -> None:
        if self._egress is None:
            return
        if self._reserved.get(endpoint, 0) > 0:
            self._reserved[endpoint] -= 1
            return
        if not _is_market(endpoint):
            limit = (
                UID_SLOW
                if endpoint.split(":", maxsplit=1)[0].endswith(SLOW_ENDPOINTS)
                else UID_PER_ENDPOINT
            )
            bucket = self._buckets.get(endpoint)
            if bucket is None:
                bucket = self._buckets[endpoint] = TokenBucket(limit.rate, limit.capacity)
            await bucket.take()
        await self._egress.acquire(endpoint)


def _is_market(endpoint: str) -> bool:
    return any(part in endpoint for part in ("/quote/", "/server/", "/ticker/"))


def _key(endpoint: str) -> str:
    """A KV-safe token for an endpoint (``/openApi/swap/v2/trade/order:POST``)."""
    return endpoint.strip("/").replace("/", "_").replace(":", "-")
