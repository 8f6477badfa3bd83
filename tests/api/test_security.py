"""Security through HTTP with the real auth service: brute force throttled, never locked
(and audited once per source and window), CSRF, sessions that end when the log says so,
and no password, session id or token in any log line or answer."""

import asyncio
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration
ATTACKER_IP = "127.0.0.3"
OWNER_IP = "127.0.0.4"


async def test_brute_force_is_throttled_never_locked_and_audited_once_per_window(
    stack: "Stack", admin: "Session"
) -> None:
    victim = await stack.create_user(admin, "trader")
    attacker = stack.client(ATTACKER_IP)
    statuses = []
    for attempt in range(50):
        answer = await attacker.post(
            "/api/auth/login",
            json={"username": victim.username, "password": f"wrong guess {attempt}"},
        )
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["Retry-After"]) >= 1
    assert set(statuses) == {401, 429}, statuses  # throttled, never locked (423)

    owner = stack.client(OWNER_IP)
    right = {"username": victim.username, "password": victim.password}
    assert (await owner.post("/api/auth/login", json=right)).status_code == 200

    entries: list[dict[str, Any]] = []
    for _ in range(50):  # the auth service writes refusals once per source and window
        audit = await admin.get("/api/admin/audit", params={"action": "security.logins_refused"})
        entries = [e for e in audit.json()["items"] if e["ip"] == ATTACKER_IP]
        if sum(int(e["details"]["refused"]) for e in entries) >= len(statuses):
            break
        await asyncio.sleep(0.2)
    assert sum(int(e["details"]["refused"]) for e in entries) == len(statuses)
    assert all(victim.username in e["details"]["usernames"] for e in entries)
    logins = await admin.get("/api/admin/audit", params={"action": "auth.login"})
    assert not [e for e in logins.json()["items"] if e["ip"] == ATTACKER_IP]


async def test_state_changes_need_the_csrf_token(stack: "Stack", admin: "Session") -> None:
    trader = await stack.new_session(admin, "trader")
    http = trader.http
    csrf = http.headers.pop("X-CSRF-Token")
    assert (await http.get("/api/settings")).status_code == 200  # reads need none
    missing = await http.put("/api/settings", json={"max_positions": 3})
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf"
    wrong = await http.put(
        "/api/settings", json={"max_positions": 3}, headers={"X-CSRF-Token": "x" + csrf}
    )
    assert wrong.status_code == 403
    other = await stack.new_session(admin, "trader")  # another session's token
    stolen = await http.put(
        "/api/settings", json={"max_positions": 3}, headers={"X-CSRF-Token": other.csrf}
    )
    assert stolen.status_code == 403
    right = await http.put(
        "/api/settings", json={"max_positions": 3}, headers={"X-CSRF-Token": csrf}
    )
    assert right.status_code == 200 and right.json()["max_positions"] == 3
    # signing in again from a browser that still holds a session needs no CSRF token
    again = await http.post(
        "/api/auth/login",
        json={"username": trader.account.username, "password": trader.account.password},
    )
    assert again.status_code == 200, again.text


async def test_cookies_are_httponly_strict_and_hashed_at_rest(
    stack: "Stack", admin: "Session"
) -> None:
    account = await stack.create_user(admin, "viewer")
    answer = await stack.client().post(
        "/api/auth/login", json={"username": account.username, "password": account.password}
    )
    cookies = {c.split("=", 1)[0]: c for c in answer.headers.get_list("set-cookie")}
    assert "HttpOnly" in cookies["fleet_session"] and "SameSite=strict" in cookies["fleet_session"]
    assert "HttpOnly" not in cookies["fleet_csrf"]
    session_id = answer.cookies["fleet_session"]
    stack.secrets.add(session_id)
    dsn = stack.database_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn) as connection:
        stored = connection.execute("SELECT session_sha256 FROM gateway.sessions").fetchall()
    assert stored and all(session_id not in row[0] for row in stored)


async def test_sessions_end_when_the_log_says_so(stack: "Stack", admin: "Session") -> None:
    reset = await stack.new_session(admin, "trader")
    changed = await admin.post(
        f"/api/admin/users/{reset.user_id}/password", json={"new_password": "an entirely new one"}
    )
    stack.secrets.add("an entirely new one")
    assert changed.status_code == 200, changed.text
    assert (await reset.get("/api/auth/me")).status_code == 401

    deactivated = await stack.new_session(admin, "trader")
    off = await admin.put(f"/api/admin/users/{deactivated.user_id}/active", json={"active": False})
    assert off.status_code == 200 and not off.json()["active"]
    assert (await deactivated.get("/api/auth/me")).status_code == 401

    demoted = await stack.new_session(admin, "trader")
    role = await admin.put(f"/api/admin/users/{demoted.user_id}/role", json={"role": "viewer"})
    assert role.status_code == 200 and role.json()["role"] == "viewer"
    assert (await demoted.get("/api/auth/me")).status_code == 401
    again = await stack.login(demoted.account)
    assert (await again.get("/api/auth/me")).json()["role"] == "viewer"

    first = await stack.new_session(admin, "trader")
    second = await stack.login(first.account)
    assert (await second.post("/api/auth/logout")).status_code == 200
    assert (await second.get("/api/auth/me")).status_code == 401
    assert (await first.get("/api/auth/me")).status_code == 200
    third = await stack.login(first.account)
    ended = await third.post("/api/auth/logout-all")
    assert ended.status_code == 200 and ended.json()["sessions_ended"] == 2
    assert (await first.get("/api/auth/me")).status_code == 401

    own = await stack.new_session(admin, "trader")
    new = own.account.password + " changed"
    stack.secrets.add(new)
    mine = await own.post(
        "/api/auth/password",
        json={"current_password": own.account.password, "new_password": new},
    )
    assert mine.status_code == 200, mine.text
    own.http.headers["X-CSRF-Token"] = mine.json()["csrf_token"]
    assert (await own.get("/api/auth/me")).status_code == 200  # this session renewed


async def test_no_secret_in_any_log_line_or_answer(stack: "Stack", admin: "Session") -> None:
    """Last in the module: every password, session id, CSRF and access token used here."""
    trader = await stack.new_session(admin, "trader")
    created = await trader.post("/api/tokens", json={"name": "scan", "scope": "read"})
    token = created.json()["token"]
    stack.secrets.add(token)
    await stack.client().get("/api/stats", headers={"Authorization": f"Bearer {token}"})
    logged = stack.logged()
    assert "/api/auth/login" in logged  # the gateway's request log is in the scan
    for secret in stack.secrets | stack.csrf_tokens | stack.shown_once:
        assert secret not in logged, "a secret is in a service log"
    answers = "\n".join(stack.answers)
    for secret in stack.secrets - {token}:
        if not secret.startswith("flt_"):
            assert secret not in answers, "a password or session id is in an answer"
    assert answers.count(token) == 1  # shown once, in the answer that created it
