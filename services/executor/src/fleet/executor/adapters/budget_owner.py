"""One owner per egress identity's per-IP budget: a lease, the buckets in its memory.

Every executor process may send from every identity, but only the lease holder of
``budget.<scope>.<identity>`` keeps that identity's buckets, on its own monotonic clock
(the one clock the refill follows: no host's wall clock is read). Its own orders book
their turn in local memory; the other processes ask it over NATS request-reply
(``budget.grant.<scope>.<identity>``, one round trip instead of four KV round trips per
order). A booking takes its tokens at once, whether or not they are there (the bucket's
level may go below zero), and answers how long to wait: bookings are served first come,
first served, whichever process made them, so the budget stays one budget shared fairly.

**Failover and fencing.** The lease is held by :func:`fleet.bus.lease.hold`; a standby
takes it within a TTL of its owner's death and starts with empty buckets (a former
owner's last spending cannot be known, so the new one adds no burst on top of it). Every
booking calls :meth:`fleet.bus.lease.Lease.fence` first: an owner whose last renewal ran
out (paused, cut off from NATS) books nothing and answers no grant. A grant carries the
fencing token (the KV revision the lease was taken at); a requester refuses a grant whose
token is lower than one it has already seen (a former owner that woke up late), and a
fenced owner answers nothing, leaving the booking to the lease's holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import NoRespondersError
from nats.js.kv import KeyValue

from fleet.bingx.errors import RateLimited
from fleet.bus.lease import LEASE_TTL_S, Lease, LeaseLost, hold
from fleet.eventstore.stream import BUDGET_GRANT_PREFIX
from fleet.executor.adapters.budget import ip_limits
from fleet.obs import get_logger
from fleet.ratelimit import TokenBucket as Bucket

GRANT_TIMEOUT_S = 1.0
NO_OWNER_PAUSE_S = 0.2  # between asks while no process owns the identity (a takeover)
NO_OWNER_WAIT_TTLS = 3  # then a booking gives up: no owner took the lease in 3 TTLs
PUBLISH_EVERY_S = 1.0  # the owner's buckets into KV, for the gateway's system page


def grant_subject(scope: str, identity: str) -> str:
    """Where the owner of ``identity``'s budget answers bookings."""
    return f"{BUDGET_GRANT_PREFIX}.{scope}.{identity}"


class IdentityBuckets:
    """The per-IP buckets of one identity as its owner keeps them. Pure: the caller's
    clock passes the time."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._buckets: dict[str, Bucket] = {}

    def book(self, endpoint: str) -> float:
        """Take a request's tokens from every bucket it spends from; the seconds until it
        may leave (0: now). Later bookings wait behind this one."""
        now, wait = self._clock(), 0.0
        for name, limit in ip_limits(endpoint):
            bucket = self._buckets.get(name)
            if bucket is None:  # empty at first: see the module's note on takeovers
                bucket = self._buckets[name] = Bucket(limit.rate, limit.capacity, 0.0, now)
            wait = max(wait, bucket.wait(now))
            bucket.take(now)
        return wait

    def levels(self) -> dict[str, float]:
        """Tokens in each bucket now (below zero: booked ahead)."""
        now = self._clock()
        return {name: bucket.level(now) for name, bucket in self._buckets.items()}


@dataclass(frozen=True)
class Grant:
    """An owner's answer: wait ``wait_s``, under the lease taken at ``token``."""

    wait_s: float
    token: int

    def wire(self) -> bytes:
        return f"{self.wait_s!r} {self.token}".encode()

    @classmethod
    def parse(cls, data: bytes) -> Grant | None:
        """``None`` for anything but a grant."""
        wait, _, token = data.decode().partition(" ")
        return cls(float(wait), int(token)) if token else None


