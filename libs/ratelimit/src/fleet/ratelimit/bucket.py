"""A token bucket: ``rate`` tokens a second flow in, at most ``capacity`` are saved up.

Pure: the caller passes the time (seconds on any one clock: ``time.monotonic()``, or a
``datetime``'s ``timestamp()``), so tests move time by hand and the same arithmetic
serves a lock-guarded async waiter (the BingX client), a per-key limiter (gateway
writes, login verifications, vault connects) and a bucket kept in NATS KV (the executor).
"""

from __future__ import annotations

from dataclasses import dataclass


def refilled(tokens: float, elapsed_s: float, rate: float, capacity: float) -> float:
    """``tokens`` after ``elapsed_s`` seconds of refill (time running back counts as none)."""
    return min(capacity, tokens + max(elapsed_s, 0.0) * rate)


@dataclass
class TokenBucket:
    """A bucket, full until first used."""

    rate: float
    capacity: float
    tokens: float | None = None  # None: full
    at: float = 0.0

    def level(self, now: float) -> float:
        """Tokens available at ``now``."""
        if self.tokens is None:
            return self.capacity
        return refilled(self.tokens, now - self.at, self.rate, self.capacity)

    def wait(self, now: float, tokens: float = 1.0) -> float:
        """Seconds until ``tokens`` are there (0: they are); takes nothing."""
        missing = tokens - self.level(now)
        return 0.0 if missing <= 0 else missing / self.rate

    def take(self, now: float, tokens: float = 1.0) -> None:
        """Take ``tokens`` whether or not they are there (the level may go below 0)."""
        self.tokens, self.at = self.level(now) - tokens, now

    def try_take(self, now: float, tokens: float = 1.0) -> float:
        """Take ``tokens`` if they are there (returns 0), else the seconds to wait (nothing
        taken)."""
        wait = self.wait(now, tokens)
        if wait == 0:
            self.take(now, tokens)
        return wait
