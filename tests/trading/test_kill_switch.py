"""The kill switch is one ``trading.halted`` event that every executor follows at once:
with many traders on two executors, halting appends one event (no bot event), the next
signal's entries are refused for every trader with the admin's reason, and one
``trading.resumed`` lets the following signal's entries out again. Rate limits are on: the
two executors' orders share the one identity's budget, which one of them owns and the
other books with."""

import asyncio

import pytest

from fleet.events.bots import BOT_AGGREGATE
from fleet.events.commands import Actor
from fleet.events.executor_commands import KillSwitch, ResumeTrading, StartBot
from fleet.events.halt import HALT_AGGREGATE, HALT_ID, TradingHalted, TradingResumed
from fleet.events.trading import OrderAccepted, SignalEvaluated
from fleet.testing.services import ServiceProcess

from .conftest import TraderKeys, Trading, eventually, metric

pytestmark = pytest.mark.e2e

ADMIN = Actor(user_id="admin-1", role="admin", ip="127.0.0.1")
TRADERS = 30


@pytest.fixture(scope="module")
def executor_overrides() -> dict[str, str]:
    return {"FLEET_PARTITIONS": "8", "FLEET_INSTANCE_ID": "executor-a", "FLEET_RATE_LIMITS": "true"}


async def test_one_halt_event_stops_every_executors_entries_and_resume_restores(
    trading: Trading,
) -> None:
    second = trading.new_executor(trading.executor_env | {"FLEET_INSTANCE_ID": "executor-b"})
    try:
        await eventually(lambda: _split(trading.executor, second), timeout=20)
        traders = await _traders(trading)
        bot_events = await _bot_event_count(trading, traders)

        reply = await trading.ask(KillSwitch(reason="exchange incident", actor=ADMIN))
        assert reply["ok"] and reply["data"]["halted"], reply
        assert reply["data"]["paused"] == TRADERS  # running bots the halt covers
        assert await trading.events(HALT_AGGREGATE, HALT_ID) == [
            TradingHalted(reason="exchange incident", by="admin-1")
        ]
        assert await _bot_event_count(trading, traders) == bot_events  # no bot touched
        again = await trading.ask(KillSwitch(reason="twice", actor=ADMIN))
        assert again["ok"] and not again["data"]["halted"]  # a state: nothing appended

        halted = await trading.signal("BTC-USDT", "up")
        for decision in await eventually(lambda: _decisions(trading, traders, halted)):
            assert (decision.decision, decision.code, decision.intents) == ("skip", "reducing", ())
            assert "trading halted by admin: exchange incident" in decision.reason

        resumed = await trading.ask(ResumeTrading(reason="incident over", actor=ADMIN))
        assert resumed["ok"] and resumed["data"] == {"was_halted": True}, resumed
        halt_events = await trading.events(HALT_AGGREGATE, HALT_ID)
        assert halt_events[1:] == [TradingResumed(reason="incident over", by="admin-1")]

        allowed = await trading.signal("BTC-USDT", "up")
        for decision in await eventually(lambda: _decisions(trading, traders, allowed)):
            assert decision.decision == "entry" and len(decision.intents) >= 1, decision
        # every entry went out through the one budget, booked from both executors
        await eventually(lambda: _all_accepted(trading, traders), timeout=60)
    finally:
        second.stop()


async def _traders(trading: Trading) -> list[TraderKeys]:
    created: list[TraderKeys] = []
    for _ in range(TRADERS // 10):
        created += await asyncio.gather(*(trading.trader() for _ in range(10)))
    refused = await trading.ask(StartBot(user_id="nobody-there"))
    assert not refused["ok"] and refused["error"]["code"] == "not_found"
    return created


async def _bot_event_count(trading: Trading, traders: list[TraderKeys]) -> int:
    return sum([len(await trading.events(BOT_AGGREGATE, k.user_id)) for k in traders])


async def _decisions(
    trading: Trading, traders: list[TraderKeys], signal_id: str
) -> list[SignalEvaluated]:
    found = []
    for keys in traders:
        events = await trading.events("account", keys.user_id)
        mine = [e for e in events if isinstance(e, SignalEvaluated) and e.signal_id == signal_id]
        if not mine:
            return []
        found += mine
    return found


async def _all_accepted(trading: Trading, traders: list[TraderKeys]) -> bool:
    for keys in traders:
        events = await trading.events("account", keys.user_id)
        if not any(isinstance(e, OrderAccepted) for e in events):
            return False
    return True


async def _split(first: ServiceProcess, second: ServiceProcess) -> bool:
    a = await metric(first, "executor_owned_partitions")
    b = await metric(second, "executor_owned_partitions")
    return a + b == 8 and a > 0 and b > 0
