"""Vault's public wrapping key, with which a BingX secret is wrapped at the door so that it
crosses the bus only as ciphertext that OpenBao alone can open.

Asked of the vault service (``cmd.vault.wrapping_key``) once and kept: it is a public key.
Asked again when the fetch failed (nothing is kept then) or when the vault service says the
secret was wrapped with a key Vault no longer has (:meth:`WrappingKeys.forget`).
"""

from __future__ import annotations

import asyncio

from fleet.events.commands import CommandReply
from fleet.events.vault_commands import GetWrappingKey
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
                    self._key = WrappingKey.from_pem(str(reply.data.get("public_key", "")))
                except NotAWrappingKey:
                    return UNREADABLE
            return self._key

    def forget(self, key_id: str) -> None:
        """Drop the kept key if it is ``key_id`` (Vault has another now)."""
        if self._key is not None and self._key.key_id == key_id:
            self._key = None
