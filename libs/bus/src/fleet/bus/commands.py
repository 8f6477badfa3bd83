"""Request-reply command subscribers, the one way every service answers ``cmd.*``.

The service gives, per command type, a coroutine that turns the raw body into a
:class:`Reply` (typed, or the untyped :class:`CommandReply`); this module subscribes it on
``cmd.<service>.<name>`` in a queue group and replies the JSON, with ``sequence``: the
last stream sequence the handling appended, when it appended anything
(:mod:`fleet.events.written`). Decoding is the service's
(so a body carrying a secret is never echoed by a framework's validation log);
:func:`malformed` is the reply for a body that does not fit the command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faststream.nats import NatsBroker
from faststream.nats.annotations import NatsMessage
from pydantic import ValidationError

from fleet.events.commands import Command, CommandReply, Reply, command_subject
from fleet.events.written import tracking_writes

CommandT = TypeVar("CommandT", bound=Command)
Answer = Callable[[bytes], Awaitable[Reply[Any]]]


def route(
    broker: NatsBroker,
    command_type: type[Command],
    answer: Answer,
    *,
    queue: str,
    workers: int = 1,
) -> None:
    """Answer ``command_type`` on its subject with ``answer(body)`` (``workers`` at once)."""

    async def on_command(message: NatsMessage) -> dict[str, Any]:
        with tracking_writes() as written:
            reply = await answer(message.body)
        result: dict[str, Any] = reply.model_dump(mode="json")
        result.pop("sequence", None)
        if written.sequence:  # where the caller's read models have what this wrote
            result["sequence"] = written.sequence
        return result

    broker.subscriber(command_subject(command_type), queue=queue, max_workers=workers)(on_command)


def decode(command_type: type[CommandT], body: bytes) -> CommandT | CommandReply:
    """The command in ``body``, or the ``invalid`` reply naming the first bad field."""
    try:
        return command_type.model_validate_json(body)
    except ValidationError as exc:
        return malformed(exc)


def malformed(exc: ValidationError) -> CommandReply:
    """``invalid``, naming the field (never quoting the value: it may be a password)."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "body"
    return CommandReply.failure("invalid", f"{field}: {error['msg']}", field=field)
