"""The Vault/OpenBao HTTP API on aiohttp: one pooled session, its answers mapped to the
vault service's errors (fail closed: anything but a clear answer is ``KeeperUnavailable``).

Async on purpose: hvac is synchronous, and running it in threads cost two thread hops per
signature and a shared, not thread-safe ``requests.Session`` (see the README).
"""

from __future__ import annotations

import json
import re
import ssl
from typing import Any, Protocol

import aiohttp

from fleet.vault.errors import KeeperUnavailable, KeyNotFound, KeyRefused

Body = dict[str, Any]
# OpenBao answers an import whose ciphertext it cannot open with HTTP 500 and these words
_UNOPENABLE = re.compile(r"decrypt|ciphertext|unwrap", re.IGNORECASE)


class VaultAuth(Protocol):
    """Where the vault service's token comes from (a static token, or an AppRole login)."""

    async def token(self, http: VaultHttp) -> str:
        """A valid token (logging in or renewing first when needed)."""
        ...


class VaultHttp:
    """Requests to ``/v1/...`` with the service's token; errors mapped once, here."""

    def __init__(
        self,
        addr: str,
        auth: VaultAuth,
        *,
        timeout_s: float = 5.0,
        max_connections: int = 64,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.addr = addr.rstrip("/")
        self._tls = tls  # verify-full against the configured CA (None: the system's)
        self._auth = auth
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(2.0, timeout_s))
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, ssl=self._tls if self._tls is not None else True
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),  # Vault's API sets none to keep
            )
        return self._session

    async def call(
        self, method: str, path: str, body: Body | None = None, *, timeout_s: float | None = None
    ) -> Body:
        """``method /v1/<path>`` with the service's token; the answer's JSON (``{}`` if empty).
        ``timeout_s`` overrides the per-request limit for a request known to be slow."""
        token = await self._auth.token(self)
        return await self.send(method, path, body, token=token, timeout_s=timeout_s)

    async def send(
        self,
        method: str,
        path: str,
        body: Body | None = None,
        *,
        token: str | None = None,
        timeout_s: float | None = None,
    ) -> Body:
        """One request (no token: login endpoints); raises the service's errors."""
        headers = {"X-Vault-Token": token} if token else {}
        timeout = self._timeout if timeout_s is None else aiohttp.ClientTimeout(total=timeout_s)
        try:
            async with self._http().request(
                method, f"{self.addr}/v1/{path}", json=body, headers=headers, timeout=timeout
            ) as answer:
                status, raw = answer.status, await answer.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise KeeperUnavailable(f"Vault unreachable at {self.addr} ({_why(exc)})") from None
        parsed: Body = json.loads(raw) if raw else {}
        if status >= 300:
            _raise_for(status, parsed)
        return parsed

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return type(exc).__name__


def _raise_for(status: int, answer: Body) -> None:
    message = "; ".join(str(e) for e in answer.get("errors", []))[:200]
    if status == 404 or "key not found" in message:
        raise KeyNotFound("no transit key for this user")
    if status == 400:
        raise KeyRefused(message or "Vault refused the request")
    if status == 500 and _UNOPENABLE.search(message):  # the request's fault, not Vault's
        raise KeyRefused(f"Vault could not open the ciphertext: {message}")
    if status == 403:  # the service's own token: not the caller's fault, retry may work
        raise KeeperUnavailable("Vault denied the vault service's token (permission denied)")
    if status in (429, 503):
        raise KeeperUnavailable(f"Vault is sealed, standby or overloaded (HTTP {status})")
    raise KeeperUnavailable(f"Vault error HTTP {status}: {message or 'no detail'}")
