"""A claim on something only one user may hold (a username, an e-mail address): one
aggregate per normalized value, whose last event says who holds it.

Setting the value claims it first, appending at the claim's loaded version: of two auth
instances claiming one value at once, the log accepts one append and refuses the other
(``ConcurrencyError``), so a value is never held twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from fleet.events import AggregateId, DomainEvent
from fleet.events.aggregate import Aggregate

# What became of the user a claim names: present (holds it), gone (deleted) or pending
# (no events yet: being created now, or its creator crashed between the two appends).
HolderStatus = Literal["present", "gone", "pending"]
CLAIM_GRACE = timedelta(seconds=60)  # a pending claim older than this is abandoned


class Claim(Aggregate):
    """Who holds one value: ``claimed`` events (with ``user_id`` and ``claimed_at``) take
    it, ``released`` events (with ``user_id``) free it."""

    claimed: ClassVar[type[DomainEvent]]
    released: ClassVar[type[DomainEvent]]

    def __init__(self, aggregate_id: AggregateId) -> None:
        super().__init__(aggregate_id)
        self.holder: str | None = None
        self.claimed_at: datetime | None = None

    def _free(self, holder: HolderStatus | None, now: datetime) -> bool:
        """Whether a held value may be claimed: its holder is gone, or the claim is
        pending for longer than :data:`CLAIM_GRACE`."""
        if self.holder is None or holder == "gone":
            return True
        abandoned = self.claimed_at is None or now - self.claimed_at > CLAIM_GRACE
        return holder == "pending" and abandoned

    def release(self, user_id: str) -> None:
        """Free the value when ``user_id`` holds it."""
        if self.holder == user_id:
            self.record(self.released.model_validate({"user_id": user_id}))

    def apply(self, event: DomainEvent) -> None:
        found: Any = event
        if isinstance(event, self.claimed):
            self.holder, self.claimed_at = found.user_id, found.claimed_at
        elif isinstance(event, self.released):
            self.holder, self.claimed_at = None, None
