"""The executor's reactions table: every event type of the aggregates the executor follows
has exactly one reaction or is explicitly ignored, and a reaction is found by type."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import pytest

from fleet.events import AggregateId, AggregateRef, DomainEvent, wrap
from fleet.events.bots import BotStarted
from fleet.events.catalog import domain_registry
from fleet.events.credentials import CredentialVerificationFailed
from fleet.events.directory import USER_TYPES, Directory
from fleet.events.users import TradingSettings, TradingSettingsChanged
from fleet.eventstore import Repository
from fleet.executor.domain.bot import Bot
from fleet.executor.execution import Execution
from fleet.executor.ownership import Ownership
from fleet.executor.reactions import IGNORED, REACTIONS, Reactions

pytestmark = pytest.mark.unit

# the wire-name prefix of each aggregate type the executor's directory follows
EVENT_PREFIX = {"user": "user.", "cred": "credential.", "bot": "bot."}


def followed_event_types() -> set[type[DomainEvent]]:
    registry = domain_registry()
    return {
        registry.class_for(name)
        for name in registry.event_types
        if name.startswith(tuple(EVENT_PREFIX.values()))
    }


def test_every_followed_event_type_has_one_reaction_or_is_ignored() -> None:
    assert set(EVENT_PREFIX) == set(USER_TYPES), "a new aggregate type: name its events here"
    followed = followed_event_types()
    assert len(followed) > 20  # the prefixes match the registry's wire names
    assert not set(REACTIONS) & IGNORED, "reacted to and ignored at once"
    missing = {cls.__name__ for cls in followed - set(REACTIONS) - IGNORED}
    assert not missing, f"neither a reaction nor ignored: {sorted(missing)}"
    stray = {cls.__name__ for cls in (set(REACTIONS) | IGNORED) - followed}
    assert not stray, f"not an event the executor follows: {sorted(stray)}"


@dataclass
class RecordingBots:
    decided: list[tuple[AggregateId, Callable[[Bot], None]]] = field(default_factory=list)

    async def execute(
        self, aggregate_id: AggregateId, decide: Callable[[Bot], None], **_: Any
    ) -> None:
        self.decided.append((aggregate_id, decide))


@dataclass
class DirectoryOnly:
    directory: Directory


def reactions_for(directory: Directory, bots: RecordingBots) -> Reactions:
    ownership = cast(Ownership, DirectoryOnly(directory))
    return Reactions(ownership, cast(Execution, None), cast(Repository[Bot], bots))


async def test_a_failed_check_pauses_an_active_bot_a_settings_change_does_nothing() -> None:
    directory, bots = Directory(), RecordingBots()
    user = AggregateId("u1")
    settings = TradingSettings(trading_enabled=True, symbols=("ETH-USDT",), timeframe="1m")
    directory.apply(
        user, BotStarted(session_id="s", settings=settings, initial_balance=Decimal(1), by="u")
    )
    reactions = reactions_for(directory, bots)
    changed = TradingSettingsChanged(settings=settings)
    await reactions.react(wrap(changed, AggregateRef(type="user", id=user)), changed)
    assert bots.decided == []
    failed = CredentialVerificationFailed(reason="bad key")
    await reactions.react(wrap(failed, AggregateRef(type="cred", id=user)), failed)
    assert [aggregate for aggregate, _ in bots.decided] == [user]
