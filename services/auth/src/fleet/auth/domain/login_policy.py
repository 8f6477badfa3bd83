"""Login throttling and lockout arithmetic, one set of rules for every key.

A :class:`FailureRecord` counts consecutive failures of one key: a user (kept in the
user aggregate, so every auth instance and every restart agree), an unknown username or
a client IP (kept in memory by :class:`FailureLedger`). The same functions judge all of
them, so an unknown username is throttled and locked exactly like a real one.

* Back-off: after ``free`` failures, the next attempt must wait
  ``base * 2 ** (failures - free)`` seconds (capped at ``max``) after the last failure.
* Lockout: the ``lockout_after``-th consecutive failure locks the key for ``lockout``;
  each failure after that re-locks it. A throttled attempt on the username counts as a
  failure (an attacker who ignores ``retry_after`` reaches the lock sooner, not later);
  an attempt refused because its IP is throttled does not count against the user.
* Memory: a failure older than ``memory`` is forgotten and the count restarts at 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class FailureRecord:
    """Consecutive failures of one key, the last one's time, and any lock."""

    count: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class LoginPolicy:
    """The product's limits; every value comes from the service settings."""

    user_free_failures: int = 3
    ip_free_failures: int = 20
    backoff_base: timedelta = timedelta(seconds=1)
    backoff_max: timedelta = timedelta(minutes=5)
    lockout_after: int = 10
    lockout: timedelta = timedelta(minutes=15)
    memory: timedelta = timedelta(hours=1)

    def remembered(self, record: FailureRecord, now: datetime) -> bool:
        """Whether the record's failures still count."""
        return record.last_failure_at is not None and now - record.last_failure_at < self.memory

    def locked_until(self, record: FailureRecord, now: datetime) -> datetime | None:
        """The end of a lock still in force, else ``None`` (an expired lock is no lock)."""
        if record.locked_until is not None and now < record.locked_until:
            return record.locked_until
        return None

    def delay(self, failures: int, free: int) -> timedelta:
        """The wait imposed after ``failures`` consecutive failures."""
        if failures < free:
            return timedelta(0)
        steps: int = min(failures - free, 30)  # 2**30 s is far past any cap
        return min(self.backoff_base * (1 << steps), self.backoff_max)

    def retry_after(self, record: FailureRecord, now: datetime, free: int) -> float:
        """Seconds until the next attempt is allowed (0 = now)."""
        if record.last_failure_at is None or not self.remembered(record, now):
            return 0.0
        wait = record.last_failure_at + self.delay(record.count, free) - now
        return max(wait.total_seconds(), 0.0)

    def after_failure(
        self, record: FailureRecord, now: datetime, *, can_lock: bool = True
    ) -> FailureRecord:
        """The record once one more failure happened at ``now``."""
        count = record.count + 1 if self.remembered(record, now) else 1
        locked = now + self.lockout if can_lock and count >= self.lockout_after else None
        return FailureRecord(count, now, locked or self.locked_until(record, now))


@dataclass
class FailureLedger:
    """In-memory failure records of client IPs and unknown usernames, bounded in size.

    Per auth instance: with several instances an IP's attempts are spread over them, so
    the effective per-IP rate is that many times the single-instance rate.
    """

    policy: LoginPolicy
    max_keys: int = 100_000

    def __post_init__(self) -> None:
        self._records: dict[str, FailureRecord] = {}

    def get(self, key: str) -> FailureRecord:
        """The record of ``key`` (empty when it never failed)."""
        return self._records.get(key, FailureRecord())

    def fail(self, key: str, now: datetime, *, can_lock: bool = True) -> FailureRecord:
        """Count one failure of ``key``; returns the new record."""
        previous = self._records.pop(key, FailureRecord())
        record = self.policy.after_failure(previous, now, can_lock=can_lock)
        self._records[key] = record  # re-inserted last: the dict's order is by last failure
        if len(self._records) > self.max_keys:
            self._prune(now)
        return record

    def _prune(self, now: datetime) -> None:
        stale = [
            key
            for key, record in self._records.items()
            if not self.policy.remembered(record, now)
            and self.policy.locked_until(record, now) is None
        ]
        for key in stale:
            del self._records[key]
        while len(self._records) > self.max_keys:  # still full: drop the oldest failures
            del self._records[next(iter(self._records))]

    def __len__(self) -> int:
        return len(self._records)