class BudgetOwner:
    """This process's claim on one identity's budget, and its way to book a turn."""

    def __init__(  # noqa: PLR0913 - the connection, two buckets, the names, the clock
        self,
        nc: Client,
        leases: KeyValue,
        states: KeyValue,
        scope: str,
        identity: str,
        owner: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        ttl_s: float = LEASE_TTL_S,  # the lease bucket's TTL
    ) -> None:
        self._nc = nc
        self._states = states
        self._scope, self._identity = scope, identity
        self._clock = clock
        self.lease = Lease(leases, f"budget.{scope}.{identity}", owner, ttl_s)
        self.subject = grant_subject(scope, identity)
        self._buckets: IdentityBuckets | None = None
        self._subscription: Subscription | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._token_seen = 0

    @property
    def owning(self) -> bool:
        return self._buckets is not None

    async def run(self) -> None:
        """Forever: own the budget while the lease is ours, stand by otherwise. Ended (a
        crash its supervisor restarts, or a stop), it stands by: a grant subscription left
        behind would answer refusals ahead of the next owner."""
        try:
            await hold(self.lease, self._own, self._stand_by, self.lease.ttl_s / 3)
        finally:
            await self._stand_by()

    async def book(self, endpoint: str) -> float:
        """Book a request's turn: in memory when this process owns the budget, else from
        the owner (asked again while none answers: a takeover takes up to a lease TTL).
        ``RateLimited`` (nothing was sent) when no owner answers for ``NO_OWNER_WAIT_TTLS``
        TTLs: NATS or every owner is gone, and a caller holding a trader's lock must not
        wait for ever."""
        deadline = self._clock() + NO_OWNER_WAIT_TTLS * self.lease.ttl_s
        while True:
            local = self._book_here(endpoint)
            if local is not None:
                return local
            grant = await self._ask(endpoint)
            if grant is not None and grant.token >= self._token_seen:
                self._token_seen = grant.token
                return grant.wait_s
            if self._clock() >= deadline:
                raise RateLimited(
                    f"no process owns the per-IP budget of {self._identity} "
                    f"({NO_OWNER_WAIT_TTLS} lease TTLs): not sent"
                )
            await asyncio.sleep(NO_OWNER_PAUSE_S)

    def _book_here(self, endpoint: str) -> float | None:
        if self._buckets is None:
            return None
        try:
            token = self.lease.fence()
        except LeaseLost:
            return None  # paused past the lease, or cut off: a former owner books nothing
        self._token_seen = max(self._token_seen, token)
        return self._buckets.book(endpoint)

    async def _ask(self, endpoint: str) -> Grant | None:
        try:
            answer = await self._nc.request(self.subject, endpoint.encode(), GRANT_TIMEOUT_S)
        except (NoRespondersError, TimeoutError):
            return None
        return Grant.parse(answer.data)

    async def _answer(self, message: Msg) -> None:
        """Book for another process. A fenced owner stays silent: the lease's holder
        answers (or the asker times out and asks again while there is none)."""
        buckets = self._buckets
        try:
            token = self.lease.fence()
        except LeaseLost:
            return
        if buckets is None:
            return
        with contextlib.suppress(Exception):  # the asker timed out and asks again
            await message.respond(Grant(buckets.book(message.data.decode()), token).wire())

    async def _own(self) -> None:
        self._buckets = IdentityBuckets(self._clock)
        self._subscription = await self._nc.subscribe(self.subject, cb=self._answer)
        self._publisher = asyncio.create_task(self._publish())
        get_logger().info("budget owned", identity=self._identity, lease_revision=self.lease.token)

    async def _stand_by(self) -> None:
        if self._buckets is not None:
            get_logger().info("budget given up", identity=self._identity)
        self._buckets = None
        if self._publisher is not None:
            self._publisher.cancel()
            self._publisher = None
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None

    async def release(self) -> None:
        """Give the budget up at once (clean shutdown: a standby takes it at its next try)."""
        await self._stand_by()
        await self.lease.release()

    async def _publish(self) -> None:
        """The buckets' levels into KV once a second, for reading only (the gateway's
        system page); the budget itself never reads them back."""
        while self._buckets is not None:
            with contextlib.suppress(Exception):
                for name, tokens in self._buckets.levels().items():
                    state = {"tokens": round(tokens, 3), "at": time.time()}
                    key = f"{self._scope}.{self._identity}.{name}"
                    await self._states.put(key, json.dumps(state).encode())
            await asyncio.sleep(PUBLISH_EVERY_S)
