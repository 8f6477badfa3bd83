"""Thin NATS request-reply subscribers, one per executor command (queue group
``executor``): decode, call the handler, reply. Bad input is an ``invalid`` reply naming
the field; a handler failure is logged and answered ``unavailable``; never a crash."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faststream.nats import NatsBroker
from faststream.nats.annotations import NatsMessage
from pydantic import ValidationError

from fleet.events.commands import CommandReply, command_subject
from fleet.events.executor_commands import (
    ExecutorCommand,
    FlattenPositions,
    KillSwitch,
    PauseBot,
    ResumeBot,
    StartBot,
    StopBot,
)
from fleet.executor import handlers
from fleet.executor.handlers import ExecutorDeps
from fleet.obs import get_logger

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
}


def register(broker: NatsBroker, deps: Deps) -> None:
    """Subscribe every executor command on ``broker``."""
    for command_type, handler in HANDLERS.items():
        _route(broker, command_type, handler, deps)


def _route(
    broker: NatsBroker, command_type: type[ExecutorCommand], handler: Handler, deps: Deps
) -> None:
    async def on_command(message: NatsMessage) -> dict[str, Any]:
        reply = await answer(command_type, handler, message.body, deps)
        result: dict[str, Any] = reply.model_dump(mode="json")
        return result

    broker.subscriber(command_subject(command_type), queue=QUEUE, max_workers=WORKERS)(on_command)


async def answer(
    command_type: type[ExecutorCommand], handler: Handler, body: bytes, deps: Deps
) -> CommandReply:
    """The reply to one raw command."""
    try:
        command = command_type.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        return CommandReply.failure("invalid", f"{field}: {first['msg']}", field=field)
    try:
        return await handler(command, deps())
    except Exception as exc:
        get_logger().exception("executor command failed", command=command_type.name)
        return CommandReply.failure("unavailable", f"the executor could not do it: {exc}")
