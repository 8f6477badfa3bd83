"""The username claim: one aggregate per normalized username (``ev.username.<hex>``),
whose last event says which user holds the name (:mod:`fleet.auth.domain.claim`)."""

from __future__ import annotations

from datetime import datetime

from fleet.auth.domain.claim import CLAIM_GRACE, Claim, HolderStatus
from fleet.auth.errors import Conflict
from fleet.events.users import USERNAME_AGGREGATE, UsernameClaimed, UsernameReleased

__all__ = ["CLAIM_GRACE", "HolderStatus", "UsernameClaim"]


class UsernameClaim(Claim):
    """Who holds one username."""

    aggregate_type = USERNAME_AGGREGATE
    claimed = UsernameClaimed
    released = UsernameReleased

    def claim(
        self, username: str, user_id: str, now: datetime, holder: HolderStatus | None
    ) -> None:
        """Claim the name for ``user_id``; :class:`Conflict` when someone holds it."""
        if not self._free(holder, now):
            raise Conflict(f"the username {username!r} is taken")
        self.record(UsernameClaimed(username=username, user_id=user_id, claimed_at=now))
