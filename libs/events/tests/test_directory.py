"""The one user fold: a setting changed while a bot runs applies at once (the next decision
reads it; the followed streams move), and a bot's start does not pin the settings."""

from decimal import Decimal
from typing import Any

import pytest

from fleet.events import DomainEvent
from fleet.events.bots import BotPaused, BotStarted, BotStopped, FlattenDone, FlattenRequested
from fleet.events.credentials import CredentialConnected
from fleet.events.directory import Directory, UserView, fold_user
from fleet.events.users import TradingSettings, TradingSettingsChanged, UserCreated

pytestmark = pytest.mark.unit

AT_START = TradingSettings(trading_enabled=True, symbols=("BTC-USDT",), timeframe="5m")
MID_RUN_CHANGES: list[dict[str, Any]] = [
    {"leverage": 20},
    {"risk_per_trade": Decimal("3.5")},
    {"daily_loss_limit": Decimal(9)},
    {"max_drawdown": Decimal(30)},
    {"max_positions": 7},
    {"adx_threshold": Decimal(40)},
    {"min_confidence": Decimal(75)},
    {"position_mode": "one_way"},
    {"symbols": ("ETH-USDT", "SOL-USDT")},
    {"timeframe": "1h"},
    {"flatten_on_stop": True},
    {"trading_enabled": False},
]


def connected() -> CredentialConnected:
    return CredentialConnected(
        api_key_ciphertext="vault:v1:x",
        api_key_last4="abcd",
        signing_key_version=1,
        account_type="perpetual",
        permissions=(),
        ip_addresses=(),
        balance=Decimal(1000),
        environment="demo",
    )


def running(directory: Directory, settings: TradingSettings = AT_START) -> None:
    events: list[DomainEvent] = [
        UserCreated(username="ann", email="ann@example.com", role="trader"),
        TradingSettingsChanged(settings=settings),
        connected(),
        BotStarted(session_id="s1", settings=settings, initial_balance=Decimal(1000), by="u1"),
    ]
    for event in events:
        directory.apply("u1", event)


@pytest.mark.parametrize("change", MID_RUN_CHANGES, ids=lambda c: next(iter(c)))
def test_a_setting_changed_while_the_bot_runs_applies_at_once(change: dict[str, Any]) -> None:
    directory = Directory()
    running(directory)
    changed = AT_START.model_copy(update=change)
    directory.apply("u1", TradingSettingsChanged(settings=changed))
    view = directory.view("u1")
    assert view.running and view.settings == changed
    streams = {(symbol, changed.timeframe) for symbol in changed.symbols}
    assert directory.streams == streams  # what the strategy subscribes to
    assert [v.user_id for s in streams for v in directory.followers(*s)] == ["u1"] * len(streams)


def test_a_stopped_bot_follows_nothing_and_a_paused_one_still_does() -> None:
    directory = Directory()
    running(directory)
    directory.apply("u1", BotPaused(reason="by hand", by="u1"))
    assert directory.streams == {("BTC-USDT", "5m")}
    directory.apply("u1", BotStopped(reason="done", by="u1", flatten=False))
    assert directory.streams == set() and directory.running() == []
    directory.apply("u1", TradingSettingsChanged(settings=AT_START.model_copy()))
    assert directory.streams == set()


def test_the_settings_in_bot_started_never_override_a_change_already_folded() -> None:
    later = AT_START.model_copy(update={"leverage": 9})
    stale = BotStarted(session_id="s", settings=AT_START, initial_balance=Decimal(1), by="u1")
    view = fold_user("u1", [TradingSettingsChanged(settings=later), stale])
    assert view.settings.leverage == 9 and view.running


def test_a_log_of_bot_events_alone_takes_the_settings_from_the_start() -> None:
    view = UserView("u1")
    view.apply(BotStarted(session_id="s", settings=AT_START, initial_balance=Decimal(1), by="u"))
    assert view.settings == AT_START and view.streams == {("BTC-USDT", "5m")}


def test_the_credential_and_its_environment_are_folded() -> None:
    view = fold_user(
        "u1", [UserCreated(username="ann", email="a@b.co", role="trader"), connected()]
    )
    assert (view.credential, view.environment, view.credential_balance) == (
        "verified",
        "demo",
        Decimal(1000),
    )
    assert view.credential_generation == 1


def test_a_flatten_is_pending_from_its_request_until_its_done() -> None:
    directory = Directory()
    directory.apply("u1", FlattenRequested(reason="r", by="a", symbol="BTC-USDT"), None, "e1")
    directory.apply("u1", BotStopped(reason="r", by="a", flatten=True), None, "e2")
    directory.apply("u2", BotStopped(reason="r", by="a", flatten=False), None, "e3")
    assert directory.view("u1").pending_flattens == {"e1": "BTC-USDT", "e2": None}
    assert [v.user_id for v in directory.flattens_pending()] == ["u1"]
    directory.apply("u1", FlattenDone(request_id="e1", closed=1), None, "e4")
    directory.apply("u1", FlattenDone(request_id="e2", closed=0), None, "e5")
    assert directory.view("u1").pending_flattens == {}
    assert directory.flattens_pending() == []
    # a fold without event ids (a test's) tracks no requests
    assert fold_user("u3", [FlattenRequested(reason="r", by="a")]).pending_flattens == {}
