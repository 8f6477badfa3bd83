"""The e-mail claim: one aggregate per normalized e-mail address (``ev.email.<SHA-256>``),
whose last event says which user holds the address (:mod:`fleet.auth.domain.claim`).

Setting an address (creating a user, changing an e-mail) claims it first. The aggregate
id is the SHA-256 of the trimmed lowercase address, never the address.
"""

from __future__ import annotations

from datetime import datetime

from fleet.auth.domain.claim import Claim, HolderStatus
from fleet.auth.errors import Conflict
from fleet.events.users import EMAIL_AGGREGATE, EmailClaimed, EmailReleased

EMAIL_TAKEN = "this e-mail address is used by another account"


class EmailClaim(Claim):
    """Who holds one e-mail address."""

    aggregate_type = EMAIL_AGGREGATE
    claimed = EmailClaimed
    released = EmailReleased

    def claim(self, user_id: str, now: datetime, holder: HolderStatus | None) -> bool:
        """Claim the address for ``user_id`` (``False``: he holds it already);
        :class:`Conflict` when another user holds it. ``holder`` is what became of the
        current holder: ``pending`` also covers a holder whose address is not (yet) this
        one, so a claim in progress is respected for the claim grace."""
        if self.holder == user_id:
            return False
        if not self._free(holder, now):
            raise Conflict(EMAIL_TAKEN)
        self.record(EmailClaimed(user_id=user_id, claimed_at=now))
        return True
