"""Everyday flows through the HTTP API with the real auth service: sign-in, the caller's
account, users created by an admin, settings, tokens, read-your-writes."""

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration


async def test_sign_in_me_and_settings(stack: "Stack", admin: "Session") -> None:
    me = await admin.get("/api/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "admin"
    trader = await stack.new_session(admin, "trader")
    # a user the admin just created is readable at once (read your writes)
    seen = await admin.get(f"/api/admin/users/{trader.user_id}")
    assert seen.status_code == 200 and seen.json()["username"] == trader.account.username
    settings = await trader.get("/api/settings")
    assert settings.status_code == 200, settings.text
    assert settings.json()["max_positions"] == 2
    changed = await trader.put("/api/settings", json={"max_positions": 4, "leverage": 10})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["max_positions"], changed.json()["leverage"]) == (4, 10)
    refused = await trader.put("/api/settings", json={"max_positions": 0})
    assert (
        refused.status_code == 422
        and refused.json()["error"]["details"]["field"] == "max_positions"
    )
    status = await trader.get("/api/status")
    assert status.status_code == 200, status.text
    assert status.json()["credential"]["status"] == "not_connected"


async def test_tokens(stack: "Stack", admin: "Session") -> None:
    trader = await stack.new_session(admin, "trader")
    created = await trader.post("/api/tokens", json={"name": "ci", "scope": "read"})
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    stack.secrets.add(token)
    http = stack.client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await http.get("/api/stats", headers=bearer)).status_code == 200
    assert (await http.post("/api/bot/start", headers=bearer)).status_code == 403
    listed = await trader.get("/api/tokens")
    assert [t["name"] for t in listed.json()] == ["ci"]
    revoked = await trader.delete(f"/api/tokens/{created.json()['token_id']}")
    assert revoked.status_code == 200, revoked.text
    assert (await http.get("/api/stats", headers=bearer)).status_code == 401
    admin_scope = await trader.post("/api/tokens", json={"name": "x", "scope": "admin"})
    assert admin_scope.status_code == 403
