"""The user aggregate's decisions, and replay reaching the same state."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from fleet.auth.domain.access_tokens import NewToken, TokenRules
from fleet.auth.domain.login_policy import LoginPolicy
from fleet.auth.domain.user import User
from fleet.auth.errors import Conflict, InvalidInput, NotFound
from fleet.events import AggregateId
from fleet.events.users import (
    AccessTokenRevoked,
    LoginFailed,
    Role,
    TradingSettings,
    TradingSettingsChanged,
    UserLocked,
    ViewerGrantRevoked,
)

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = LoginPolicy()
RULES = TokenRules()


def new_user(role: Role = "trader") -> User:
    user = User(AggregateId("u1"))
    user.create("Alice", "a@example.com", role, "$argon2id$h", "admin-1")
    return user


def replayed(user: User) -> User:
    copy = User(user.id)
    for event in user.pending:
        copy.apply(event)
    return copy


def test_a_new_trader_gets_the_default_settings_recorded() -> None:
    user = new_user()
    assert [type(e).__name__ for e in user.pending] == [
        "UserCreated",
        "PasswordSet",
        "TradingSettingsChanged",
    ]
    assert user.state.settings == TradingSettings()
    with pytest.raises(Conflict):
        user.create("Bob", "", "viewer", "$h", "admin-1")


def test_a_lock_of_an_older_version_is_read_and_unlock_lifts_it() -> None:
    user = new_user()
    user.apply(LoginFailed(ip="ip", consecutive_failures=10, throttled=False, failed_at=T0))
    user.apply(UserLocked(until=T0 + timedelta(minutes=15), consecutive_failures=10, ip="ip"))
    assert POLICY.locked_until(user.state.failures, T0) is not None
    assert user.unlock(T0, POLICY)
    assert POLICY.locked_until(replayed(user).state.failures, T0) is None
    assert not user.unlock(T0, POLICY)  # nothing left to unlock


def test_a_success_resets_the_count() -> None:
    user = new_user()
    user.apply(LoginFailed(ip="ip", consecutive_failures=1, throttled=False, failed_at=T0))
    user.login_succeeded("ip", "agent")
    assert user.state.failures.count == 0


def test_grants_link_viewers_only_and_go_when_the_viewer_is_promoted() -> None:
    trader = new_user("trader")
    with pytest.raises(InvalidInput) as refused:
        trader.change_grant("t2", granted=True)
    assert refused.value.field == "viewer_id"
    viewer = new_user("viewer")
    assert viewer.change_grant("t2", granted=True)
    assert not viewer.change_grant("t2", granted=True)  # already given
    viewer.change_role("trader")
    assert any(isinstance(e, ViewerGrantRevoked) for e in viewer.pending)
    assert any(isinstance(e, TradingSettingsChanged) for e in viewer.pending)
    assert replayed(viewer).state.grants == set()


def test_settings_belong_to_traders() -> None:
    with pytest.raises(InvalidInput) as refused:
        new_user("viewer").update_settings({"leverage": 3}, ())
    assert refused.value.field == "user_id"
    trader = new_user()
    assert trader.update_settings({"leverage": 3}, ())
    assert not trader.update_settings({"leverage": 3}, ())


def test_token_scopes_never_exceed_the_role_and_deletion_revokes_them() -> None:
    viewer = new_user("viewer")
    with pytest.raises(InvalidInput) as refused:
        viewer.create_token(NewToken("k1", "ab" * 32, "ci", "write", 30), RULES, T0)
    assert refused.value.field == "scope"
    expires = viewer.create_token(NewToken("k1", "ab" * 32, " ci ", "read", 30), RULES, T0)
    assert expires == T0 + timedelta(days=30)
    viewer.delete()
    assert any(isinstance(e, AccessTokenRevoked) for e in viewer.pending)
    with pytest.raises(NotFound):
        viewer.change_email("x@example.com")
    assert not replayed(viewer).exists


def test_revoking_an_unknown_token_names_it() -> None:
    with pytest.raises(NotFound) as refused:
        new_user().revoke_token("nope")
    assert refused.value.field == "token_id"


def test_every_revocation_event_revokes_every_token() -> None:
    changes: list[Callable[[User], object]] = [
        lambda u: u.set_password("$h2", "changed"),
        lambda u: u.set_password("$h2", "reset", must_change=True),
        lambda u: u.change_role("viewer"),
        lambda u: u.set_active(False),
        lambda u: u.revoke_all_tokens(),
    ]
    for change in changes:
        user = new_user()
        for token_id in ("k1", "k2"):
            user.create_token(NewToken(token_id, "ab" * 32, "ci", "read", 7), RULES, T0)
        change(user)
        assert user.state.tokens == set() and replayed(user).state.tokens == set()
