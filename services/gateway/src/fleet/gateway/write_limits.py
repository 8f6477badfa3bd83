"""Per-user rate limit of state-changing requests: a token bucket per user, so one
account (or one stolen token) cannot fill the permanent log or flood the services.

The buckets live in the process: with several gateway workers each allows the rate, so
the platform-wide ceiling is the rate times ``FLEET_HTTP_WORKERS``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fleet.ratelimit import TokenBucket

MAX_TRACKED = 100_000  # users with a bucket; full buckets are forgotten past it


class WriteLimiter:
    """``per_minute`` writes a minute per user, ``burst`` at once."""

    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, user_id: str) -> int:
        """0 when the write may go ahead, else the whole seconds to wait before retrying."""
        now = self._clock()
        bucket = self._buckets.setdefault(user_id, TokenBucket(self._rate, self._burst))
        wait = bucket.try_take(now)
        if wait > 0:
            return max(1, math.ceil(wait))
        if len(self._buckets) > MAX_TRACKED:
            self._forget_full(now)
        return 0

    def _forget_full(self, now: float) -> None:
        for user_id, bucket in list(self._buckets.items()):
            if bucket.level(now) >= self._burst:
                del self._buckets[user_id]
