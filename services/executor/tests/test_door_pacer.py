"""The pacer at the door: requests granted evenly but delayed unevenly on their way
(a slow signature, then several at once) still leave within BingX's sliding windows."""

import asyncio
import random

import pytest

from fleet.executor.adapters.budget import IP_PER_ENDPOINT, DoorPacer

ORDER = "/openApi/swap/v2/trade/order:POST"


class FakeTime:
    """A clock that ``asyncio.sleep`` moves forward instead of waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def most_in_any_window(times: list[float], window_s: float) -> int:
    times = sorted(times)
    start, most = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window_s:
            start += 1
        most = max(most, end - start + 1)
    return most


def bunched_arrivals(count: int, seed: int) -> list[float]:
    """Turns granted at the shared budget's pace; now and then a stall (a slow signature,
    a slow append) holds every request granted during 0.5-1.5 s until it ends."""
    rng = random.Random(seed)
    turns = [i / IP_PER_ENDPOINT.rate for i in range(count)]
    stalls = [(s, s + rng.uniform(0.5, 1.5)) for s in range(2, int(turns[-1]), 7)]
    held = [next((end for start, end in stalls if start <= t < end), t) for t in turns]
    return sorted(held)


@pytest.mark.parametrize("seed", range(5))
async def test_bunched_requests_leave_within_the_window(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeTime()
    real_sleep = asyncio.sleep

    async def advance(seconds: float) -> None:
        clock.now += max(seconds, 1e-6)  # real time always moves on
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", advance)
    pacer = DoorPacer(clock)
    arrivals = bunched_arrivals(900, seed)
    assert most_in_any_window(arrivals, 10.0) > IP_PER_ENDPOINT.count  # would be refused

    left: list[float] = []
    for at in arrivals:  # in arrival order, each passes the door when the pacer lets it
        clock.now = max(clock.now, at)
        await pacer.acquire(ORDER)
        left.append(clock.now)

    assert most_in_any_window(left, 10.0) <= IP_PER_ENDPOINT.count
    waited = [out - at for out, at in zip(left, arrivals, strict=True)]
    assert max(waited) < 2.0  # only the bunching is waited out: far inside recvWindow
