"""Rules across users: the last active admin, unique usernames."""

from datetime import UTC, datetime, timedelta

import pytest

from fleet.auth.domain.admin_roster import AdminRoster
from fleet.auth.domain.username_claim import CLAIM_GRACE, UsernameClaim
from fleet.auth.errors import Conflict
from fleet.events import AggregateId

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("action", ["deleted", "deactivated", "demoted"])
def test_the_last_active_admin_cannot_leave(action: str) -> None:
    roster = AdminRoster()
    roster.join("a1")
    with pytest.raises(Conflict, match=f"last active admin cannot be {action}"):
        roster.leave("a1", action)
    roster.join("a2")
    roster.leave("a1", action)
    assert roster.admins == {"a2"}
    with pytest.raises(Conflict):
        roster.leave("a2", action)


def test_an_admin_missing_from_the_roster_leaves_only_if_someone_is_on_it() -> None:
    roster = AdminRoster()
    with pytest.raises(Conflict):  # cannot prove another admin exists
        roster.leave("drifted", "deleted")
    roster.join("a1")
    roster.leave("drifted", "deleted")
    assert roster.admins == {"a1"} and len(roster.pending) == 1


def test_joining_twice_records_once() -> None:
    roster = AdminRoster()
    roster.join("a1")
    roster.join("a1")
    assert len(roster.pending) == 1


def test_a_held_username_is_taken() -> None:
    claim = UsernameClaim(AggregateId("616c696365"))
    claim.claim("alice", "u1", T0, None)
    with pytest.raises(Conflict, match="taken"):
        claim.claim("Alice", "u2", T0, "present")


def test_a_deleted_holder_or_an_abandoned_claim_frees_the_name() -> None:
    claim = UsernameClaim(AggregateId("616c696365"))
    claim.claim("alice", "u1", T0, None)
    claim.claim("alice", "u2", T0, "gone")
    with pytest.raises(Conflict):  # u2 is being created right now
        claim.claim("alice", "u3", T0 + timedelta(seconds=5), "pending")
    claim.claim("alice", "u3", T0 + CLAIM_GRACE + timedelta(seconds=1), "pending")
    assert claim.holder == "u3"
    claim.release("u1")  # not the holder: nothing
    claim.release("u3")
    assert claim.holder is None and len(claim.pending) == 4
