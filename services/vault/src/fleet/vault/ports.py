"""What the vault service needs from the outside world, named by capability."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from fleet.vault.domain.policy import AccountSnapshot
from fleet.vault.errors import VaultError
from fleet.vaultwrap import WrappingKey

Sign = Callable[[str], Awaitable[str]]


class SecretKeeper(Protocol):
    """Holds each user's BingX secret as a non-exportable HMAC key and their API key as
    ciphertext bound to the user; computes signatures without ever returning the secret.
    Secrets come in wrapped for Vault (``fleet.vaultwrap``) and are imported unopened."""

    async def wrapping_key(self, *, refresh: bool = False) -> WrappingKey:
        """Vault's public key for wrapping secrets (cached; fetched again on ``refresh``)."""
        ...

    async def stage_secret(self, user_id: str, wrapped_secret: str) -> str:
        """Import a wrapped secret under a new pending key; returns that key's name."""
        ...

    async def sign_staged(self, name: str, payload: str) -> str:
        """Lowercase hex HMAC-SHA256 of ``payload`` with a pending key."""
        ...

    async def discard_staged(self, name: str) -> None:
        """Delete a pending key."""
        ...

    async def import_secret(self, user_id: str, wrapped_secret: str) -> int:
        """Import (or add a new version of) the user's signing key from a wrapped secret;
        returns its version."""
        ...

    async def sign(self, user_id: str, payload: str, key_version: int | None = None) -> str:
        """Lowercase hex HMAC-SHA256 of ``payload`` with the user's secret (a given version)."""
        ...

    async def sign_many(
        self, user_id: str, payloads: list[str], key_version: int | None = None
    ) -> list[str]:
        """:meth:`sign` for several payloads of one user, in one call, in order."""
        ...

    async def seal_api_key(self, user_id: str, api_key: str) -> str:
        """Ciphertext of the API key, decryptable only with this user's context."""
        ...

    async def open_api_key(self, user_id: str, ciphertext: str) -> str:
        """The API key back from its ciphertext (refused for another user's ciphertext)."""
        ...

    async def rotate_api_key_key(self, user_id: str, ciphertext: str) -> str:
        """Rotate the key that seals API keys and rewrap ``ciphertext`` under the new version."""
        ...

    async def api_key_digest(self, api_key: str) -> str:
        """A keyed hash of the API key (hex), the same for the same key, made in Vault."""
        ...

    async def shred(self, user_id: str) -> None:
        """Destroy every key of the user: their ciphertexts become unreadable for ever."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class ProbeRefused(VaultError):
    """BingX refused the key (bad key, bad signature, no permission): not stored."""

    error_code = "probe_refused"

    def __init__(self, message: str, bingx_code: int | None = None) -> None:
        super().__init__(message)
        self.bingx_code = bingx_code


class ProbeUnavailable(VaultError):
    """BingX could not be reached: try again later."""

    error_code = "probe_unavailable"


class AccountProbe(Protocol):
    """Asks BingX what a key can see and do, signing with ``sign``."""

    async def probe(self, api_key: str, sign: Sign) -> AccountSnapshot:
        """Balance, account type, permissions and IP whitelist of the key's account."""
        ...
