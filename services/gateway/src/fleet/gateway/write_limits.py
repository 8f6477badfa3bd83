"""Per-user rate limit of state-changing requests: a token bucket per user, so one
account (or one stolen token) cannot fill the permanent log or flood the services.

The buckets live in the process: with several gateway workers each allows the rate, so
the platform-wide ceiling is the rate times ``FLEET_HTTP_WORKERS``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

MAX_TRACKED = 100_000  # users with a bucket; full buckets are forgotten past it


class WriteLimiter:
    """``per_minute`` writes a minute per user, ``burst`` at once."""

    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, user_id: str) -> int:
        """0 when the write may go ahead, else the whole seconds to wait before retrying."""
        now = self._clock()
        tokens, at = self._buckets.get(user_id, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens < 1.0:
            self._buckets[user_id] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self._rate))
        self._buckets[user_id] = (tokens - 1.0, now)
        if len(self._buckets) > MAX_TRACKED:
            self._forget_full(now)
        return 0

    def _forget_full(self, now: float) -> None:
        for user_id, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * self._rate >= self._burst:
                del self._buckets[user_id]
