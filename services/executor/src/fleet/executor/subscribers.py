"""Thin NATS request-reply subscribers, one per executor command (queue group
``executor``): decode, call the handler, reply. Bad input is an ``invalid`` reply naming
the field; a handler failure is logged and answered ``unavailable``; never a crash."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from faststream.nats import NatsBroker

from fleet.bus.commands import decode, route
from fleet.events.commands import CommandReply
from fleet.events.executor_commands import (
    ExecutorCommand,
    FlattenPositions,
    KillSwitch,
    PauseBot,
    ResumeBot,
    ResumeTrading,
    StartBot,
    StopBot,
)
from fleet.events.history import GetBingxImport, ImportBingxHistory, ImportTrades
from fleet.executor import handlers
from fleet.executor.handlers import ExecutorDeps
from fleet.obs import count_unexpected, get_logger

QUEUE = "executor"
# Commands are answered concurrently: each decision re-reads the log and appends with
# optimistic concurrency, so two at once for one user cannot both win.
WORKERS = 16
Handler = Callable[[Any, ExecutorDeps], Awaitable[CommandReply]]
Deps = Callable[[], ExecutorDeps]

HANDLERS: dict[type[ExecutorCommand], Handler] = {
    StartBot: handlers.start,
    PauseBot: handlers.pause,
    ResumeBot: handlers.resume,
    StopBot: handlers.stop,
    KillSwitch: handlers.kill_switch,
    FlattenPositions: handlers.flatten,
    ImportTrades: handlers.import_trades,
    ImportBingxHistory: handlers.import_bingx_history,
    GetBingxImport: handlers.get_bingx_import,
    ResumeTrading: handlers.resume_trading,
}


def register(broker: NatsBroker, deps: Deps) -> None:
    """Subscribe every executor command on ``broker``."""
    for command_type, handler in HANDLERS.items():
        answer = partial(_answer, command_type, handler, deps)
        route(broker, command_type, answer, queue=QUEUE, workers=WORKERS)


async def _answer(
    command_type: type[ExecutorCommand], handler: Handler, deps: Deps, body: bytes
) -> CommandReply:
    command = decode(command_type, body)
    if isinstance(command, CommandReply):
        return command
    try:
        return await handler(command, deps())
    except Exception as exc:
        count_unexpected("executor.command")
        get_logger().exception("executor command failed", command=command_type.name)
        return CommandReply.failure("unavailable", f"the executor could not do it: {exc}")
