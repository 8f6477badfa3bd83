"""Follow-up queries wait for a signal's decisions to finish (never longer than a bound)."""

import asyncio

import pytest

from fleet.executor.traffic import SignalTraffic

pytestmark = pytest.mark.unit


async def test_quiet_at_once_when_nothing_is_deciding() -> None:
    await asyncio.wait_for(SignalTraffic().quiet(), 0.5)


async def test_a_query_waits_for_the_last_decision_in_flight() -> None:
    traffic = SignalTraffic(max_wait_s=30)
    order: list[str] = []

    async def query() -> None:
        await traffic.quiet()
        order.append("query")

    with traffic.deciding():
        with traffic.deciding():
            waiting = asyncio.create_task(query())
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.05)
        assert order == []  # one decision is still in flight
        order.append("last decision")
    await asyncio.wait_for(waiting, 1)
    assert order == ["last decision", "query"]


async def test_a_query_is_never_starved() -> None:
    traffic = SignalTraffic(max_wait_s=0.05)
    with traffic.deciding():
        await asyncio.wait_for(traffic.quiet(), 1)  # gave up waiting, did not hang


async def test_a_late_waiter_gets_its_own_bound_after_the_gate_opened() -> None:
    traffic = SignalTraffic(max_wait_s=0.1)
    with traffic.deciding():
        await asyncio.wait_for(traffic.quiet(), 1)  # the first spell's gate opened
        late = asyncio.create_task(traffic.quiet())
        await asyncio.sleep(0.03)
        assert not late.done()  # a new gate: it waits again, not through the old one
        await asyncio.wait_for(late, 1)


async def test_a_query_waits_for_the_stream_reports_in_flight_too() -> None:
    traffic = SignalTraffic(max_wait_s=30)
    order: list[str] = []

    async def query() -> None:
        await traffic.settled()
        order.append("query")

    with traffic.reporting():
        waiting = asyncio.create_task(query())
        await traffic.quiet()  # a report does not wait for other reports
        await asyncio.sleep(0.05)
        assert order == []
        order.append("report recorded")
    await asyncio.wait_for(waiting, 1)
    assert order == ["report recorded", "query"]
