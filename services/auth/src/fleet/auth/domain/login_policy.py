"""Login throttling arithmetic, one set of rules for every key; no hard lock.

A :class:`FailureRecord` counts consecutive failures of one key, kept in memory by
:class:`FailureLedger`: a pair (account, source) and a source (client IP). An unknown
username is a key like any other, so it is throttled exactly like a real one.

* Back-off: after ``free`` failures, the next attempt of the key must wait
  ``base * 2 ** (failures - free)`` seconds (capped at ``max``) after its last failure.
  A refused (throttled) attempt is not a failure: nothing was verified.
* No lock: a stranger's failures throttle only the stranger's own source (and the pair of
  that source with the account), never the account from other sources, and never end a
  session or a token. A lock recorded by an older version (``user.locked``) is still
  read, so ``UnlockUser`` can lift it, but nothing locks any more.
* Memory: a failure older than ``memory`` is forgotten and the count restarts at 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class FailureRecord:
    """Consecutive failures of one key, the last one's time, and a lock of the past."""

    count: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None  # only from events of an older version


@dataclass(frozen=True)
class LoginPolicy:
    """The product's limits; every value comes from the service settings."""

    pair_free_failures: int = 5
    source_free_failures: int = 20
    backoff_base: timedelta = timedelta(seconds=1)
    backoff_max: timedelta = timedelta(minutes=5)
    memory: timedelta = timedelta(hours=1)

    def remembered(self, record: FailureRecord, now: datetime) -> bool:
        """Whether the record's failures still count."""
        return record.last_failure_at is not None and now - record.last_failure_at < self.memory

    def locked_until(self, record: FailureRecord, now: datetime) -> datetime | None:
        """The end of a lock of an older version still in force, else ``None``."""
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

    def after_failure(self, record: FailureRecord, now: datetime) -> FailureRecord:
        """The record once one more failure happened at ``now`` (never a lock)."""
        count = record.count + 1 if self.remembered(record, now) else 1
        return FailureRecord(count, now)


def pair_key(username: str, source: str) -> str:
    """The ledger key of one (account, source) pair."""
    return f"pair:{username}|{source}"


def source_key(source: str) -> str:
    """The ledger key of one source."""
    return "ip:" + source


@dataclass
class FailureLedger:
    """In-memory failure records of pairs and sources, bounded in size.

    Per auth instance: with several instances a source's attempts are spread over them,
    so the effective per-source rate is that many times the single-instance rate.
    """

    policy: LoginPolicy
    max_keys: int = 100_000

    def __post_init__(self) -> None:
        self._records: dict[str, FailureRecord] = {}

    def get(self, key: str) -> FailureRecord:
        """The record of ``key`` (empty when it never failed)."""
        return self._records.get(key, FailureRecord())

    def fail(self, key: str, now: datetime) -> FailureRecord:
        """Count one failure of ``key``; returns the new record."""
        previous = self._records.pop(key, FailureRecord())
        record = self.policy.after_failure(previous, now)
        self._records[key] = record  # re-inserted last: the dict's order is by last failure
        if len(self._records) > self.max_keys:
            self._prune(now)
        return record

    def forget(self, key: str) -> None:
        """Drop ``key``'s failures (its owner signed in)."""
        self._records.pop(key, None)

    def wait(self, username: str, source: str, now: datetime) -> float:
        """Seconds before an attempt on ``username`` from ``source`` is allowed."""
        policy = self.policy
        pair = policy.retry_after(
            self.get(pair_key(username, source)), now, policy.pair_free_failures
        )
        by_source = policy.retry_after(
            self.get(source_key(source)), now, policy.source_free_failures
        )
        return max(pair, by_source)

    def _prune(self, now: datetime) -> None:
        stale = [
            key for key, record in self._records.items() if not self.policy.remembered(record, now)
        ]
        for key in stale:
            del self._records[key]
        while len(self._records) > self.max_keys:  # still full: drop the oldest failures
            del self._records[next(iter(self._records))]

    def __len__(self) -> int:
        return len(self._records)
