"""The token bucket's arithmetic, with time moved by hand."""

import pytest

from fleet.ratelimit import TokenBucket
from fleet.ratelimit.bucket import refilled

pytestmark = pytest.mark.unit


def test_a_new_bucket_is_full_and_gives_its_burst_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(rate=2.0, capacity=3)
    assert [bucket.try_take(10.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.try_take(10.0) == pytest.approx(0.5)
    assert bucket.try_take(10.25) == pytest.approx(0.25)  # refused: nothing taken
    assert bucket.try_take(10.5) == 0.0


def test_refill_stops_at_capacity_and_time_running_back_adds_nothing() -> None:
    bucket = TokenBucket(rate=1.0, capacity=2)
    bucket.take(0.0, 2)
    assert bucket.level(100.0) == 2
    assert bucket.level(-5.0) == 0
    assert refilled(0.5, 1.0, rate=0.25, capacity=5) == 0.75


def test_wait_takes_nothing_and_take_may_go_into_debt() -> None:
    bucket = TokenBucket(rate=1.0, capacity=1)
    assert bucket.wait(0.0) == 0.0
    bucket.take(0.0, 3)
    assert bucket.level(0.0) == -2
    assert bucket.wait(0.0) == pytest.approx(3.0)
