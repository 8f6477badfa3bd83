"""How the vault service gets its Vault token.

* ``StaticToken``: a token given by ``fleet up`` / compose (a file or the environment).
* ``AppRoleLogin``: production. A role id plus a **one-use** secret id delivered in a file
  (deploy/k8s); the login consumes the secret id and yields a periodic token that this
  class renews before it expires. A process that loses its token needs a fresh secret id
  (a restart of the pod mints one), which is the point of one-use ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from fleet.vault.adapters.vault_http import VaultHttp
from fleet.vault.errors import KeeperUnavailable, KeyRefused

RENEW_RETRY_S = 5.0


class StaticToken:
    """A token that is simply used (``fleet up`` gives one with only the fleet-vault policy)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticToken(...)"

    async def token(self, http: VaultHttp) -> str:
        return self._token


class AppRoleLogin:
    """AppRole login with a one-use secret id, then renew-self at half the token's TTL."""

    def __init__(
        self,
        role_id: str,
        secret_id_file: Path,
        *,
        mount: str = "approle",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.role_id = role_id
        self._secret_id_file = secret_id_file
        self._mount = mount
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AppRoleLogin(role_id={self.role_id!r})"

    @property
    def renew_at(self) -> float:
        """When (on ``clock``) the token is renewed next."""
        return self._renew_at

    async def token(self, http: VaultHttp) -> str:
        if self._token is not None and self._clock() < self._renew_at:
            return self._token
        async with self._lock:  # one login (the secret id works once), one renewal
            if self._token is None:
                await self._login(http)
            elif self._clock() >= self._renew_at:
                await self._renew(http, self._token)
            assert self._token is not None
            return self._token

    async def _login(self, http: VaultHttp) -> None:
        if not self._secret_id_file.exists():
            raise KeeperUnavailable(f"no AppRole secret id in {self._secret_id_file}")
        body = {"role_id": self.role_id, "secret_id": self._secret_id_file.read_text().strip()}
        try:
            answer = await http.send("POST", f"auth/{self._mount}/login", body)
        except KeyRefused:
            raise KeeperUnavailable(
                "AppRole login refused: the secret id was already used or expired; "
                "deliver a new one and restart the vault service"
            ) from None
        with contextlib.suppress(OSError):  # consumed: nothing to leave behind
            self._secret_id_file.unlink()
        self._accept(answer)

    async def _renew(self, http: VaultHttp, token: str) -> None:
        try:
            answer = await http.send("POST", "auth/token/renew-self", {}, token=token)
        except KeeperUnavailable:
            self._renew_at = self._clock() + RENEW_RETRY_S  # keep the token, try again soon
            return
        self._accept(answer)

    def _accept(self, answer: dict[str, object]) -> None:
        auth = answer.get("auth")
        if not isinstance(auth, dict):
            raise KeeperUnavailable("Vault answered a login without a token")
        self._token = str(auth["client_token"])
        ttl = float(auth.get("lease_duration") or 0)
        self._renew_at = self._clock() + (ttl / 2 if ttl > 0 else float("inf"))
