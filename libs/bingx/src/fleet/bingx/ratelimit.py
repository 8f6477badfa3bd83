"""Token buckets for BingX's limits (API.md §7): per UID per endpoint, per IP per group.

Behind a Protocol so executors can later share one IP budget across processes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from fleet.ratelimit import TokenBucket as Bucket


class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` saved up, on ``clock``: the shared
    :class:`fleet.ratelimit.TokenBucket` with a wait for the tokens."""

    def __init__(
        self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._bucket = Bucket(rate, capacity)
        self._clock = clock
        self._lock = asyncio.Lock()

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self._bucket.rate

    @property
    def capacity(self) -> float:
        """The most tokens saved up."""
        return self._bucket.capacity

    def try_take(self, tokens: float = 1.0) -> float:
        """Take tokens now if possible (returns 0) else the seconds to wait."""
        return self._bucket.try_take(self._clock(), tokens)

    async def take(self, tokens: float = 1.0) -> None:
        """Wait until ``tokens`` are available, then take them (fair: one waiter at a time)."""
        async with self._lock:
            while (wait := self.try_take(tokens)) > 0:  # noqa: ASYNC110 - computed wait
                await asyncio.sleep(wait)


class RateBudget(Protocol):
    """Waits until a request to ``endpoint`` fits every limit that applies to it."""

    async def acquire(self, endpoint: str) -> None:
        """Block until the request may go."""
        ...


@runtime_checkable
class CoolDown(Protocol):
    """A budget that can pause every request of its egress address for a while (after an
    HTTP 429 / 418 / 403: BingX counts the address, not the user)."""

    async def cool_down(self, seconds: float) -> None:
        """Let nothing through for ``seconds`` from now."""
        ...


# Group 3 (§7): trading endpoints counted together per IP; others are group 2 or market.
TRADING_GROUP = {
    "/openApi/swap/v2/trade/order:POST",
    "/openApi/swap/v2/trade/order:DELETE",
    "/openApi/swap/v2/trade/openOrders:GET",
    "/openApi/swap/v2/trade/allOrders:GET",
    "/openApi/swap/v3/user/balance:GET",
    "/openApi/swap/v2/user/positions:GET",
}
