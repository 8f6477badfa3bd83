"""Finding 9: a grant is valid only while its trader is a trader (checked at use and
revoked on the role change), and a role change revokes the user's tokens."""

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration


async def test_a_grant_dies_with_the_traders_role_and_stays_dead(
    stack: "Stack", admin: "Session"
) -> None:
    trader = await stack.new_session(admin, "trader")
    viewer = await stack.new_session(admin, "viewer")
    given = await admin.put(f"/api/admin/users/{viewer.user_id}/grants/{trader.user_id}")
    assert given.status_code == 200, given.text
    dashboard = f"/api/viewer/traders/{trader.user_id}/dashboard"
    assert (await viewer.get(dashboard)).status_code == 200

    role = f"/api/admin/users/{trader.user_id}/role"
    assert (await admin.put(role, json={"role": "viewer"})).status_code == 200
    assert (await viewer.get(dashboard)).status_code == 404
    assert (await viewer.get("/api/viewer/traders")).json() == []
    assert (await admin.put(role, json={"role": "trader"})).status_code == 200
    assert (await viewer.get(dashboard)).status_code == 404  # re-promotion restores nothing
    grants = await admin.get(f"/api/admin/users/{viewer.user_id}/grants")
    assert grants.json() == []


async def test_a_demoted_admins_token_dies(stack: "Stack", admin: "Session") -> None:
    other = await stack.new_session(admin, "admin")
    made = await other.post("/api/tokens", json={"name": "ops", "scope": "admin"})
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    stack.secrets.add(token)
    role = f"/api/admin/users/{other.user_id}/role"
    assert (await admin.put(role, json={"role": "trader"})).status_code == 200
    assert (await admin.put(role, json={"role": "admin"})).status_code == 200
    http = stack.client()
    answer = await http.get("/api/admin/users", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
