"""Finding 1 and 4: a client-chosen ``X-Forwarded-For`` is not a client address. Nothing
is trusted by default, so a long or forged header neither stops a projection nor reaches
an event; the login's address is the peer's."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration


async def _detailed_health(internal_port: int) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.get(f"http://127.0.0.1:{internal_port}/healthz")
    body: dict[str, object] = answer.json()
    return body


@pytest.mark.parametrize("length", [100, 3000])
async def test_a_long_forwarded_header_stops_no_projection(
    stack: Stack, admin: Session, internal_port: int, length: int
) -> None:
    account = await stack.create_user(admin, "trader")
    forged = {"X-Forwarded-For": "1" * length}
    http = stack.client()
    bad = {"username": account.username, "password": "wrong " + account.password}
    assert (await http.post("/api/auth/login", json=bad, headers=forged)).status_code == 401
    victim = await stack.login(account)  # changes the admin-chosen password first
    good = {"username": account.username, "password": account.password}
    again = stack.client()
    answer = await again.post("/api/auth/login", json=good, headers=forged)
    assert answer.status_code == 200, answer.text

    deactivated = await admin.put(
        f"/api/admin/users/{account.user_id}/active", json={"active": False}
    )
    assert deactivated.status_code == 200, deactivated.text
    assert (await victim.get("/api/status")).status_code == 401  # the deactivation took

    audit = await admin.get("/api/admin/audit", params={"target": account.user_id})
    assert audit.status_code == 200, audit.text
    ips = {entry.get("ip") for entry in audit.json()["items"]}
    assert ips and ips <= {"127.0.0.1", None, ""}, ips
    health = await _detailed_health(internal_port)
    checks = health["checks"]
    assert isinstance(checks, dict)
    assert all(state == "ok" for state in checks.values()), checks


async def test_a_forged_address_is_never_recorded(stack: Stack, admin: Session) -> None:
    account = await stack.create_user(admin, "trader")
    http = stack.client()
    forged = {"X-Forwarded-For": "<img src=x onerror=alert(1)>, 10.0.0.1"}
    body = {"username": account.username, "password": "wrong " + account.password}
    assert (await http.post("/api/auth/login", json=body, headers=forged)).status_code == 401
    entry = await _refusal_entry(admin, account.username)
    assert entry["ip"] == "127.0.0.1", entry  # the peer: no proxy is trusted


async def _refusal_entry(admin: Session, username: str) -> dict[str, object]:
    # refused logins are audited once per source and window, naming the usernames tried
    action = "security.logins_refused"
    for _ in range(100):  # the window closes, then the audit read model follows the log
        answer = await admin.get("/api/admin/audit", params={"action": action})
        for entry in answer.json()["items"]:
            if username in str(entry["details"].get("usernames", "")).split(","):
                found: dict[str, object] = entry
                return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no audit entry for the refused login of {username}")
