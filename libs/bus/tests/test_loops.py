"""Supervised background loops: a failing loop is restarted with growing pauses and is
reported down (readiness fails) while it waits; a loop that stops on purpose stays
stopped; cancelling the task stops the loop."""

import asyncio

import pytest
from prometheus_client import REGISTRY

from fleet.bus.loops import Loops

pytestmark = pytest.mark.unit


def restarts(name: str) -> float:
    return REGISTRY.get_sample_value("fleet_loop_restarts_total", {"loop": name}) or 0.0


async def test_a_failing_loop_is_restarted_and_reported_down_while_it_waits() -> None:
    loops = Loops(first_pause_s=0.05, max_pause_s=0.2)
    runs = 0
    healthy = asyncio.Event()
    before = restarts("flaky")

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 2:
            raise RuntimeError("NATS went away")
        healthy.set()
        await asyncio.Event().wait()  # runs for ever from the third start

    task = loops.start("flaky", flaky)
    await asyncio.sleep(0.01)
    assert loops.down() == ["flaky"]  # failed once: waiting to restart
    reason = await loops.probe()
    assert reason is not None and "flaky (1 in a row)" in reason
    await asyncio.wait_for(healthy.wait(), 2)
    assert loops.down() == [] and await loops.probe() is None
    assert runs == 3 and restarts("flaky") - before == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert loops.down() == []  # a stopped loop is forgotten


async def test_an_optional_loop_never_fails_readiness_and_until_ends_it() -> None:
    loops = Loops(first_pause_s=0.01)
    active = True
    runs = 0

    async def ends() -> None:
        nonlocal runs, active
        runs += 1
        if runs == 3:
            active = False  # stood down: the loop is not restarted again

    task = loops.start("optional", ends, required=False, until=lambda: not active)
    await asyncio.wait_for(task, 2)
    assert runs == 3 and loops.down() == []


def test_pauses_double_up_to_the_cap_with_at_most_a_tenth_off() -> None:
    loops = Loops(first_pause_s=1.0, max_pause_s=8.0)
    for failures, full in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        pause = loops.pause(failures)
        assert full * 0.9 <= pause <= full
