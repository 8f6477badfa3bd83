"""The username claim: one aggregate per normalized username (``ev.username.<hex>``),
whose last event says which user holds the name.

Creating a user claims the name first, appending at the claim's loaded version: of two
auth instances claiming one name at once, the log accepts one append and refuses the
other (``ConcurrencyError``), so a name is never held twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from fleet.auth.errors import Conflict
from fleet.events import AggregateId, DomainEvent
from fleet.events.aggregate import Aggregate
from fleet.events.users import USERNAME_AGGREGATE, UsernameClaimed, UsernameReleased

# What became of the user a claim names: present (holds it), gone (deleted) or pending
# (no events yet: being created now, or its creator crashed between the two appends).
HolderStatus = Literal["present", "gone", "pending"]
CLAIM_GRACE = timedelta(seconds=60)  # a pending claim older than this is abandoned


class UsernameClaim(Aggregate):
    """Who holds one username."""

    aggregate_type = USERNAME_AGGREGATE

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.holder: str | None = None
        self.claimed_at: datetime | None = None

    def claim(
        self, username: str, user_id: str, now: datetime, holder: HolderStatus | None
    ) -> None:
        """Claim the name for ``user_id``; :class:`Conflict` when someone holds it."""
        if self.holder is not None and not self._free(holder, now):
            raise Conflict(f"the username {username!r} is taken")
        self.record(UsernameClaimed(username=username, user_id=user_id, claimed_at=now))

    def _free(self, holder: HolderStatus | None, now: datetime) -> bool:
        if holder == "gone":
            return True
        abandoned = self.claimed_at is None or now - self.claimed_at > CLAIM_GRACE
        return holder == "pending" and abandoned

    def release(self, user_id: str) -> None:
        """Free the name when ``user_id`` holds it (its user was deleted)."""
        if self.holder == user_id:
            self.record(UsernameReleased(user_id=user_id))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, UsernameClaimed):
            self.holder, self.claimed_at = event.user_id, event.claimed_at
        elif isinstance(event, UsernameReleased):
            self.holder, self.claimed_at = None, None
