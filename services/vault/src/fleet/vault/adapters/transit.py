"""``SecretKeeper`` on the OpenBao/Vault transit engine (hvac).

* The BingX secret is imported (BYOK) as a non-exportable ``hmac`` key named
  ``fleet-sign-<user id>``: wrapped with an ephemeral AES-256 key (AES-KWP, RFC 5649),
  itself wrapped with the transit wrapping key (RSA-OAEP SHA-256), as Vault's import API
  requires. Secrets shorter than 32 bytes are zero-padded: HMAC pads keys with zeros
  anyway, so signatures are unchanged.
* The API key is encrypted with the derived key ``fleet-apikey-<user id>`` using the user
  id as context: a ciphertext replayed under another user cannot be decrypted.
* hvac is synchronous; every call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable
from typing import Any, TypeVar

import hvac
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding
from hvac.exceptions import InvalidPath, InvalidRequest, VaultDown, VaultError

from fleet.vault.errors import KeeperUnavailable, KeyNotFound, KeyRefused

T = TypeVar("T")
MIN_HMAC_KEY = 32


def signing_key_name(user_id: str) -> str:
    """Transit key holding a user's BingX secret."""
    return f"fleet-sign-{user_id}"


def api_key_key_name(user_id: str) -> str:
    """Transit key sealing a user's API key."""
    return f"fleet-apikey-{user_id}"


def wrap_for_import(secret: bytes, wrapping_key_pem: str) -> str:
    """The ``ciphertext`` Vault's ``/transit/keys/:name/import`` expects."""
    public_key = serialization.load_pem_public_key(wrapping_key_pem.encode())
    if not isinstance(public_key, RSAPublicKey):
        raise KeyRefused("the transit wrapping key is not an RSA key")
    ephemeral = os.urandom(32)
    target = secret.ljust(MIN_HMAC_KEY, b"\0")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    wrapped = public_key.encrypt(ephemeral, oaep) + aes_key_wrap_with_padding(ephemeral, target)
    return base64.b64encode(wrapped).decode()


class TransitKeeper:
    """The vault service's only door to Vault; it alone holds a Vault token."""

    def __init__(self, client: hvac.Client, mount: str = "transit") -> None:
        self._client = client
        self._mount = mount

    async def _call(self, fn: Callable[[], T]) -> T:
        try:
            return await asyncio.to_thread(fn)
        except (VaultDown, requests.ConnectionError, requests.Timeout) as exc:
            raise KeeperUnavailable(f"Vault unavailable: {type(exc).__name__}") from None
        except InvalidPath as exc:
            raise KeyNotFound("no transit key for this user") from exc
        except InvalidRequest as exc:
            raise KeyRefused(_first_error(exc)) from None
        except VaultError as exc:
            raise KeeperUnavailable(f"Vault error: {_first_error(exc)}") from None

    def _path(self, suffix: str) -> str:
        return f"/v1/{self._mount}/{suffix}"

    async def import_secret(self, user_id: str, secret: str) -> int:
        name = signing_key_name(user_id)
        pem = (await self._call(lambda: self._client.adapter.get(self._path("wrapping_key"))))[
            "data"
        ]["public_key"]
        body: dict[str, Any] = {"ciphertext": wrap_for_import(secret.encode(), pem), "type": "hmac"}
        exists = await self._key_exists(name)
        suffix = f"keys/{name}/import_version" if exists else f"keys/{name}/import"
        if not exists:
            body |= {"hash_function": "SHA256", "exportable": False, "allow_rotation": True}
        await self._call(lambda: self._client.adapter.post(self._path(suffix), json=body))
        info = await self._call(lambda: self._client.adapter.get(self._path(f"keys/{name}")))
        return int(info["data"]["latest_version"])

    async def _key_exists(self, name: str) -> bool:
        try:
            await self._call(lambda: self._client.adapter.get(self._path(f"keys/{name}")))
        except KeyNotFound:
            return False
        return True

    async def sign(self, user_id: str, payload: str, key_version: int | None = None) -> str:
        body: dict[str, Any] = {"input": base64.b64encode(payload.encode()).decode()}
        if key_version is not None:
            body["key_version"] = key_version
        path = self._path(f"hmac/{signing_key_name(user_id)}/sha2-256")
        answer = await self._call(lambda: self._client.adapter.post(path, json=body))
        return base64.b64decode(answer["data"]["hmac"].split(":", 2)[2]).hex()

    async def seal_api_key(self, user_id: str, api_key: str) -> str:
        name = api_key_key_name(user_id)
        if not await self._key_exists(name):
            body = {"derived": True, "exportable": False, "type": "aes256-gcm96"}
            await self._call(
                lambda: self._client.adapter.post(self._path(f"keys/{name}"), json=body)
            )
        body = {"plaintext": _b64(api_key), "context": _b64(user_id)}
        answer = await self._call(
            lambda: self._client.adapter.post(self._path(f"encrypt/{name}"), json=body)
        )
        return str(answer["data"]["ciphertext"])

    async def open_api_key(self, user_id: str, ciphertext: str) -> str:
        body = {"ciphertext": ciphertext, "context": _b64(user_id)}
        path = self._path(f"decrypt/{api_key_key_name(user_id)}")
        answer = await self._call(lambda: self._client.adapter.post(path, json=body))
        return base64.b64decode(answer["data"]["plaintext"]).decode()

    async def rotate_api_key_key(self, user_id: str, ciphertext: str) -> str:
        name = api_key_key_name(user_id)
        await self._call(lambda: self._client.adapter.post(self._path(f"keys/{name}/rotate")))
        body = {"ciphertext": ciphertext, "context": _b64(user_id)}
        answer = await self._call(
            lambda: self._client.adapter.post(self._path(f"rewrap/{name}"), json=body)
        )
        return str(answer["data"]["ciphertext"])

    async def shred(self, user_id: str) -> None:
        for name in (signing_key_name(user_id), api_key_key_name(user_id)):
            if await self._key_exists(name):
                await self._delete_key(name)

    async def _delete_key(self, name: str) -> None:
        config_path, key_path = self._path(f"keys/{name}/config"), self._path(f"keys/{name}")
        config = {"deletion_allowed": True}
        await self._call(lambda: self._client.adapter.post(config_path, json=config))
        await self._call(lambda: self._client.adapter.delete(key_path))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _first_error(exc: Any) -> str:
    errors = getattr(exc, "errors", None) or [str(exc)]
    return str(errors[0])[:200]
