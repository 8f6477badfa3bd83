"""Every N minutes, each connected credential is verified with a call signed inside Vault.

One worker does it (the holder of the ``vault-health`` lease), so four workers do not
check every key four times. A check records an event only when something changes: a
refusal (``CredentialVerificationFailed``, once) or a recovery
(``CredentialVerified(recovered=True)``); Vault being down is recorded by the signing
outage events instead, and BingX being down is not the key's fault (nothing recorded).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from prometheus_client import Counter

from fleet.bus.lease import LeaseLost
from fleet.events.vault_commands import VerifyCredential
from fleet.obs import count_unexpected, get_logger
from fleet.vault import handlers
from fleet.vault.deps import VaultDeps
from fleet.vault.errors import VaultServiceError

FENCED = Counter(
    "vault_health_checks_fenced_total",
    "Health checks not done: the vault-health lease was no longer this worker's",
)


async def _unfenced() -> int:
    return 0


class HealthChecks:
    """Rounds of checks over the users the view knows as connected."""

    def __init__(self, deps: Callable[[], VaultDeps], every_s: float, concurrency: int) -> None:
        self._deps = deps
        self.every_s = every_s
        self._concurrency = asyncio.Semaphore(concurrency)
        self.active = False  # holds the lease
        # the lease's fence (Lease.check), checked before each check (each may append):
        # raises LeaseLost once this worker may have lost the lease (paused past it)
        self.fence: Callable[[], Awaitable[int]] = _unfenced
        self.rounds = 0

    async def run(self) -> None:
        """Forever: wait a period, then check everyone if this worker is the active one."""
        while True:
            await asyncio.sleep(self.every_s)
            if self.active:
                await self.check_all()

    async def check_all(self) -> None:
        """One round: every connected user, a few at a time."""
        users = self._deps().view.connected_users()
        await asyncio.gather(*(self._check(user) for user in users))
        self.rounds += 1

    async def _check(self, user_id: str) -> None:
        async with self._concurrency:
            try:
                await self.fence()
            except LeaseLost as exc:  # another worker checks now
                FENCED.inc()
                get_logger().warning("health check not done", user=user_id, reason=str(exc))
                return
            try:
                reply = await handlers.verify(
                    VerifyCredential(user_id=user_id), self._deps(), health_check=True
                )
            except VaultServiceError as exc:  # fail closed; tried again next round
                get_logger().warning("health check not done", user=user_id, reason=str(exc))
                return
            except Exception as exc:  # one user's check never stops the round: next round
                count_unexpected("vault.health_check")
                get_logger().error("health check crashed", user=user_id, error=repr(exc))
                return
        if not reply.ok and reply.error is not None and reply.error.code == "unavailable":
            get_logger().warning("health check not done", user=user_id, reason=reply.error.message)
