"""A decision the log could not take (NATS restarting: the append timed out) is tried
again: nothing else brings that signal back to the trader, who would otherwise never
decide it (the chaos campaign lost signals so, under delayed fills)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

import nats.errors

from fleet.executor.execution import Execution, SignalReceived
from fleet.executor.fanout import Fanout
from fleet.executor.ownership import Ownership
from fleet.executor.traffic import SignalTraffic
from fleet.testing.signals import signal_at


@dataclass(frozen=True)
class Follower:
    user_id: str
    egress: str = "10.0.0.1"


@dataclass
class FlakyExecution:
    """Fails the first ``failures`` decisions, as an append during a NATS restart does."""

    failures: int
    traffic: SignalTraffic = field(default_factory=SignalTraffic)
    decided: list[tuple[str, str]] = field(default_factory=list)
    attempts: int = 0

    async def on_signal(self, trader: Follower, received: SignalReceived) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise nats.errors.TimeoutError
        self.decided.append((trader.user_id, received.event_id))


@dataclass
class OneFollower:
    trader: Follower

    def followers(self, _symbol: str, _timeframe: str) -> list[Follower]:
        return [self.trader]


def fanout_of(execution: FlakyExecution, retry_after_s: tuple[float, ...]) -> Fanout:
    fanout = Fanout(cast(Execution, execution), cast(Ownership, OneFollower(Follower("u1"))), 4)
    fanout.retry_after_s = retry_after_s
    return fanout


def received() -> SignalReceived:
    return SignalReceived("e1", signal_at(Decimal(50000)), datetime.now(UTC))


async def test_a_decision_that_failed_is_tried_again() -> None:
    execution = FlakyExecution(failures=2)
    fanout = fanout_of(execution, (0.01, 0.01, 0.01))
    fanout.dispatch(received())
    await fanout.drain()
    assert execution.decided == [("u1", "e1")]
    assert execution.attempts == 3


async def test_retries_are_bounded() -> None:
    execution = FlakyExecution(failures=10)
    fanout = fanout_of(execution, (0.01, 0.01))
    fanout.dispatch(received())
    await fanout.drain()
    assert execution.decided == []
    assert execution.attempts == 3  # the first try and two more
