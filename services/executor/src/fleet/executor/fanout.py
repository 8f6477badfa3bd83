"""One signal to every owned trader who follows its stream.

Users are served in a rotating order: for the k-th candle of a stream the list starts at
``frac(k x golden ratio) x N``. The offsets of successive signals are spread evenly over
the list (a low-discrepancy sequence), so when the budget cannot serve everyone at once,
no user is always last and over many signals every user's average place is the middle.
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import timedelta

from fleet.executor import metrics
from fleet.executor.domain.planner import TIMEFRAME_SECONDS
from fleet.executor.execution import Execution, SignalReceived
from fleet.executor.ownership import Ownership
from fleet.executor.traders import Trader
from fleet.obs import get_logger

GOLDEN = (5**0.5 - 1) / 2


def rotation(traders: list[Trader], index: int) -> list[Trader]:
    """The order in which the ``index``-th signal of a stream serves ``traders``."""
    if not traders:
        return []
    offset = int((index * GOLDEN) % 1.0 * len(traders))
    return traders[offset:] + traders[:offset]


def signal_index(received: SignalReceived) -> int:
    """The candle's number in its stream (deterministic across restarts and instances)."""
    signal = received.signal
    return signal.candle_open_ms // (TIMEFRAME_SECONDS.get(signal.timeframe, 300) * 1000)


class Fanout:
    """Dispatches signals to traders; keeps recent ones for traders gained later."""

    def __init__(self, execution: Execution, ownership: Ownership, concurrency: int) -> None:
        self.execution = execution
        self.ownership = ownership
        self._gate = asyncio.Semaphore(concurrency)
        self._recent: deque[SignalReceived] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self.lookback = timedelta(minutes=15)

    def dispatch(self, received: SignalReceived) -> None:
        """Start deciding this signal for every owned follower (does not wait)."""
        self._remember(received)
        signal = received.signal
        followers = self.ownership.followers(signal.symbol, signal.timeframe)
        for trader in rotation(followers, signal_index(received)):
            self._spawn(trader, received)

    async def replay_for(self, traders: list[Trader]) -> None:
        """Recent signals for traders that just arrived (already decided ones are no-ops)."""
        wanted = {t.user_id for t in traders}
        for received in list(self._recent):
            signal = received.signal
            for trader in self.ownership.followers(signal.symbol, signal.timeframe):
                if trader.user_id in wanted:
                    self._spawn(trader, received)

    def _spawn(self, trader: Trader, received: SignalReceived) -> None:
        task = asyncio.create_task(self._decide(trader, received))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _decide(self, trader: Trader, received: SignalReceived) -> None:
        metrics.FANOUT_IN_FLIGHT.inc()
        try:
            async with self._gate:
                await self.execution.on_signal(trader, received)
        except Exception:  # one user's failure never stops the others
            get_logger().exception(
                "signal decision failed", user=trader.user_id, signal=received.event_id
            )
        finally:
            metrics.FANOUT_IN_FLIGHT.dec()

    def _remember(self, received: SignalReceived) -> None:
        self._recent.append(received)
        horizon = received.published_at - self.lookback
        while self._recent and self._recent[0].published_at < horizon:
            self._recent.popleft()

    async def drain(self) -> None:
        """Wait for every decision in flight (tests and clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)
