"""Finding 5: personal access tokens expire, die on every revocation event (one test
each), obey must_change_password, are listed and revoked by admins, audited, counted."""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration
Revocation = Callable[["Stack", "Session", "Session"], Awaitable[None]]


async def _token(stack: "Stack", session: "Session", scope: str = "read") -> str:
    made = await session.post("/api/tokens", json={"name": "ci", "scope": scope})
    assert made.status_code == 201, made.text
    stack.secrets.add(made.json()["token"])
    return str(made.json()["token"])


async def _works(stack: "Stack", token: str) -> int:
    http = stack.client()
    answer = await http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code


async def _own_password_change(stack: "Stack", admin: "Session", user: "Session") -> None:
    new = user.account.password + " again"
    stack.secrets.add(new)
    answer = await user.post(
        "/api/auth/password",
        json={"current_password": user.account.password, "new_password": new},
    )
    assert answer.status_code == 200, answer.text


async def _admin_reset(stack: "Stack", admin: "Session", user: "Session") -> None:
    new = "an admin chose this passphrase"
    stack.secrets.add(new)
    answer = await admin.post(
        f"/api/admin/users/{user.user_id}/password", json={"new_password": new}
    )
    assert answer.status_code == 200, answer.text


async def _logout_all(stack: "Stack", admin: "Session", user: "Session") -> None:
    assert (await user.post("/api/auth/logout-all")).status_code == 200


async def _deactivate_and_reactivate(stack: "Stack", admin: "Session", user: "Session") -> None:
    path = f"/api/admin/users/{user.user_id}/active"
    assert (await admin.put(path, json={"active": False})).status_code == 200
    assert (await admin.put(path, json={"active": True})).status_code == 200


async def _role_change(stack: "Stack", admin: "Session", user: "Session") -> None:
    path = f"/api/admin/users/{user.user_id}/role"
    assert (await admin.put(path, json={"role": "viewer"})).status_code == 200


@pytest.mark.parametrize(
    "revoke",
    [_own_password_change, _admin_reset, _logout_all, _deactivate_and_reactivate, _role_change],
    ids=["password-change", "admin-reset", "logout-all", "deactivation", "role-change"],
)
async def test_tokens_die_on_every_revocation_event(
    stack: "Stack", admin: "Session", revoke: Revocation
) -> None:
    user = await stack.new_session(admin, "trader")
    token = await _token(stack, user)
    assert await _works(stack, token) == 200
    await revoke(stack, admin, user)
    assert await _works(stack, token) == 401


async def test_every_token_expires_within_the_maximum(stack: "Stack", admin: "Session") -> None:
    user = await stack.new_session(admin, "trader")
    made = await user.post("/api/tokens", json={"name": "ci", "scope": "read"})
    assert made.status_code == 201 and made.json()["expires_at"], made.text
    stack.secrets.add(made.json()["token"])
    week = await user.post("/api/tokens", json={"name": "w", "scope": "read", "expires_in_days": 7})
    assert week.status_code == 201 and week.json()["expires_at"], week.text
    stack.secrets.add(week.json()["token"])
    too_long = await user.post(
        "/api/tokens", json={"name": "x", "scope": "read", "expires_in_days": 365}
    )
    assert too_long.status_code == 400, too_long.text
    assert too_long.json()["error"]["details"]["field"] == "expires_in_days"
    listed = (await user.get("/api/tokens")).json()
    assert listed and all(token["expires_at"] for token in listed)


async def test_a_user_who_must_change_his_password_gets_no_token(
    first_sign_in: httpx.AsyncClient,
) -> None:
    http = first_sign_in
    refused = await http.post("/api/tokens", json={"name": "ci", "scope": "read"})
    assert refused.status_code == 403, refused.text


async def test_admins_list_and_revoke_any_users_tokens_and_it_is_audited(
    stack: "Stack", admin: "Session"
) -> None:
    user = await stack.new_session(admin, "trader")
    token = await _token(stack, user)
    listed = await admin.get(f"/api/admin/users/{user.user_id}/tokens")
    assert listed.status_code == 200, listed.text
    (entry,) = listed.json()
    revoked = await admin.delete(f"/api/admin/users/{user.user_id}/tokens/{entry['token_id']}")
    assert revoked.status_code == 200, revoked.text
    assert await _works(stack, token) == 401
    after = (await admin.get(f"/api/admin/users/{user.user_id}/tokens")).json()
    assert after[0]["revoked"] is True
    audit = await admin.get("/api/admin/audit", params={"target": user.user_id})
    actions = {entry["action"] for entry in audit.json()["items"]}
    assert {
        "user.access_token_created",
        "user.access_token_revoked",
        "admin.user.token.revoke",
    } <= actions, actions


async def test_a_user_holds_at_most_twenty_tokens(stack: "Stack", admin: "Session") -> None:
    user = await stack.new_session(admin, "trader")
    for _ in range(20):
        await _token(stack, user)
    refused = await user.post("/api/tokens", json={"name": "one more", "scope": "read"})
    assert refused.status_code == 409, refused.text
