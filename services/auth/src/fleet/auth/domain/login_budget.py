"""How much argon2 work logins may cost: a limit on verifications in flight (all sources),
a smaller one per source, and a per-source rate (a token bucket). An attempt over any of
them is refused before hashing, at the cost of a dictionary look-up, so a flood of
parallel logins from one address cannot take the CPU from everyone else's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from fleet.auth.errors import Throttled
from fleet.ratelimit import TokenBucket


class Busy(Throttled):
    """Every verification slot is taken: retry in a moment."""

    error_code = "auth_busy"


@dataclass
class VerificationBudget:
    """Admits a verification or refuses it (:class:`Throttled`, :class:`Busy`)."""

    max_in_flight: int = 8
    source_in_flight: int = 2
    source_per_minute: float = 60.0
    source_burst: int = 20
    max_sources: int = 100_000
    _in_flight: int = 0
    _by_source: dict[str, int] = field(default_factory=dict)
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    @contextmanager
    def admit(self, source: str, now: datetime) -> Iterator[None]:
        """Hold one slot for ``source`` while the block runs; refuse when none is left."""
        if self._in_flight >= self.max_in_flight:
            raise Busy(1.0)
        if self._by_source.get(source, 0) >= self.source_in_flight:
            raise Throttled(1.0)
        self._take_token(source, now)
        self._in_flight += 1
        self._by_source[source] = self._by_source.get(source, 0) + 1
        try:
            yield
        finally:
            self._in_flight -= 1
            left = self._by_source.pop(source) - 1
            if left:
                self._by_source[source] = left

    def _take_token(self, source: str, now: datetime) -> None:
        bucket = self._buckets.pop(source, None) or TokenBucket(
            self.source_per_minute / 60.0, float(self.source_burst)
        )
        self._buckets[source] = bucket  # (re-)inserted last: the dict is by last use
        wait = bucket.try_take(now.timestamp())
        if wait > 0:
            raise Throttled(round(max(wait, 1.0), 3))
        while len(self._buckets) > self.max_sources:
            del self._buckets[next(iter(self._buckets))]


def resend_budget() -> VerificationBudget:
    """Verification links a user may ask for again, keyed by user id: 3 at once, then
    one every 5 minutes (each is a mail to an address nobody has confirmed yet)."""
    return VerificationBudget(source_in_flight=1, source_per_minute=0.2, source_burst=3)
