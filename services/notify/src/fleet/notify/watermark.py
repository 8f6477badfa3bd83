"""The position that only moves past an event once every delivery it caused is done or
recorded as failed (deliveries finish in any order; the position never skips one)."""

from __future__ import annotations


class Watermark:
    """``position``: the highest sequence below which nothing is outstanding."""

    def __init__(self, position: int) -> None:
        self._seen = position
        self._outstanding: dict[int, int] = {}

    def restart_at(self, position: int) -> None:
        """Start over from a saved position (nothing outstanding)."""
        self._seen = position
        self._outstanding.clear()

    def seen(self, sequence: int, deliveries: int) -> None:
        """Event ``sequence`` was read and caused ``deliveries`` jobs."""
        self._seen = max(self._seen, sequence)
        if deliveries:
            self._outstanding[sequence] = self._outstanding.get(sequence, 0) + deliveries

    def finished(self, sequence: int) -> None:
        """One delivery of event ``sequence`` is done or recorded as failed."""
        left = self._outstanding[sequence] - 1
        if left:
            self._outstanding[sequence] = left
        else:
            del self._outstanding[sequence]

    @property
    def last_seen(self) -> int:
        return self._seen

    @property
    def outstanding(self) -> int:
        return sum(self._outstanding.values())

    @property
    def position(self) -> int:
        if self._outstanding:
            return min(self._outstanding) - 1
        return self._seen
