"""The bot aggregate: one per trader; its decisions are the trading session's life.

It holds no settings: the user's settings live in the user's log and are folded by
``fleet.events.directory``; a decision that needs one (start: trading enabled; stop:
``flatten_on_stop``) is given the value current when the command is handled."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fleet.events import AggregateId, DomainEvent
from fleet.events.aggregate import Aggregate
from fleet.events.bots import (
    BOT_AGGREGATE,
    BotPaused,
    BotResumed,
    BotStarted,
    BotStopped,
    FlattenDone,
    FlattenRequested,
)
from fleet.events.directory import BotStatus
from fleet.events.users import TradingSettings
from fleet.executor.errors import ExecutorError


class BotRefused(ExecutorError):
    """The command does not fit the bot's state or the user's situation; says why."""

    error_code = "bot_refused"


@dataclass(frozen=True)
class StartConditions:
    """What must hold for a bot to start, read from the log by the handler."""

    role: str
    credential_verified: bool
    settings: TradingSettings
    balance: Decimal


class Bot(Aggregate):
    """start / pause / resume / stop, by the owner or an admin."""

    aggregate_type = BOT_AGGREGATE

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.status: BotStatus = "stopped"
        self.session_id: str | None = None
        self.pause_reason = ""

    def start(self, session_id: str, conditions: StartConditions, by: str) -> None:
        if conditions.role != "trader":
            raise BotRefused("only traders have bots (admins and viewers cannot trade)")
        if not conditions.credential_verified:
            raise BotRefused("connect and verify a BingX API key first")
        if not conditions.settings.trading_enabled:
            raise BotRefused("enable trading in your settings first")
        if self.status != "stopped":
            raise BotRefused(f"the bot is already {self.status}")
        self.record(
            BotStarted(
                session_id=session_id,
                settings=conditions.settings,
                initial_balance=conditions.balance,
                by=by,
            )
        )

    def pause(self, reason: str, by: str, *, automatic: bool = False) -> None:
        if self.status == "active":
            self.record(BotPaused(reason=reason, by=by, automatic=automatic))
        elif not automatic:
            raise BotRefused(f"the bot is {self.status}, not running")

    def resume(self, by: str) -> None:
        if self.status != "paused":
            raise BotRefused(f"the bot is {self.status}, not paused")
        self.record(BotResumed(by=by))

    def stop(self, reason: str, by: str, *, flatten: bool) -> None:
        """Close the session; ``flatten``: the user's ``flatten_on_stop`` as it is now."""
        if self.status == "stopped":
            raise BotRefused("the bot is already stopped")
        self.record(BotStopped(reason=reason, by=by, flatten=flatten))

    def request_flatten(self, reason: str, by: str, symbol: str | None = None) -> None:
        """Ask the owning executor to close every open position of this trader (or only
        the one in ``symbol``)."""
        self.record(FlattenRequested(reason=reason, by=by, symbol=symbol))

    def flatten_done(self, request_id: str, closed: int) -> None:
        """The owner carried out the flatten ``request_id`` (closing ``closed`` trades)."""
        self.record(FlattenDone(request_id=request_id, closed=closed))

    snapshot_schema = 1  # raise when the state below changes shape

    def snapshot_state(self) -> Any:
        return {"status": self.status, "session": self.session_id, "reason": self.pause_reason}

    def restore_state(self, state: Any) -> None:
        status = state["status"]
        if status not in ("stopped", "active", "paused"):
            raise ValueError(f"unknown bot status {status!r}")
        session = state["session"]
        self.status, self.pause_reason = status, str(state["reason"])
        self.session_id = None if session is None else str(session)

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, BotStarted):
            self.status, self.session_id = "active", event.session_id
        elif isinstance(event, BotPaused):
            self.status, self.pause_reason = "paused", event.reason
        elif isinstance(event, BotResumed):
            self.status, self.pause_reason = "active", ""
        elif isinstance(event, BotStopped):
            self.status, self.session_id = "stopped", None
