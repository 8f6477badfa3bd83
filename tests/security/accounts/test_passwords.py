"""Finding 11: weak passwords are refused with a reason; a user an admin creates must
change the admin-chosen password at his first sign-in."""

from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration
WEAK = ["aaaaaaaaaaaa", "123456789012", "password1234", " " * 12]


@pytest.mark.parametrize("weak", WEAK, ids=["repeated", "digits", "common", "spaces"])
async def test_weak_passwords_are_refused_with_a_reason(
    stack: "Stack", admin: "Session", weak: str
) -> None:
    created = await admin.post(
        "/api/admin/users",
        json={
            "username": "weakling",
            "password": weak,
            "role": "trader",
            "email": "weakling@example.com",
        },
    )
    assert created.status_code == 400, created.text
    error = created.json()["error"]
    assert "weak" in error["message"] and weak not in created.text

    user = await stack.new_session(admin, "trader")
    changed = await user.post(
        "/api/auth/password",
        json={"current_password": user.account.password, "new_password": weak},
    )
    assert changed.status_code == 400 and "weak" in changed.json()["error"]["message"]


async def test_an_admin_created_user_must_change_the_password_first(
    first_sign_in: httpx.AsyncClient,
) -> None:
    http = first_sign_in
    assert (await http.get("/api/settings")).status_code == 403
