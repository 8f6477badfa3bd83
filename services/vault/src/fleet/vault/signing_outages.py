"""Fail closed, and say so once: when Vault cannot sign for a user, one
``CredentialSigningUnavailable`` per outage per user; the first signature that works
again records ``CredentialSigningRestored``.

Per user, on the user's credential aggregate, because that is what executors already
follow (``ev.cred.<user>``) to pause or resume that user's bot, and what the user's audit
trail shows; the aggregate decides (optimistic concurrency), so however many workers see
the outage, each user gets one event. This worker remembers whom it reported so a storm
of refused requests costs one log read per user, not one per request.
"""

from __future__ import annotations

from fleet.events import AggregateId
from fleet.eventstore import Repository
from fleet.eventstore.errors import NATS_TROUBLE
from fleet.obs import get_logger
from fleet.vault.credential_view import CredentialView
from fleet.vault.domain.credential import Credential
from fleet.vault.metrics import VAULT_UNAVAILABLE


class SigningOutages:
    """Records the start and the end of each Vault outage, per user."""

    def __init__(self, credentials: Repository[Credential], view: CredentialView) -> None:
        self._credentials = credentials
        self._view = view
        self._reported: set[str] = set()
        self.open = False

    def __repr__(self) -> str:
        return f"SigningOutages(open={self.open}, users={len(self._reported)})"

    async def failed(self, user_id: str, reason: str) -> None:
        """Vault could not sign for ``user_id`` (the request is refused by the caller)."""
        if not self.open:
            self.open = True
            VAULT_UNAVAILABLE.set(1)
            get_logger().warning("vault unavailable: signing refused (fail closed)", reason=reason)
        if user_id in self._reported:
            return
        self._reported.add(user_id)
        try:
            stored = await self._credentials.execute(
                AggregateId(user_id), lambda c: c.signing_failed(reason)
            )
        except NATS_TROUBLE as exc:  # NATS trouble too: the refusal stands, retry next time
            self._reported.discard(user_id)
            get_logger().warning("could not record the signing outage", error=str(exc))
            return
        self._view.apply_all(stored)

    async def succeeded(self, credential: Credential) -> None:
        """A signature worked; cheap unless an outage was recorded for this user."""
        if self.open:
            self.open = False
            VAULT_UNAVAILABLE.set(0)
            get_logger().info("vault available again: signing works")
        user_id = str(credential.id)
        if user_id not in self._reported and not credential.state.signing_unavailable:
            return
        self._reported.discard(user_id)
        stored = await self._credentials.execute(credential.id, lambda c: c.signing_works())
        self._view.apply_all(stored)
