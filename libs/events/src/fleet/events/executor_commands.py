"""Commands the executor answers (``cmd.executor.*``): a trader's bot and the admin's
emergency controls. The gateway authorizes; the executor checks the domain rules (start
needs a verified credential and trading enabled; admins own no bot) and records events."""

from __future__ import annotations

from typing import ClassVar

from fleet.events.bounds import IdText, ReasonText
from fleet.events.commands import Command


class ExecutorCommand(Command):
    service: ClassVar[str] = "executor"


class StartBot(ExecutorCommand):
    """Reply data: status, session_id."""

    name: ClassVar[str] = "start_bot"
    user_id: IdText


class PauseBot(ExecutorCommand):
    """Pause keeps positions and stops new entries. Reply data: status."""

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
    """Admin: pause every running bot at once. Reply data: paused (count)."""

    name: ClassVar[str] = "kill_switch"
    reason: ReasonText = "kill switch"


class FlattenPositions(ExecutorCommand):
    """Admin: close every position of one user (``user_id``) or of all users (``None``).
    Reply data: users (count)."""

    name: ClassVar[str] = "flatten"
    user_id: IdText | None = None
    reason: ReasonText = "flatten requested by an admin"


EXECUTOR_COMMANDS: tuple[type[ExecutorCommand], ...] = (
    StartBot,
    PauseBot,
    ResumeBot,
    StopBot,
    KillSwitch,
    FlattenPositions,
)
