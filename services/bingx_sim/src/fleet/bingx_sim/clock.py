"""The simulated clock: real time scaled by ``speed``, movable by ``POST /sim/clock``."""

from __future__ import annotations

import time


class SimClock:
    """Milliseconds of simulated time."""

    def __init__(self, speed: float, start_ms: int | None = None) -> None:
        self.speed = speed
        self._origin_real = time.monotonic()
        self._origin_ms = start_ms if start_ms is not None else int(time.time() * 1000)

    def now_ms(self) -> int:
        """Simulated now, in epoch milliseconds."""
        elapsed = time.monotonic() - self._origin_real
        return self._origin_ms + int(elapsed * self.speed * 1000)

    def set_ms(self, when_ms: int) -> None:
        """Jump to ``when_ms`` (time keeps flowing at ``speed`` from there)."""
        self._origin_real = time.monotonic()
        self._origin_ms = when_ms

    def advance_ms(self, delta_ms: int) -> None:
        """Move forward by ``delta_ms``."""
        self.set_ms(self.now_ms() + delta_ms)
