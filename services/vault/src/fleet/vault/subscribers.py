"""Thin request-reply subscribers of the credential commands (queue group ``vault``, so
workers scale out): decode the command (bad input is an ``invalid`` reply naming the
field, never a timeout), call its handler, reply. Handlers run concurrently
(``max_workers``): one slow BingX verification must not hold the others up. Signing has
its own subscriber (:mod:`fleet.vault.sign_subscriber`).

Keeper failures become replies (fail closed); any other exception propagates, so the
requester gets no answer rather than a wrong one (and the error is logged).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from faststream.nats import NatsBroker, NatsMessage
from pydantic import ValidationError

from fleet.events import InvalidAggregateId
from fleet.events.commands import Command, CommandReply, command_subject
from fleet.events.envelope import check_token
from fleet.events.vault_commands import (
    ConnectCredential,
    DisconnectCredential,
    GetWrappingKey,
    RotateCredential,
    VerifyCredential,
)
from fleet.obs import correlated, get_logger
from fleet.vault import connecting, handlers
from fleet.vault.deps import VaultDeps
from fleet.vault.errors import VaultServiceError

CommandT = TypeVar("CommandT", bound=Command)
Handler = Callable[[CommandT, VaultDeps], Awaitable[CommandReply]]
Deps = Callable[[], VaultDeps]  # built at startup, after the broker is defined
QUEUE = "vault"


def register(broker: NatsBroker, deps: Deps, *, max_workers: int = 8) -> None:
    """Subscribe the credential commands on the broker."""
    _route(broker, GetWrappingKey, connecting.wrapping_key, deps, max_workers)
    _route(broker, ConnectCredential, connecting.connect, deps, max_workers)
    _route(broker, VerifyCredential, handlers.verify, deps, max_workers)
    _route(broker, DisconnectCredential, handlers.disconnect, deps, max_workers)
    _route(broker, RotateCredential, handlers.rotate, deps, max_workers)


async def raw_body(msg: NatsMessage) -> bytes:
    """The request's bytes, undecoded. Two FastStream traps avoided: a handler parameter
    typed ``NatsMessage`` is a context field that fast_depends resolves in a worker thread
    (a thread hop per message, measured), and FastStream's own JSON decoding logs a failed
    validation with the input in it (a connect body holds the API key)."""
    return msg.body


def _route(
    broker: NatsBroker,
    command_type: type[CommandT],
    handler: Handler[CommandT],
    deps: Deps,
    max_workers: int,
) -> None:
    async def on_command(body: bytes) -> bytes:
        return await answer(command_type, handler, body, deps)

    subject = command_subject(command_type)
    broker.subscriber(subject, queue=QUEUE, max_workers=max_workers, decoder=raw_body)(on_command)


async def answer(
    command_type: type[CommandT], handler: Handler[CommandT], body: bytes, deps: Deps
) -> bytes:
    """The JSON reply to one request."""
    try:
        command = command_type.model_validate_json(body)
    except ValidationError as exc:
        return invalid_reply(exc).model_dump_json().encode()
    return (await answer_command(command, handler, deps)).model_dump_json().encode()


async def answer_command(command: CommandT, handler: Handler[CommandT], deps: Deps) -> CommandReply:
    """The reply to one decoded command."""
    try:
        check_token(getattr(command, "user_id", "") or "-", "user_id")
    except InvalidAggregateId as exc:  # it names transit keys and log subjects
        return CommandReply.failure("invalid", str(exc), field="user_id")
    with correlated(command.correlation_id):
        try:
            reply = await handler(command, deps())
        except VaultServiceError as exc:
            reply = handlers.vault_failure(exc)
        get_logger().debug(
            "command answered",
            command=type(command).__name__,
            user=getattr(command, "user_id", None),
            ok=reply.ok,
        )
    return reply


def invalid_reply(exc: ValidationError) -> CommandReply:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    if first["type"] == "json_invalid":
        return CommandReply.failure("invalid", "the request is not JSON", field="body")
    return CommandReply.failure("invalid", f"{field}: {first['msg']}", field=field)
