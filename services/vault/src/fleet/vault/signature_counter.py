"""Counts signatures per user per hour; one audit event per user-hour, not per signature."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


class SignatureCounter:
    """In-memory counts, drained into ``SignaturesCounted`` events when the hour turns."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._hour = _hour(clock())
        self._counts: Counter[str] = Counter()

    def count(self, user_id: str) -> None:
        """One more signature for ``user_id`` in the current hour."""
        self._counts[user_id] += 1

    def drain(self, *, force: bool = False) -> tuple[datetime, dict[str, int]] | None:
        """The finished hour's counts (or the current one with ``force``), reset."""
        hour = _hour(self._clock())
        if hour == self._hour and not force:
            return None
        drained = (self._hour, dict(self._counts))
        self._hour, self._counts = hour, Counter()
        return drained
