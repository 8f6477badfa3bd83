"""The per-user token bucket of state-changing requests."""

from __future__ import annotations

import pytest

from fleet.gateway.write_limits import WriteLimiter

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = WriteLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.take("u") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("u") == 1
    assert limiter.take("other") == 0  # one user's bucket is his own
    clock.now += 1.0
    assert limiter.take("u") == 0
    assert limiter.take("u") >= 1


def test_the_wait_is_whole_seconds_of_the_rate() -> None:
    limiter = WriteLimiter(per_minute=6, burst=1, clock=Clock())
    assert limiter.take("u") == 0
    assert limiter.take("u") == 10
