"""A rate budget for tests of the BingX transport: no limits, only the address-wide
cool-down a refusal (429 / 418 / 403 / 100410) asks for, waited out before the next
request, so a test can see that a refusal pauses the address."""

from __future__ import annotations

import asyncio
import time


class PausingBudget:
    """A :class:`fleet.bingx.ratelimit.RateBudget` and ``CoolDown`` with no limits."""

    def __init__(self) -> None:
        self._paused_until = 0.0

    async def acquire(self, endpoint: str) -> None:
        """Wait out the current cool-down, if any."""
        if (pause := self.paused_for()) > 0:
            await asyncio.sleep(pause)

    async def cool_down(self, seconds: float) -> None:
        """Let nothing through for ``seconds`` from now."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def paused_for(self) -> float:
        """Seconds left of the current cool-down (0 when none)."""
        return max(0.0, self._paused_until - time.monotonic())
