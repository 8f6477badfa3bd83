"""Events of a trader's bot (aggregate ``bot``, id = user id), owned by the executor.

A trading session runs from ``BotStarted`` to ``BotStopped``; pauses happen inside it.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from fleet.events.bounds import IdText, ReasonText, SymbolText
from fleet.events.registry import DomainEvent
from fleet.events.users import TradingSettings

BOT_AGGREGATE = "bot"


class BotStarted(DomainEvent):
    event_type = "bot.started"
    schema_version = 2  # 2: settings percentages at most 2 places (v1 upcast by rounding)
    session_id: IdText
    settings: TradingSettings
    initial_balance: Decimal
    by: IdText


class BotPaused(DomainEvent):
    event_type = "bot.paused"
    reason: ReasonText
    by: IdText
    automatic: bool = False


class BotResumed(DomainEvent):
    event_type = "bot.resumed"
    by: IdText


class BotStopped(DomainEvent):
    event_type = "bot.stopped"
    reason: ReasonText
    by: IdText
    flatten: bool


class FlattenRequested(DomainEvent):
    """Close every open position of this user (an admin's or the trader's flatten, or stop
    with flatten), or only those of ``symbol`` (the trader closes one position); the
    executor owning the user carries it out, even after a restart."""

    event_type = "bot.flatten_requested"
    reason: ReasonText
    by: IdText
    symbol: SymbolText | None = None  # None: every symbol (events before it had none)


class FlattenDone(DomainEvent):
    """The owning executor carried out the flatten ``request_id`` names (the event id of a
    ``FlattenRequested``, or of a ``BotStopped`` with ``flatten``): it closed ``closed``
    trades. A request without it is still to do: an executor that takes the user over
    (after a restart, a crash, a lost partition) carries it out."""

    event_type = "bot.flatten_done"
    request_id: IdText
    closed: int = Field(ge=0)


BOT_EVENTS: tuple[type[DomainEvent], ...] = (
    BotStarted,
    BotPaused,
    BotResumed,
    BotStopped,
    FlattenRequested,
    FlattenDone,
)
