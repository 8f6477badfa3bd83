"""Notifications through the gateway, on the real stack plus the notify service and a
real SMTP server: a bot paused by an admin reaches the trader in-app (``GET
/api/notifications``) within 2 s and by e-mail with the reason; he marks it read; nobody
else sees it; preferences refuse a bad webhook URL; failures are visible to him and, in
aggregate, to admins; ``/dev/mails`` shows the caught mail to admins only.

The pause is appended as the executor appends it (this module runs no executor: the
executor's pause itself is tested in tests/api/test_trading.py).
"""

import asyncio
import mailbox
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

import pytest

from fleet.events import AggregateId, AggregateRef
from fleet.events.bots import BotPaused
from fleet.stack import free_port
from fleet.stack.smtp_sink import SmtpSink

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration
REASON = "risk review by the desk"
T = TypeVar("T")


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    return ("notify",)


@pytest.fixture(scope="module")
def gateway_env(smtp_sink: SmtpSink) -> dict[str, str]:
    return {"FLEET_BINGX_SIMULATED": "true", "FLEET_DEV_MAIL_DIR": str(smtp_sink.mail_dir)}


async def _notifications(session: "Session", **params: Any) -> dict[str, Any]:
    answer = await session.get("/api/notifications", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _until(probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 10) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _paused_items(session: "Session", enough: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        items = (await _notifications(session))["items"]
        paused = [item for item in items if item["kind"] == "bot_paused"]
        return paused if len(paused) >= enough else None

    return await _until(probe, f"{enough} bot_paused notifications")


def _mails(sink: SmtpSink) -> list[str]:
    if not (sink.mail_dir / "new").is_dir():
        return []
    box = mailbox.Maildir(sink.mail_dir, create=False)
    return [message.as_string() for message in box if REASON in message.as_string()]


async def _pause(stack: "Stack", trader: "Session", admin: "Session", why: str = REASON) -> float:
    # identical notifications within a minute are merged into a digest: vary the reason
    await stack.append("bot", trader.user_id, BotPaused(reason=why, by=admin.user_id))
    return time.monotonic()


def _text(message: mailbox.MaildirMessage) -> str:
    payload = message.get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else str(payload)


def _verification_tokens(sink: SmtpSink, address: str) -> list[str]:
    if not (sink.mail_dir / "new").is_dir():
        return []
    box = mailbox.Maildir(sink.mail_dir, create=False)
    return [
        unquote(match)
        for message in box
        if message["To"] == address and message["Subject"] == "Fleet: Verify your e-mail address"
        for match in re.findall(r"#/verify-email\?token=(\S+)", _text(message))
    ]


async def _verified(session: "Session", sink: SmtpSink) -> "Session":
    """Open the verification link mailed to the session's address (e-mail notifications
    go to verified addresses only)."""
    address = f"{session.account.username}@example.com"

    async def mailed() -> list[str]:
        return _verification_tokens(sink, address)

    [token] = await _until(mailed, "the verification mail")
    answer = await session.post("/api/auth/email/verify", json={"token": token})
    assert answer.status_code == 200, answer.text
    return session


@pytest.fixture(scope="module")
async def trader(stack: "Stack", admin: "Session", smtp_sink: SmtpSink) -> "Session":
    return await _verified(await stack.new_session(admin, "trader"), smtp_sink)


async def test_a_bot_paused_by_an_admin_reaches_the_trader_in_app_and_by_mail(
    stack: "Stack", admin: "Session", trader: "Session", smtp_sink: SmtpSink
) -> None:
    before = (await _notifications(trader))["unread"]
    paused_at = await _pause(stack, trader, admin)
    [item] = await _paused_items(trader, 1)
    seen_after = time.monotonic() - paused_at
    assert REASON in item["body"] and not item["read"]
    assert (await _notifications(trader))["unread"] == before + 1
    print(f"\nthe in-app notification was listed {seen_after:.2f} s after the pause")

    async def mailed() -> list[str]:
        return _mails(smtp_sink)

    [mail] = await _until(mailed, "the e-mail in the SMTP server's inbox")
    assert f"{trader.account.username}@example.com" in mail

    # the e-mail's outcome reaches the read model: the trader sees his channel delivered
    async def delivered() -> list[dict[str, Any]]:
        [item] = await _paused_items(trader, 1)
        return list(item["deliveries"])

    outcomes = await _until(delivered, "the e-mail's outcome")
    assert [(d["channel"], d["outcome"]) for d in outcomes] == [("email", "delivered")]


DRAWDOWN = "skipped: drawdown 16.2 % reached your maximum 15.0 %; the bot pauses"


async def test_the_drawdown_stop_reaches_the_trader_in_app_and_by_mail(
    stack: "Stack", admin: "Session", smtp_sink: SmtpSink
) -> None:
    # as the executor's worker pauses a bot at the drawdown stop (fleet.risk's reason)
    trader = await _verified(await stack.new_session(admin, "trader"), smtp_sink)
    await stack.append(
        "bot", trader.user_id, BotPaused(reason=DRAWDOWN, by="system", automatic=True)
    )

    async def paused() -> list[dict[str, Any]] | None:
        items = (await _notifications(trader))["items"]
        return [item for item in items if item["kind"] == "bot_paused"] or None

    [item] = await _until(paused, "the drawdown stop's notification")
    assert DRAWDOWN in item["body"] and "automatically" in item["body"]

    async def mailed() -> list[str]:
        box = mailbox.Maildir(smtp_sink.mail_dir, create=False)
        return [m.as_string() for m in box if "drawdown 16.2" in m.as_string()]

    [mail] = await _until(mailed, "the drawdown stop's e-mail")
    assert f"{trader.account.username}@example.com" in mail


async def test_only_the_recipient_sees_and_marks_his_notifications(
    stack: "Stack", admin: "Session", trader: "Session"
) -> None:
    [mine] = await _paused_items(trader, 1)
    unread = (await _notifications(trader))["unread"]
    other = await stack.new_session(admin, "trader")
    assert all(item["kind"] != "bot_paused" for item in (await _notifications(other))["items"])
    assert all(item["kind"] != "bot_paused" for item in (await _notifications(admin))["items"])
    # someone else's id marks nothing of his
    foreign = await other.post("/api/notifications/read", json={"ids": [mine["notification_id"]]})
    assert foreign.status_code == 200, foreign.text
    assert (await _notifications(trader))["unread"] == unread

    assert (await trader.post("/api/notifications/read", json={})).status_code == 422
    marked = await trader.post("/api/notifications/read", json={"ids": [mine["notification_id"]]})
    assert marked.status_code == 200 and marked.json() == {"unread": unread - 1}
    [mine] = await _paused_items(trader, 1)
    assert mine["read"] and mine["read_at"]
    still_unread = (await _notifications(trader, unread="true"))["items"]
    unread_ids = [item["notification_id"] for item in still_unread]
    assert mine["notification_id"] not in unread_ids and len(unread_ids) == unread - 1


async def test_paging_newest_first_and_mark_all(
    stack: "Stack", admin: "Session", trader: "Session"
) -> None:
    await trader.post("/api/notifications/read", json={"all": True})
    for n in range(2):
        await _pause(stack, trader, admin, f"paging {n}")
        await asyncio.sleep(0.05)
    await _paused_items(trader, 3)
    page = await _notifications(trader)
    assert page["unread"] == 2
    first = await _notifications(trader, limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"] is not None
    rest = await _notifications(trader, limit=2, before=first["next_cursor"])
    ids = [item["notification_id"] for item in first["items"] + rest["items"]]
    assert ids == [item["notification_id"] for item in page["items"]]
    assert rest["next_cursor"] is None
    marked = await trader.post("/api/notifications/read", json={"all": True})
    assert marked.json() == {"unread": 0}


async def test_preferences_refuse_a_bad_webhook_and_failures_are_visible(
    stack: "Stack", admin: "Session", trader: "Session"
) -> None:
    defaults = await trader.get("/api/notifications/preferences")
    assert defaults.status_code == 200
    assert defaults.json()["default"] == {"in_app": True, "email": True, "webhook": False}
    for url, why in (("ftp://example.com/x", "http"), ("http://10.1.2.3/hook", "10.1.2.3")):
        refused = await trader.put("/api/notifications/preferences", json={"webhook_url": url})
        assert refused.status_code == 422, refused.text
        assert why in refused.json()["error"]["message"]
    # a webhook receiver that is down (127.0.0.1 is allowed in this stack): it fails, visibly
    hook = f"http://127.0.0.1:{free_port()}/hook"
    wanted: dict[str, Any] = {
        "kinds": {"bot_paused": {"in_app": True, "email": False, "webhook": True}},
        "webhook_url": hook,
    }
    stored = await trader.put("/api/notifications/preferences", json=wanted)
    assert stored.status_code == 200, stored.text
    assert stored.json()["kinds"] == wanted["kinds"] and stored.json()["webhook_url"] == hook
    assert (await trader.get("/api/notifications/preferences")).json()["kinds"] == wanted["kinds"]

    await _pause(stack, trader, admin, "webhook failure")

    async def failed_delivery() -> list[dict[str, Any]]:
        return list((await _paused_items(trader, 4))[0]["deliveries"])

    [failed] = await _until(failed_delivery, "the webhook's failure")
    assert failed["channel"] == "webhook" and failed["outcome"] == "failed"
    assert failed["error"] and hook not in failed["error"]  # never the URL (tokens)

    summary = await admin.get("/api/admin/notifications/failures")
    assert summary.status_code == 200, summary.text
    groups = summary.json()["groups"]
    assert any(g["channel"] == "webhook" and g["users"] == 1 for g in groups), groups
    assert (await trader.get("/api/admin/notifications/failures")).status_code == 403


async def test_dev_mails_shows_the_caught_mails_to_admins_only(
    stack: "Stack", admin: "Session", trader: "Session"
) -> None:
    page = await admin.get("/dev/mails")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert REASON in page.text and "Your bot was paused" in page.text
    assert (await trader.get("/dev/mails")).status_code == 403
    assert (await stack.client().get("/dev/mails")).status_code == 401


async def test_an_email_another_account_holds_in_any_case_is_a_conflict(
    stack: "Stack", admin: "Session", trader: "Session"
) -> None:
    taken = f"{trader.account.username.upper()}@EXAMPLE.com"
    created = await admin.post(
        "/api/admin/users",
        json={
            "username": "dup-mail",
            "password": "Ä long passphrase 4 dup",
            "role": "viewer",
            "email": taken,
        },
    )
    assert created.status_code == 409, created.text
    assert created.json()["error"]["message"] == "this e-mail address is used by another account"
    other = await stack.new_session(admin, "viewer")
    changed = await other.request("PATCH", "/api/auth/me", json={"email": taken})
    assert changed.status_code == 409, changed.text
    assert "e-mail" in changed.json()["error"]["message"]
    # his own address in another case is his to keep
    own = await trader.request("PATCH", "/api/auth/me", json={"email": taken})
    assert own.status_code == 200, own.text


async def test_an_unverified_address_gets_only_its_verification_mail(
    stack: "Stack", admin: "Session", smtp_sink: SmtpSink
) -> None:
    newcomer = await stack.new_session(admin, "trader")
    address = f"{newcomer.account.username}@example.com"
    why = "unverified pause"
    await stack.append("bot", newcomer.user_id, BotPaused(reason=why, by=admin.user_id))

    async def seen() -> list[dict[str, Any]] | None:
        items = (await _notifications(newcomer))["items"]
        return [item for item in items if why in item["body"]] or None

    [item] = await _until(seen, "the in-app notification")  # in-app works unverified
    assert item["deliveries"] == []
    box = mailbox.Maildir(smtp_sink.mail_dir, create=False)
    to_him = [m for m in box if m["To"] == address]
    assert [m["Subject"] for m in to_him] == ["Fleet: Verify your e-mail address"]
    [token] = _verification_tokens(smtp_sink, address)
    assert token.startswith(f"{newcomer.user_id}.")
    assert (await newcomer.get("/api/auth/me")).json()["email_verified"] is False
    # the link works once, signed in or not
    anonymous = stack.client("127.0.0.9")
    first = await anonymous.post("/api/auth/email/verify", json={"token": token})
    assert first.status_code == 200, first.text
    assert (await newcomer.get("/api/auth/me")).json()["email_verified"] is True
    [entry] = await _audited(admin, "auth.email_verified", newcomer.user_id)
    assert entry["actor_id"] == newcomer.user_id
    again = await anonymous.post("/api/auth/email/verify", json={"token": token})
    assert again.status_code == 400 and again.json()["error"]["details"]["field"] == "token"
    # no event holds the token or the address in the clear
    ref = AggregateRef(type="user", id=AggregateId(newcomer.user_id))
    stored = [envelope.model_dump_json() for envelope in await stack.store.load(ref)]
    assert any("user.email_verified" in text for text in stored)
    assert all(token not in text and address not in text for text in stored)


def _reset_tokens(sink: SmtpSink, address: str) -> list[str]:
    box = mailbox.Maildir(sink.mail_dir, create=False)
    return [
        unquote(match)
        for message in box
        if message["To"] == address and message["Subject"] == "Fleet: Reset your password"
        for match in re.findall(r"#/reset-password\?token=(\S+)", _text(message))
    ]


async def test_a_password_reset_link_works_once_and_ends_every_session(
    stack: "Stack", admin: "Session", smtp_sink: SmtpSink
) -> None:
    owner = await _verified(await stack.new_session(admin, "viewer"), smtp_sink)
    other_browser = await stack.login(owner.account, "127.0.0.12")
    address = f"{owner.account.username}@example.com"
    anonymous = stack.client("127.0.0.11")
    unknown = await anonymous.post("/api/auth/password-reset", json={"email": "nobody@example.com"})
    known = await anonymous.post("/api/auth/password-reset", json={"email": address.upper()})
    assert unknown.status_code == known.status_code == 202, known.text
    assert unknown.json() == known.json()

    async def mailed() -> list[str]:
        return _reset_tokens(smtp_sink, address)

    [token] = await _until(mailed, "the reset mail")
    new = owner.account.password + " reset by mail"
    stack.secrets.add(new)
    done = await anonymous.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": new}
    )
    assert done.status_code == 200, done.text
    again = await anonymous.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": new + "!"}
    )
    assert again.status_code == 400 and again.json()["error"]["details"]["field"] == "token"
    for session in (owner, other_browser):  # every old session ended
        assert (await session.get("/api/auth/me")).status_code == 401
    # audited: both requests (naming no one), and the use of the link by its owner
    requested = await _audited(admin, "auth.password_reset_requested", None)
    assert sum(e["actor_id"] == "anonymous" for e in requested) >= 2
    assert all(e["target_user_id"] is None for e in requested)
    [reset] = await _audited(admin, "auth.password_reset", owner.user_id)
    assert reset["actor_id"] == owner.user_id and reset["outcome"] == "ok"
    owner.account.password = new
    assert (await (await stack.login(owner.account)).get("/api/auth/me")).status_code == 200


async def _audited(
    admin: "Session", action: str, target: str | None, at_least: int = 1
) -> list[dict[str, Any]]:
    """The audit entries of ``action`` (on ``target``), once the read model has them."""
    params = {"action": action} | ({"target": target} if target else {})

    async def probe() -> list[dict[str, Any]] | None:
        answer = await admin.get("/api/admin/audit", params=params)
        assert answer.status_code == 200, answer.text
        items = [i for i in answer.json()["items"] if i["action"] == action]
        return items if len(items) >= at_least else None

    return await _until(probe, f"the audit entry {action}")


async def test_a_new_verification_link_on_request_the_same_answer_throttled_audited(
    stack: "Stack", admin: "Session", smtp_sink: SmtpSink
) -> None:
    newcomer = await stack.new_session(admin, "trader")
    address = f"{newcomer.account.username}@example.com"

    async def links(count: int) -> list[str] | None:
        found = _verification_tokens(smtp_sink, address)
        return found if len(found) >= count else None

    [first] = await _until(lambda: links(1), "the first verification mail")
    pending = await newcomer.post("/api/auth/email/resend")
    assert pending.status_code == 202, pending.text
    both = await _until(lambda: links(2), "the new link")  # a Maildir has no order
    assert first in both and len(set(both)) == 2
    [second] = [token for token in both if token != first]
    anonymous = stack.client("127.0.0.14")
    old = await anonymous.post("/api/auth/email/verify", json={"token": first})
    assert old.status_code == 400  # replaced by the newer link
    assert (await anonymous.post("/api/auth/email/verify", json={"token": second})).is_success
    verified = await newcomer.post("/api/auth/email/resend")
    assert verified.status_code == 202 and verified.json() == pending.json()
    third = await newcomer.post("/api/auth/email/resend")
    assert third.status_code == 202
    assert (await newcomer.post("/api/auth/email/resend")).status_code == 429
    await asyncio.sleep(1.0)
    assert len(_verification_tokens(smtp_sink, address)) == 2  # verified: no new link
    entries = await _audited(admin, "auth.verification_resent", None, at_least=4)
    mine = [e for e in entries if e["actor_id"] == newcomer.user_id]
    assert sorted(e["outcome"] for e in mine) == ["failed", "ok", "ok", "ok"]
