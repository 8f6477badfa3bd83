"""The policy as a pure function: roles, token scopes, targets, password-change gate."""

from dataclasses import replace

import pytest

from fleet.events.ids import Scope, UserId
from fleet.events.users import Role
from fleet.gateway import policy
from fleet.gateway.policy import TargetFacts, decide
from fleet.gateway.principal import Principal, Via

pytestmark = pytest.mark.unit


def caller(role: Role, scope: Scope | None = None, *, must_change: bool = False) -> Principal:
    via: Via = "token" if scope else "session"
    return Principal(
        UserId(f"{role}-1"), role, role, "127.0.0.1", via, scope, must_change_password=must_change
    )


def test_anonymous_is_401_except_on_public_actions() -> None:
    assert decide("auth.login", None, "POST").allowed
    assert decide("ops.health", None, "GET").allowed
    refused = decide("account.status", None, "GET")
    assert (refused.allowed, refused.status, refused.code) == (False, 401, "unauthenticated")


@pytest.mark.parametrize(
    ("action", "role", "allowed"),
    [
        ("account.status", "trader", True),
        ("account.status", "admin", False),  # admins trade nothing of their own
        ("bingx.connect", "admin", False),
        ("bot.start", "admin", False),
        ("bot.start", "viewer", False),
        ("admin.users.list", "trader", False),
        ("admin.users.list", "admin", True),
        ("viewer.traders", "viewer", True),
        ("viewer.traders", "trader", False),
        ("tokens.create", "viewer", True),
    ],
)
def test_roles(action: str, role: Role, allowed: bool) -> None:
    decision = decide(action, caller(role), "GET")
    assert decision.allowed is allowed
    if not allowed:
        assert decision.status == 403


def test_token_scopes() -> None:
    assert decide("trading.trades", caller("trader", "read"), "GET").allowed
    assert decide("bot.start", caller("trader", "read"), "POST").status == 403
    assert decide("bot.start", caller("trader", "write"), "POST").allowed
    # the admin API wants the admin scope, even for reads
    assert decide("admin.users.list", caller("admin", "write"), "GET").status == 403
    assert decide("admin.users.list", caller("admin", "admin"), "GET").allowed


def test_who_may_create_which_token() -> None:
    assert policy.may_create_token("admin", "admin").allowed
    assert not policy.may_create_token("trader", "admin").allowed
    assert policy.may_create_token("trader", "write").allowed
    assert not policy.may_create_token("viewer", "write").allowed


def test_targets_not_found_is_404_and_wrong_kind_is_403() -> None:
    admin = caller("admin")
    missing = TargetFacts(found=False)
    assert decide("admin.users.read", admin, "GET", missing).status == 404
    itself = TargetFacts(True, admin.user_id, "admin")
    assert decide("admin.users.delete", admin, "DELETE", itself).status == 403
    assert decide("admin.users.read", admin, "GET", itself).allowed
    assert decide("admin.bot.start", admin, "POST", itself).status == 403  # no own bot
    trader = TargetFacts(True, UserId("t-2"), "trader")
    assert decide("admin.bot.start", admin, "POST", trader).allowed
    viewer = caller("viewer")
    assert decide("viewer.dashboard", viewer, "GET", missing).status == 404
    assert decide("tokens.revoke", caller("trader"), "DELETE", missing).status == 404


def test_a_required_password_change_comes_first() -> None:
    pending = caller("trader", must_change=True)
    assert decide("account.status", pending, "GET").status == 403
    assert decide("auth.change_password", pending, "POST").allowed
    assert decide("auth.me", pending, "GET").allowed


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(LookupError):
        decide("no.such.action", caller("admin"), "GET")


def test_an_admin_without_two_factor_may_only_enrol() -> None:
    bare = replace(caller("admin"), needs_second_factor=True)
    allowed = {action for action in policy.POLICY if decide(action, bare, "POST").allowed}
    assert allowed == {
        "ops.health",
        "auth.login",
        "auth.verify_email",
        "auth.password_reset",
        "auth.password_reset_confirm",
        "auth.logout",
        "auth.logout_all",
        "auth.me",
        "auth.update_me",
        "auth.resend_verification",
        "auth.change_password",
        "auth.totp_enrol",
        "auth.totp_confirm",
    }
    refused = decide("admin.users.list", bare, "GET")
    assert (refused.status, refused.message) == (403, "enrol in two-factor authentication first")
    assert decide("admin.users.list", caller("admin"), "GET").allowed  # enrolled: as before
    # a password change still comes first (the enrolment needs the user's own password)
    both = replace(bare, must_change_password=True)
    assert decide("auth.totp_enrol", both, "POST").message == "change your password first"
