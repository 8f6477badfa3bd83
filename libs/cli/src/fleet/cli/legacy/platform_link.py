"""The importer's link to a running Fleet: commands over NATS (as an admin) and reads of
the event log. The BingX secret is wrapped for Vault here and sent only as ciphertext."""

from __future__ import annotations

import os
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

import nats
from nats.aio.client import Client

from fleet.cli.errors import CliError
from fleet.events import AggregateId, AggregateRef
from fleet.events.commands import Actor, Command, CommandReply, Reply, ReplyPayload, command_subject
from fleet.events.directory import fold_user
from fleet.events.history import HISTORY_AGGREGATE, TradeImported
from fleet.events.users import USER_AGGREGATE, USERNAME_AGGREGATE, UsernameClaimed, UsernameReleased
from fleet.events.vault_commands import (
    ConnectCredential,
    CredentialConnected,
    GetWrappingKey,
    WrappingKeyIssued,
)
from fleet.eventstore import EventStore
from fleet.eventstore.errors import NATS_TROUBLE
from fleet.eventstore.stream import DEFAULT_PREFIX, DEFAULT_STREAM, StreamSpec
from fleet.settings import nats_tls_from_env
from fleet.vaultwrap import WrappingKey

P = TypeVar("P", bound=ReplyPayload)
REQUEST_TIMEOUT_S = 60.0  # argon2 hashing, BingX verification on a busy machine


class PlatformUnreachable(CliError, RuntimeError):
    """NATS or a service does not answer."""

    error_code = "legacy_platform_unreachable"


class Refused(CliError, RuntimeError):
    """A service refused a command; the message is its reason."""

    error_code = "legacy_refused"


class PlatformLink:
    """One NATS connection to a running Fleet, used as an admin."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._nc: Client | None = None
        self.actor = Actor()  # who the commands are sent for: the operator, once known

    async def __aenter__(self) -> PlatformLink:
        async def quiet(_error: Exception) -> None:
            """nats-py logs a traceback per failed attempt unless given a callback."""

        try:
            self._nc = await nats.connect(
                self._url,
                connect_timeout=3,
                max_reconnect_attempts=1,
                error_cb=quiet,
                tls=nats_tls_from_env(),
            )
        except NATS_TROUBLE as exc:
            raise PlatformUnreachable("NATS does not answer (is fleet up running?)") from exc
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._nc is not None:
            await self._nc.close()

    @property
    def nc(self) -> Client:
        if self._nc is None:
            raise PlatformUnreachable("not connected")
        return self._nc

    async def ask(self, command: Command, payload: type[P]) -> P:
        """The command's accepted payload, or :class:`Refused` with the service's reason."""
        command = command.model_copy(update={"actor": self.actor})
        try:
            answer = await self.nc.request(
                command_subject(command),
                command.model_dump_json().encode(),
                timeout=REQUEST_TIMEOUT_S,
            )
        except (TimeoutError, nats.errors.Error) as exc:
            raise PlatformUnreachable(f"{command_subject(command)}: no answer") from exc
        reply = Reply[payload].model_validate_json(answer.data)  # type: ignore[valid-type]
        if reply.data is None:
            raise Refused(reply.error.message if reply.error else "refused")
        data: P = reply.data
        return data

    async def connect_key(self, user_id: str, api_key: str, secret: str) -> CredentialConnected:
        """The normal connect path: wrapped for Vault, verified with BingX by the vault
        service, stored there (a new wrapping key: wrapped again once)."""
        for _ in range(2):
            issued = await self.ask(GetWrappingKey(), WrappingKeyIssued)
            key = WrappingKey.from_pem(issued.public_key)
            command = ConnectCredential(
                user_id=user_id,
                api_key=api_key,
                wrapped_secret=key.wrap(secret),
                wrapping_key_id=key.key_id,
            )
            try:
                return await self.ask(command, CredentialConnected)
            except Refused as exc:
                if "wrapping key" not in str(exc).lower():
                    raise
        raise Refused("Vault changed its wrapping key twice")

    def _store(self) -> EventStore:
        # the stream the services use (FLEET_STREAM_NAME / FLEET_SUBJECT_PREFIX, as theirs)
        spec = StreamSpec(
            name=os.environ.get("FLEET_STREAM_NAME") or DEFAULT_STREAM,
            prefix=os.environ.get("FLEET_SUBJECT_PREFIX") or DEFAULT_PREFIX,
        )
        return EventStore(self.nc, spec)

    async def user_id_of(self, username: str) -> str | None:
        """Who holds ``username`` now (None: nobody)."""
        ref = AggregateRef(
            type=USERNAME_AGGREGATE, id=AggregateId(username.strip().lower().encode().hex())
        )
        holder: str | None = None
        for item in (await self._store().load_stored(ref))[0]:
            if isinstance(item.event, UsernameClaimed):
                holder = item.event.user_id
            elif isinstance(item.event, UsernameReleased):
                holder = None
        return holder

    async def act_as(self, username: str) -> Actor:
        """Send every later command on behalf of the admin ``username`` (the operator who
        runs the import: the log and the audit name him), or :class:`Refused`."""
        user_id = await self.user_id_of(username)
        if user_id is None:
            raise Refused(f"--actor {username}: no such user")
        ref = AggregateRef(type=USER_AGGREGATE, id=AggregateId(user_id))
        events = [item.event for item in (await self._store().load_stored(ref))[0]]
        view = fold_user(user_id, events)
        if view.role != "admin" or not view.active:
            raise Refused(f"--actor {username}: not an active admin")
        self.actor = Actor(user_id=user_id, role="admin")
        return self.actor

    async def imported_pnl(self, user_id: str, trade_ids: set[str]) -> tuple[int, Decimal]:
        """How many of ``trade_ids`` the user's history holds, and their PnL sum."""
        ref = AggregateRef(type=HISTORY_AGGREGATE, id=AggregateId(user_id))
        count, total = 0, Decimal(0)
        for item in (await self._store().load_stored(ref))[0]:
            event: Any = item.event
            if isinstance(event, TradeImported) and event.trade.trade_id in trade_ids:
                count += 1
                total += event.trade.realised_pnl or 0
        return count, total


def refusal_of(reply: CommandReply) -> str:
    return reply.error.message if reply.error else "refused"
