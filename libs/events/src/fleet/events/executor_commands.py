"""Commands the executor answers (``cmd.executor.*``): a trader's bot and the admin's
emergency controls. The gateway authorizes; the executor checks the domain rules (start
needs a verified credential and trading enabled; admins own no bot) and records events."""

from __future__ import annotations

from typing import ClassVar

from fleet.events.bounds import IdText, ReasonText, SymbolText
from fleet.events.commands import Command, ReplyPayload
from fleet.events.directory import BotStatus


class ExecutorCommand(Command):
    service: ClassVar[str] = "executor"


class StartBot(ExecutorCommand):
    """Reply: :class:`BotChanged`."""

    name: ClassVar[str] = "start_bot"
    user_id: IdText


class PauseBot(ExecutorCommand):
    """Pause keeps positions and stops new entries. Reply: :class:`BotChanged`."""

    name: ClassVar[str] = "pause_bot"
    user_id: IdText
    reason: ReasonText = "paused by the user"


class ResumeBot(ExecutorCommand):
    name: ClassVar[str] = "resume_bot"
    user_id: IdText


class StopBot(ExecutorCommand):
    """Ends the trading session; closes positions when the user chose flatten-on-stop."""

    name: ClassVar[str] = "stop_bot"
    user_id: IdText
    reason: ReasonText = "stopped by the user"


class KillSwitch(ExecutorCommand):
    """Admin: halt new entries for every trader at once, one ``trading.halted`` event every
    executor follows (bots keep their status; exits, stops and flattens still go out).
    Reply: :class:`BotsPaused`."""

    name: ClassVar[str] = "kill_switch"
    reason: ReasonText = "kill switch"


class FlattenPositions(ExecutorCommand):
    """Close every position of one user (``user_id``; an admin, or the trader himself) or
    of all users (``None``; admins only), or only the position in ``symbol`` of that one
    user. Reply: :class:`FlattensRequested`."""

    name: ClassVar[str] = "flatten"
    user_id: IdText | None = None
    reason: ReasonText = "flatten requested by an admin"
    symbol: SymbolText | None = None


class BotChanged(ReplyPayload):
    """What start, pause, resume and stop answer: the bot as the log says after it."""

    status: BotStatus
    session_id: str | None
    events: list[str]  # ids of the events the command appended (none: nothing changed)


class BotsPaused(ReplyPayload):
    """What :class:`KillSwitch` answers: how many running bots the halt covers (none is
    paused one by one any more: the name stays for the wire)."""

    paused: int
    halted: bool = True  # False: it was halted already (no new event)


class ResumeTrading(ExecutorCommand):
    """Admin: lift the kill switch (one ``trading.resumed``).
    Reply: :class:`TradingResumedReply`."""

    name: ClassVar[str] = "resume_trading"
    reason: ReasonText = ""


class TradingResumedReply(ReplyPayload):
    """What :class:`ResumeTrading` answers: whether trading was halted until now."""

    was_halted: bool


class FlattensRequested(ReplyPayload):
    """What :class:`FlattenPositions` answers: to how many users it was sent."""

    users: int


EXECUTOR_COMMANDS: tuple[type[ExecutorCommand], ...] = (
    StartBot,
    PauseBot,
    ResumeBot,
    StopBot,
    KillSwitch,
    FlattenPositions,
    ResumeTrading,
)
