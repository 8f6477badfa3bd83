"""The e-mail claim: one aggregate per normalized e-mail address (``ev.email.<SHA-256>``),
whose last event says which user holds the address.

Setting an address (creating a user, changing an e-mail) claims it first, appending at the
claim's loaded version: of two accounts claiming one address at once the log accepts one.
The aggregate id is the SHA-256 of the trimmed lowercase address, never the address.
"""

from __future__ import annotations

from datetime import datetime

from fleet.auth.domain.username_claim import CLAIM_GRACE, HolderStatus
from fleet.auth.errors import Conflict
from fleet.events import AggregateId, DomainEvent
from fleet.events.aggregate import Aggregate
from fleet.events.users import EMAIL_AGGREGATE, EmailClaimed, EmailReleased

EMAIL_TAKEN = "this e-mail address is used by another account"


class EmailClaim(Aggregate):
    """Who holds one e-mail address."""

    aggregate_type = EMAIL_AGGREGATE

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.holder: str | None = None
        self.claimed_at: datetime | None = None

    def claim(self, user_id: str, now: datetime, holder: HolderStatus | None) -> bool:
        """Claim the address for ``user_id`` (``False``: he holds it already);
        :class:`Conflict` when another user holds it. ``holder`` is what became of the
        current holder: ``pending`` also covers a holder whose address is not (yet) this
        one, so a claim in progress is respected for :data:`CLAIM_GRACE`."""
        if self.holder == user_id:
            return False
        if self.holder is not None and not self._free(holder, now):
            raise Conflict(EMAIL_TAKEN)
        self.record(EmailClaimed(user_id=user_id, claimed_at=now))
        return True

    def _free(self, holder: HolderStatus | None, now: datetime) -> bool:
        if holder == "gone":
            return True
        abandoned = self.claimed_at is None or now - self.claimed_at > CLAIM_GRACE
        return holder == "pending" and abandoned

    def release(self, user_id: str) -> None:
        """Free the address when ``user_id`` holds it."""
        if self.holder == user_id:
            self.record(EmailReleased(user_id=user_id))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, EmailClaimed):
            self.holder, self.claimed_at = event.user_id, event.claimed_at
        elif isinstance(event, EmailReleased):
            self.holder, self.claimed_at = None, None
