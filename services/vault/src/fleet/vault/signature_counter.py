"""Counts signatures per user per hour; one audit event per user-hour, not per signature."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

HourCounts = tuple[datetime, dict[str, int]]


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


class SignatureCounter:
    """In-memory counts of this worker, drained into ``SignaturesCounted`` events. Each
    signature lands in the hour it was made in, however late the drain runs."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._hour = _hour(clock())
        self._counts: Counter[str] = Counter()
        self._finished: list[HourCounts] = []

    def __repr__(self) -> str:
        return f"SignatureCounter({len(self._counts)} users this hour)"

    def count(self, user_id: str, signatures: int = 1) -> None:
        """``signatures`` more for ``user_id`` in the current hour."""
        self._roll_if_needed()
        self._counts[user_id] += signatures

    def drain(self, *, force: bool = False) -> list[HourCounts]:
        """Every finished hour's counts (and the current hour's too with ``force``)."""
        self._roll_if_needed()
        if force:
            self._roll(self._hour)
        drained, self._finished = self._finished, []
        return drained

    def _roll_if_needed(self) -> None:
        hour = _hour(self._clock())
        if hour != self._hour:
            self._roll(hour)

    def _roll(self, hour: datetime) -> None:
        if self._counts:
            self._finished.append((self._hour, dict(self._counts)))
        self._hour, self._counts = hour, Counter()
