"""Thin FastStream request-reply subscribers: decode the command, call its handler, reply.

Keeper failures are mapped to replies (fail closed); any other exception propagates so
FastStream NACKs the message instead of dropping it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faststream.nats import NatsBroker

from fleet.events.commands import Command, command_subject
from fleet.events.vault_commands import (
    ConnectCredential,
    DisconnectCredential,
    RotateCredential,
    SignPayload,
    VerifyCredential,
)
from fleet.vault import handlers
from fleet.vault.errors import VaultServiceError
from fleet.vault.handlers import VaultDeps
from fleet.vault.signature_counter import SignatureCounter

CommandT = TypeVar("CommandT", bound=Command)
Handler = Callable[[CommandT, VaultDeps], Awaitable[Any]]
QUEUE = "vault"


Deps = Callable[[], VaultDeps]  # built at startup, after the broker is defined


def register(broker: NatsBroker, deps: Deps, counter: SignatureCounter) -> None:
    """Subscribe every vault command on the broker (queue group ``vault`` scales out)."""
    _route(broker, ConnectCredential, handlers.connect, deps)
    _route(broker, VerifyCredential, handlers.verify, deps)
    _route(broker, DisconnectCredential, handlers.disconnect, deps)
    _route(broker, RotateCredential, handlers.rotate, deps)

    @broker.subscriber(command_subject(SignPayload), queue=QUEUE)
    async def on_sign(command: SignPayload) -> dict[str, Any]:
        reply = await _guarded(handlers.sign, command, deps())
        if reply.get("ok"):
            counter.count(command.user_id)
        return reply


def _route(
    broker: NatsBroker, command_type: type[CommandT], handler: Handler[CommandT], deps: Deps
) -> None:
    async def on_command(command: Any) -> dict[str, Any]:
        return await _guarded(handler, command, deps())

    # FastStream decodes by the annotation; with postponed annotations a local name would
    # stay a string, so the real class is bound here.
    on_command.__annotations__["command"] = command_type
    broker.subscriber(command_subject(command_type), queue=QUEUE)(on_command)


async def _guarded(
    handler: Handler[CommandT], command: CommandT, deps: VaultDeps
) -> dict[str, Any]:
    try:
        reply = await handler(command, deps)
    except VaultServiceError as exc:
        reply = handlers.vault_failure(exc)
    result: dict[str, Any] = reply.model_dump(mode="json")
    return result
