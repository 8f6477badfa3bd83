"""Accounts under attack: the real auth service and gateway (and vault where a module asks
for it), whose fixtures are reused from ``tests/api/conftest.py``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from fleet.testing.modules import conftest_module

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

_api = conftest_module(Path(__file__).parents[2] / "api" / "conftest.py")
stack = _api.stack
admin = _api.admin
gateway_workers = _api.gateway_workers
extra_services = _api.extra_services


@pytest.fixture(scope="module")
def auth_env() -> dict[str, str]:
    """Refusals written every second; five in a window alert the admins."""
    return {"FLEET_LOGIN_AUDIT_WINDOW_S": "1", "FLEET_LOGIN_ALERT_THRESHOLD": "5"}


@pytest.fixture
async def first_sign_in(stack: Stack, admin: Session) -> httpx.AsyncClient:
    """A trader an admin just created, signed in with the password he was given (so he
    must change it first); the client sends the session's CSRF header."""
    account = await stack.create_user(admin, "trader")
    http = stack.client()
    signed = await http.post(
        "/api/auth/login", json={"username": account.username, "password": account.password}
    )
    assert signed.status_code == 200 and signed.json()["must_change_password"] is True
    http.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
    return http
