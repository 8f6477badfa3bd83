"""``SecretKeeper`` on the OpenBao/Vault transit engine (its REST API, async).

* The BingX secret arrives wrapped by the gateway (BYOK, :mod:`fleet.vaultwrap`) and is
  imported as it came, never opened here: first under a pending name
  (``fleet-sign-<user id>.pending-<nonce>``, which no user's key can be: user ids have no
  dots) to verify the pair with BingX, then, verified, as the non-exportable ``hmac`` key
  ``fleet-sign-<user id>``; a new pair of the same user becomes a new version of that key,
  and signatures name the version the log recorded. The pending key is then deleted.
* The API key is encrypted with the derived key ``fleet-apikey-<user id>`` using the user
  id as context: a ciphertext replayed under another user cannot be decrypted.
* Shredding deletes both keys: every ciphertext of the user is unreadable for ever.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from fleet.vault.adapters.vault_http import VaultHttp
from fleet.vault.errors import KeyNotFound, KeyRefused
from fleet.vaultwrap import NotAWrappingKey, WrappingKey


def signing_key_name(user_id: str) -> str:
    """Transit key holding a user's BingX secret."""
    return f"fleet-sign-{user_id}"


def pending_key_name(user_id: str) -> str:
    """A new transit key for a secret being verified (a dot: never a user's key name)."""
    return f"{signing_key_name(user_id)}.pending-{secrets.token_hex(8)}"


# The keyed hash that tells whether an API key is already connected to another user: a
# transit key no one can export, so the digest cannot be recomputed outside Vault.
API_KEY_INDEX = "fleet-apikey-index"


def api_key_key_name(user_id: str) -> str:
    """Transit key sealing a user's API key."""
    return f"fleet-apikey-{user_id}"


WRAPPING_KEY_TIMEOUT_S = 60.0


class TransitKeeper:
    """The vault service's only door to Vault transit."""

    def __init__(self, http: VaultHttp, mount: str = "transit") -> None:
        self.http = http
        self._mount = mount
        self._wrapping_key: WrappingKey | None = None  # a public key: safe to keep

    async def wrapping_key(self, *, refresh: bool = False) -> WrappingKey:
        """Transit's public wrapping key, fetched once (again when ``refresh``). OpenBao
        generates its RSA-4096 key on the first request (1 s here, several on a busy box),
        hence the longer limit."""
        if self._wrapping_key is None or refresh:
            answer = await self.http.call(
                "GET", f"{self._mount}/wrapping_key", timeout_s=WRAPPING_KEY_TIMEOUT_S
            )
            try:
                self._wrapping_key = WrappingKey.from_pem(str(answer["data"]["public_key"]))
            except NotAWrappingKey as exc:
                raise KeyRefused(str(exc)) from None
        return self._wrapping_key

    async def _post(self, suffix: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.http.call("POST", f"{self._mount}/{suffix}", body or {})

    async def _data(self, suffix: str) -> dict[str, Any]:
        answer = await self.http.call("GET", f"{self._mount}/{suffix}")
        return dict(answer.get("data") or {})

    async def _key_exists(self, name: str) -> bool:
        try:
            await self._data(f"keys/{name}")
        except KeyNotFound:
            return False
        return True

    async def stage_secret(self, user_id: str, wrapped_secret: str) -> str:
        """Import a wrapped secret under a new pending name (not the user's key yet)."""
        name = pending_key_name(user_id)
        await self._post(f"keys/{name}/import", _import_body(wrapped_secret, new_key=True))
        return name

    async def sign_staged(self, name: str, payload: str) -> str:
        """HMAC of ``payload`` with a pending key (BingX verifies the pair with it)."""
        return (await self._hmac(name, [payload], None))[0]

    async def discard_staged(self, name: str) -> None:
        """Delete a pending key (verified or not, it is never signed with again)."""
        await self._delete(name)

    async def import_secret(self, user_id: str, wrapped_secret: str) -> int:
        name = signing_key_name(user_id)
        exists = await self._key_exists(name)
        path = f"keys/{name}/import_version" if exists else f"keys/{name}/import"
        await self._post(path, _import_body(wrapped_secret, new_key=not exists))
        return int((await self._data(f"keys/{name}"))["latest_version"])

    async def sign(self, user_id: str, payload: str, key_version: int | None = None) -> str:
        return (await self.sign_many(user_id, [payload], key_version))[0]

    async def sign_many(
        self, user_id: str, payloads: list[str], key_version: int | None = None
    ) -> list[str]:
        return await self._hmac(signing_key_name(user_id), payloads, key_version)

    async def _hmac(self, name: str, payloads: list[str], key_version: int | None) -> list[str]:
        body: dict[str, Any] = {}
        if key_version is not None:
            body["key_version"] = key_version
        if len(payloads) == 1:
            body["input"] = _b64(payloads[0])
        else:
            body["batch_input"] = [{"input": _b64(p)} for p in payloads]
        data = (await self._post(f"hmac/{name}/sha2-256", body))["data"]
        results = data["batch_results"] if len(payloads) > 1 else [data]
        return [_hex(result) for result in results]

    async def seal_api_key(self, user_id: str, api_key: str) -> str:
        name = api_key_key_name(user_id)
        if not await self._key_exists(name):
            await self._post(f"keys/{name}", {"derived": True, "type": "aes256-gcm96"})
        body = {"plaintext": _b64(api_key), "context": _b64(user_id)}
        return str((await self._post(f"encrypt/{name}", body))["data"]["ciphertext"])

    async def open_api_key(self, user_id: str, ciphertext: str) -> str:
        body = {"ciphertext": ciphertext, "context": _b64(user_id)}
        answer = await self._post(f"decrypt/{api_key_key_name(user_id)}", body)
        return base64.b64decode(answer["data"]["plaintext"]).decode()

    async def rotate_api_key_key(self, user_id: str, ciphertext: str) -> str:
        name = api_key_key_name(user_id)
        await self._post(f"keys/{name}/rotate")
        body = {"ciphertext": ciphertext, "context": _b64(user_id)}
        return str((await self._post(f"rewrap/{name}", body))["data"]["ciphertext"])

    async def api_key_digest(self, api_key: str) -> str:
        if not await self._key_exists(API_KEY_INDEX):
            await self._post(f"keys/{API_KEY_INDEX}", {"type": "aes256-gcm96"})
        body = {"input": _b64(api_key), "key_version": 1}  # never rotated: digests stay equal
        return _hex((await self._post(f"hmac/{API_KEY_INDEX}/sha2-256", body))["data"])

    async def shred(self, user_id: str) -> None:
        for name in (signing_key_name(user_id), api_key_key_name(user_id)):
            if await self._key_exists(name):
                await self._delete(name)

    async def _delete(self, name: str) -> None:
        await self._post(f"keys/{name}/config", {"deletion_allowed": True})
        await self.http.call("DELETE", f"{self._mount}/keys/{name}")

    async def close(self) -> None:
        await self.http.close()


def _import_body(wrapped_secret: str, *, new_key: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"ciphertext": wrapped_secret, "type": "hmac"}
    if new_key:  # never exportable: the default, and the policy denies changing it
        body |= {"hash_function": "SHA256", "allow_rotation": True}
    return body


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _hex(result: dict[str, Any]) -> str:
    if result.get("error"):  # a batch item can fail on its own
        raise KeyRefused(str(result["error"])[:200])
    return base64.b64decode(str(result["hmac"]).split(":", 2)[2]).hex()
