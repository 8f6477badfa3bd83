"""Commands to the other services over NATS request-reply (``cmd.<service>.<name>``).

A service that is not running or does not answer in time becomes an ``unavailable``
reply, never an exception. A command may carry a password or a BingX secret: it is
never logged.
"""

from __future__ import annotations

import nats.errors
from nats.aio.client import Client
from pydantic import ValidationError

from fleet.events.commands import Command, CommandReply, command_subject
from fleet.events.written import note_written

SERVICE_NAMES = {"auth": "auth service", "vault": "vault service", "executor": "executor"}


class CommandBus:
    """Sends a command and returns the service's :class:`CommandReply`."""

    def __init__(self, nc: Client, *, timeout: float) -> None:
        self._nc = nc
        self._timeout = timeout

    async def send(self, command: Command, *, timeout: float | None = None) -> CommandReply:
        """The reply, or an ``unavailable`` failure naming the silent service."""
        service = SERVICE_NAMES.get(command.service, command.service)
        wait = timeout or self._timeout
        try:
            answer = await self._nc.request(
                command_subject(command), command.model_dump_json().encode(), timeout=wait
            )
        except nats.errors.NoRespondersError:
            return CommandReply.failure("unavailable", f"the {service} is not running; try later")
        except (nats.errors.TimeoutError, TimeoutError):
            return CommandReply.failure(
                "unavailable", f"the {service} did not answer within {wait:g} s; try later"
            )
        except nats.errors.ConnectionClosedError:
            return CommandReply.failure("unavailable", "the gateway lost its NATS connection")
        try:
            reply = CommandReply.model_validate_json(answer.data)
        except ValidationError:
            return CommandReply.failure("unavailable", f"the {service} gave an unreadable answer")
        note_written(reply.sequence)  # the request's read-your-writes wait goes this far
        return reply
