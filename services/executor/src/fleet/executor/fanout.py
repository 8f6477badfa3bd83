"""One signal to every owned trader who follows its stream.

Users are served in a rotating order. Each egress identity is its own queue (its own
per-IP budget), so each identity's users are rotated on their own: for the k-th candle
of a stream that identity's list starts at ``frac(k x golden ratio) x n``. The offsets of
successive signals are spread evenly over the list (a low-discrepancy sequence), so when
the budget cannot serve everyone at once no user is always last, and over many signals
every user's average place in his identity's queue is the middle. The identities' lists
are then interleaved, so every queue starts at once. (Rotating the whole list instead
leaves a user's place in his identity's queue to how the identities happen to be mixed
around him: 15-19 % apart over 100 signals, against 2 % this way.)
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from datetime import timedelta
from itertools import zip_longest
from typing import Protocol, TypeVar

from fleet.events.timeframes import candle_length
from fleet.executor import metrics
from fleet.executor.execution import Execution, SignalReceived
from fleet.executor.ownership import REPLAY_WINDOW, Ownership
from fleet.executor.traders import Trader
from fleet.obs import correlated, count_unexpected, get_logger

GOLDEN = (5**0.5 - 1) / 2
# a decision that failed (the log unreachable: a NATS restart, a leader election) is tried
# again after each of these pauses; deciding is idempotent (a signal already evaluated is
# a no-op), and nothing else brings the signal back to this trader
RETRY_AFTER_S: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0)


class Queued(Protocol):
    """What the order depends on: the egress identity a trader sends from."""

    @property
    def egress(self) -> str: ...


Q = TypeVar("Q", bound=Queued)


def rotation(traders: Sequence[Q], index: int) -> list[Q]:
    """The order in which the ``index``-th signal of a stream serves ``traders`` (given in
    a stable order): each identity's users rotated, the identities interleaved."""
    queues: dict[str, list[Q]] = {}
    for trader in traders:
        queues.setdefault(trader.egress, []).append(trader)
    rotated = [_rotate(queue, index) for queue in queues.values()]
    return [t for turn in zip_longest(*rotated) for t in turn if t is not None]


def _rotate(queue: list[Q], index: int) -> list[Q]:
    offset = int((index * GOLDEN) % 1.0 * len(queue))
    return queue[offset:] + queue[:offset]


def signal_index(received: SignalReceived) -> int:
    """The candle's number in its stream (deterministic across restarts and instances)."""
    signal = received.signal
    return signal.candle_open_ms // (candle_length(signal.timeframe) // timedelta(milliseconds=1))


class Fanout:
    """Dispatches signals to traders; keeps recent ones for traders gained later."""

    def __init__(self, execution: Execution, ownership: Ownership, concurrency: int) -> None:
        self.execution = execution
        self.ownership = ownership
        self._gate = asyncio.Semaphore(concurrency)
        self._recent: deque[SignalReceived] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self.lookback = REPLAY_WINDOW
        self.retry_after_s = RETRY_AFTER_S

    def dispatch(self, received: SignalReceived) -> None:
        """Start deciding this signal for every owned follower (does not wait)."""
        self._remember(received)
        signal = received.signal
        followers = self.ownership.followers(signal.symbol, signal.timeframe)
        # the signal's id follows its path: every line the decisions, the signing requests
        # (vault binds it too) and the exchange calls write carries it
        with correlated(received.event_id):
            get_logger().info(
                "signal received",
                symbol=signal.symbol,
                cross=signal.cross,
                followers=len(followers),
            )
            for trader in rotation(followers, signal_index(received)):
                self._spawn(trader, received)

    async def replay_for(self, traders: list[Trader]) -> None:
        """Recent signals for traders that just arrived (already decided ones are no-ops)."""
        wanted = {t.user_id for t in traders}
        for received in list(self._recent):
            signal = received.signal
            for trader in self.ownership.followers(signal.symbol, signal.timeframe):
                if trader.user_id in wanted:
                    with correlated(received.event_id):
                        self._spawn(trader, received)

    def _spawn(self, trader: Trader, received: SignalReceived) -> None:
        task = asyncio.create_task(self._decide(trader, received))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _decide(self, trader: Trader, received: SignalReceived) -> None:
        metrics.FANOUT_IN_FLIGHT.inc()
        try:
            for pause in (*self.retry_after_s, None):
                try:
                    with self.execution.traffic.deciding():
                        async with self._gate:
                            await self.execution.on_signal(trader, received)
                    return
                except Exception:  # one user's failure never stops the others
                    count_unexpected("executor.signal")
                    get_logger().exception(
                        "signal decision failed",
                        user=trader.user_id,
                        signal=received.event_id,
                        again_in_s=pause,
                    )
                if pause is None:
                    return
                await asyncio.sleep(pause)  # outside the gate: others decide meanwhile
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
