"""Two-factor authentication through the gateway on the real stack: an admin without it
reaches nothing but enrolment (and his own account, sign-out); the login's second step;
wrong codes meet the password back-off; a recovery code works once; malformed codes and
secrets are 422."""

import asyncio
import re
import time
from typing import TYPE_CHECKING

import pyotp
import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration
ENROL_FIRST = "enrol in two-factor authentication first"


def _wrong(secret: str) -> str:
    """A well-formed code that is none of the ones accepted now (one step of drift)."""
    totp, now = pyotp.TOTP(secret), time.time()
    valid = {totp.at(now + 30 * step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


async def test_an_admin_without_two_factor_reaches_only_enrolment(
    stack: "Stack", admin: "Session"
) -> None:
    account = await stack.create_user(admin, "admin")
    http = stack.client()
    first = {"username": account.username, "password": account.password}
    signed = await http.post("/api/auth/login", json=first)
    assert signed.status_code == 200, signed.text
    http.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
    new = account.password + " mine now"
    stack.secrets.add(new)
    changed = await http.post(
        "/api/auth/password", json={"current_password": account.password, "new_password": new}
    )
    assert changed.status_code == 200, changed.text
    http.headers["X-CSRF-Token"] = changed.json()["csrf_token"]

    me = await http.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["second_factor_required"] is True
    paths = (await http.get("/openapi.json")).json()["paths"]
    admin_routes = [
        (method.upper(), re.sub(r"\{[^}]+\}", account.user_id, path))
        for path, operations in paths.items()
        if path.startswith("/api/admin")
        for method in operations
    ]
    assert len(admin_routes) > 20
    for method, path in admin_routes:
        answer = await http.request(method, path, json={})
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["error"]["message"] == ENROL_FIRST, (method, path)
    token = await http.post("/api/tokens", json={"name": "early", "scope": "admin"})
    assert token.status_code == 403 and token.json()["error"]["message"] == ENROL_FIRST

    enrolment = await http.post("/api/auth/2fa/enrol")
    assert enrolment.status_code == 200, enrolment.text
    body = enrolment.json()
    stack.shown_once.add(body["secret"])
    assert body["qr_data_uri"].startswith("data:image/svg+xml")
    assert body["otpauth_uri"].startswith("otpauth://totp/Fleet:")
    code = pyotp.TOTP(body["secret"]).now()
    confirmed = await http.post("/api/auth/2fa/confirm", json={"code": code})
    assert confirmed.status_code == 200, confirmed.text
    stack.shown_once.update(confirmed.json()["recovery_codes"])
    assert (await http.get("/api/admin/users")).status_code == 200  # the same session


async def test_sign_in_in_two_steps_and_wrong_codes_count(stack: "Stack", admin: "Session") -> None:
    trader = await stack.new_session(admin, "trader")
    codes = await stack.enrol_totp(trader)
    secret = trader.account.totp_secret
    name, password = trader.account.username, trader.account.password
    http = stack.client("127.0.0.3")

    step_one = await http.post("/api/auth/login", json={"username": name, "password": password})
    assert step_one.status_code == 401
    assert step_one.json()["error"]["details"]["second_factor"] == "totp"
    assert "fleet_session" not in step_one.cookies  # no session before the code

    both = {"username": name, "password": password, "totp_code": await trader.account.totp_code()}
    assert (await http.post("/api/auth/login", json=both)).status_code == 200

    for malformed in ("12345", "abcdef", "1234567", "zzzz-0000-0000-0000"):
        bad = {"username": name, "password": password, "totp_code": malformed}
        assert (await http.post("/api/auth/login", json=bad)).status_code == 422, malformed

    recovery = {"username": name, "password": password, "totp_code": codes[0]}
    assert (await http.post("/api/auth/login", json=recovery)).status_code == 200
    assert (await http.post("/api/auth/login", json=recovery)).status_code == 401  # spent

    guesser = stack.client("127.0.0.4")
    wrong = {"username": name, "password": password, "totp_code": _wrong(secret)}
    statuses = [(await guesser.post("/api/auth/login", json=wrong)).status_code for _ in range(8)]
    assert statuses[:4] == [401] * 4 and statuses[-1] == 429, statuses  # the pair's back-off

    for bad_code in ("", "1234", "x" * 40):
        answer = await trader.post("/api/auth/2fa/disable", json={"code": bad_code})
        assert answer.status_code == 422, (bad_code, answer.text)
    replay = await trader.post("/api/auth/2fa/disable", json={"code": both["totp_code"]})
    assert replay.status_code == 400, replay.text  # the sign-in's code: used already
    off = await trader.post(
        "/api/auth/2fa/disable", json={"code": await trader.account.totp_code()}
    )
    assert off.status_code == 200 and off.json()["status"] == "changed", off.text
    again = await stack.client("127.0.0.6").post(
        "/api/auth/login", json={"username": name, "password": password}
    )
    assert again.status_code == 200  # the password alone once it is off


async def test_an_admin_can_require_two_factor_of_a_trader(
    stack: "Stack", admin: "Session"
) -> None:
    trader = await stack.new_session(admin, "trader")
    assert (await trader.get("/api/status")).status_code == 200
    path = f"/api/admin/users/{trader.user_id}/two-factor"
    required = await admin.put(path, json={"required": True})
    assert required.status_code == 200 and required.json()["totp_required"] is True
    refused = await trader.get("/api/status")
    assert refused.status_code == 403 and refused.json()["error"]["message"] == ENROL_FIRST
    assert (await trader.get("/api/auth/me")).json()["second_factor_required"] is True
    assert (await admin.put(path, json={"required": "maybe"})).status_code == 422
    await stack.enrol_totp(trader)
    assert (await trader.get("/api/status")).status_code == 200
    shown = await admin.get(f"/api/admin/users/{trader.user_id}")
    assert shown.json()["totp_enabled"] is True and shown.json()["totp_required"] is True
    audit = await admin.get("/api/admin/audit", params={"action": "admin.user.require_totp"})
    assert any(e["target_user_id"] == trader.user_id for e in audit.json()["items"]), audit.text


async def test_my_security_log_shows_sign_ins_sessions_tokens_and_admin_actions(
    stack: "Stack", admin: "Session"
) -> None:
    account = await stack.create_user(admin, "viewer")
    laptop = await stack.login(account, "127.0.0.1")
    phone = await stack.login(account, "127.0.0.7")
    wrong = {"username": account.username, "password": "not the password at all"}
    assert (await stack.client("127.0.0.8").post("/api/auth/login", json=wrong)).status_code == 401
    made = await laptop.post("/api/tokens", json={"name": "script", "scope": "read"})
    stack.secrets.add(made.json()["token"])
    path = f"/api/admin/users/{account.user_id}/two-factor"
    assert (await admin.put(path, json={"required": False})).status_code == 200

    log = {}
    for _ in range(50):  # refused logins are written once per source and window (1 s here)
        log = (await laptop.get("/api/account/security-log")).json()
        if any(s["outcome"] == "failure" for s in log["sign_ins"]):
            break
        await asyncio.sleep(0.2)
    outcomes = [(s["ip"], s["outcome"]) for s in log["sign_ins"]]
    assert ("127.0.0.1", "success") in outcomes and ("127.0.0.7", "success") in outcomes
    assert ("127.0.0.8", "failure") in outcomes, outcomes
    assert [s["current"] for s in log["sessions"]].count(True) == 1
    assert {s["ip"] for s in log["sessions"]} >= {"127.0.0.1", "127.0.0.7"}
    assert [t["name"] for t in log["tokens"]] == ["script"]
    actions = [a["action"] for a in log["admin_actions"]]  # newest first
    assert actions == ["admin.user.require_totp", "admin.user.create"]

    other = next(s["session_id"] for s in log["sessions"] if s["ip"] == "127.0.0.7")
    assert (await laptop.delete(f"/api/account/sessions/{other}")).status_code == 200
    assert (await phone.get("/api/auth/me")).status_code == 401  # that session is over
    assert (await laptop.get("/api/auth/me")).status_code == 200
    assert (await laptop.delete(f"/api/account/sessions/{other}")).status_code == 404
    assert (await laptop.delete("/api/account/sessions/not-a-hash")).status_code == 422
