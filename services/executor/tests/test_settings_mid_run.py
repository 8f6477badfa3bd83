"""A setting changed while a bot runs, in the executor: the next decision reads the new
value (risk, leverage, confidence...), and stop reads ``flatten_on_stop`` as it is when
the bot is stopped (the handler reads the log then), not as it was at start."""

from decimal import Decimal

import pytest

from fleet.events import ActorId, AggregateId, AggregateRef, wrap
from fleet.events.bots import BOT_AGGREGATE, BotStarted, BotStopped
from fleet.events.catalog import domain_registry
from fleet.events.commands import Actor
from fleet.events.credentials import CREDENTIAL_AGGREGATE, CredentialVerified
from fleet.events.directory import Directory
from fleet.events.executor_commands import StartBot, StopBot
from fleet.events.users import (
    USER_AGGREGATE,
    TradingSettings,
    TradingSettingsChanged,
    UserCreated,
)
from fleet.eventstore import EventStore, Repository
from fleet.executor import handlers
from fleet.executor.domain.bot import Bot
from fleet.executor.domain.planner import plan

from .test_planner import RULES, account, signal, turn

AT_START = TradingSettings(trading_enabled=True, symbols=("BTC-USDT",), timeframe="5m")


def verified(balance: int) -> CredentialVerified:
    return CredentialVerified(balance=Decimal(balance), permissions=(), ip_addresses=())


def _running_directory() -> Directory:
    directory = Directory()
    directory.apply("u1", UserCreated(username="ann", email="ann@example.com", role="trader"))
    directory.apply("u1", TradingSettingsChanged(settings=AT_START))
    directory.apply("u1", verified(10000))
    started = BotStarted(
        session_id="s1", settings=AT_START, initial_balance=Decimal(10000), by="u1"
    )
    directory.apply("u1", started)
    return directory


@pytest.mark.unit
def test_the_next_decision_uses_the_settings_changed_while_the_bot_runs() -> None:
    directory = _running_directory()
    [before] = plan(turn(signal()), directory.view("u1"), account(), RULES).intents
    changed = AT_START.model_copy(update={"risk_per_trade": Decimal(4), "leverage": 10})
    directory.apply("u1", TradingSettingsChanged(settings=changed))
    [after] = plan(turn(signal()), directory.view("u1"), account(), RULES).intents
    assert after.quantity == before.quantity * 2 and (before.leverage, after.leverage) == (5, 10)
    demanding = AT_START.model_copy(update={"min_confidence": Decimal(90)})
    directory.apply("u1", TradingSettingsChanged(settings=demanding))
    assert not plan(turn(signal()), directory.view("u1"), account(), RULES).intents


@pytest.mark.unit
def test_symbols_and_timeframe_changed_mid_run_move_the_bot_to_the_new_streams() -> None:
    directory = _running_directory()
    moved = AT_START.model_copy(update={"symbols": ("ETH-USDT",), "timeframe": "1h"})
    directory.apply("u1", TradingSettingsChanged(settings=moved))
    assert directory.followers("BTC-USDT", "5m") == []
    assert [v.user_id for v in directory.followers("ETH-USDT", "1h")] == ["u1"]


async def _trader(store: EventStore, user_id: str) -> None:
    user = AggregateRef(type=USER_AGGREGATE, id=AggregateId(user_id))
    created = UserCreated(username=user_id, email=f"{user_id}@example.com", role="trader")
    settings = TradingSettingsChanged(settings=AT_START)
    await store.append(user, [wrap(created, user), wrap(settings, user)], None)
    cred = AggregateRef(type=CREDENTIAL_AGGREGATE, id=AggregateId(user_id))
    await store.append(
        cred,
        [wrap(verified(1000), cred)],
        None,
    )


@pytest.mark.integration
@pytest.mark.parametrize("flatten_at_stop", [True, False])
async def test_stop_flattens_as_the_settings_say_when_stopping(
    event_store: EventStore, flatten_at_stop: bool
) -> None:
    deps = handlers.ExecutorDeps(
        event_store, Repository(event_store, domain_registry(), Bot), Directory()
    )
    await _trader(event_store, "u1")
    owner = Actor(user_id="u1", role="trader")
    assert (await handlers.start(StartBot(user_id="u1", actor=owner), deps)).ok
    user = AggregateRef(type=USER_AGGREGATE, id=AggregateId("u1"))
    changed = AT_START.model_copy(update={"flatten_on_stop": flatten_at_stop})
    await event_store.append(
        user, [wrap(TradingSettingsChanged(settings=changed), user, actor=ActorId("u1"))], None
    )
    assert (await handlers.stop(StopBot(user_id="u1", actor=owner), deps)).ok
    bot = AggregateRef(type=BOT_AGGREGATE, id=AggregateId("u1"))
    stopped = domain_registry().decode((await event_store.load(bot))[-1])
    assert isinstance(stopped, BotStopped) and stopped.flatten is flatten_at_stop
