"""The admin roster (``ev.admin_roster.roster``): the active admins, as the guard of
"the last active admin cannot be deleted, deactivated or demoted".

A removal is decided on the roster and appended at its loaded version before the user's
own event; an addition is appended after the user's event. So the roster never lists
someone who is not an active admin (at worst it misses one after a crash between the
two appends), and "someone else is on the roster" always means another active admin
exists, even when several auth instances decide at once.
"""

from __future__ import annotations

from fleet.auth.errors import Conflict
from fleet.events import AggregateId, DomainEvent
from fleet.events.aggregate import Aggregate
from fleet.events.users import (
    ADMIN_ROSTER_AGGREGATE,
    ADMIN_ROSTER_ID,
    AdminRosterJoined,
    AdminRosterLeft,
)

ROSTER_ID = AggregateId(ADMIN_ROSTER_ID)


class AdminRoster(Aggregate):
    """The active admins."""

    aggregate_type = ADMIN_ROSTER_AGGREGATE

    def __init__(self, aggregate_id: AggregateId = ROSTER_ID) -> None:
        super().__init__(aggregate_id)
        self.admins: set[str] = set()

    def join(self, user_id: str) -> None:
        """``user_id`` is now an active admin."""
        if user_id not in self.admins:
            self.record(AdminRosterJoined(user_id=user_id))

    def leave(self, user_id: str, action: str) -> None:
        """``user_id`` stops being an active admin by ``action`` ("deleted", ...);
        :class:`Conflict` when no other active admin would remain."""
        if not self.admins - {user_id}:
            raise Conflict(f"the last active admin cannot be {action}")
        if user_id in self.admins:
            self.record(AdminRosterLeft(user_id=user_id))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, AdminRosterJoined):
            self.admins.add(event.user_id)
        elif isinstance(event, AdminRosterLeft):
            self.admins.discard(event.user_id)
