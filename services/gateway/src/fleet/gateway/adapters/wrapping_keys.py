"""Vault's public wrapping key, with which a BingX secret is wrapped at the door so that it
crosses the bus only as ciphertext that OpenBao alone can open.

Asked of the vault service (``cmd.vault.wrapping_key``) once and kept: it is a public key.
Asked again when the fetch failed (nothing is kept then) or when the vault service says the
secret was wrapped with a key Vault no longer has (:meth:`WrappingKeys.forget`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pydantic import ValidationError

from fleet.events.commands import Command, CommandReply
from fleet.events.vault_commands import GetWrappingKey, WrappingKeyIssued
from fleet.gateway.adapters.commands import CommandBus
from fleet.vaultwrap import NotAWrappingKey, WrappingKey

UNREADABLE = CommandReply.failure(
    "unavailable", "the vault service answered a wrapping key that is not an RSA key"
)


class WrappingKeys:
    """The current wrapping key, cached for the life of the process."""

    def __init__(self, commands: CommandBus, *, timeout: float) -> None:
        self._commands = commands
        self._timeout = timeout  # OpenBao makes the key on its first request: seconds
        self._key: WrappingKey | None = None
        self._fetching = asyncio.Lock()  # concurrent first connects ask once

    async def current(self) -> WrappingKey | CommandReply:
        """The key, or the vault service's refusal (nothing is kept then)."""
        if self._key is not None:
            return self._key
        async with self._fetching:
            if self._key is None:
                reply = await self._commands.send(GetWrappingKey(), timeout=self._timeout)
                if not reply.ok:
                    return reply
                try:
                    issued = reply.typed(WrappingKeyIssued).payload()
                    self._key = WrappingKey.from_pem(issued.public_key)
                except (ValidationError, NotAWrappingKey):
                    return UNREADABLE
            return self._key

    async def send_wrapped(
        self, command_for: Callable[[WrappingKey], Command], *, timeout: float
    ) -> CommandReply:
        """Send the command ``command_for`` builds with the current key; when the vault
        service answers that Vault has another key, build it again with that one, once."""
        reply = CommandReply.failure("unavailable", "no wrapping key")
        for _ in range(2):
            key = await self.current()
            if isinstance(key, CommandReply):
                return key
            reply = await self._commands.send(command_for(key), timeout=timeout)
            if reply.error is None or "wrapping_key_id" not in reply.error.details:
                return reply
            self.forget(key.key_id)
        return reply

    def forget(self, key_id: str) -> None:
        """Drop the kept key if it is ``key_id`` (Vault has another now)."""
        if self._key is not None and self._key.key_id == key_id:
            self._key = None
