"""A bot paused by the admin reaches the trader in-app and by e-mail; webhooks are signed
and retried; bad input is a recorded failure while the consumer goes on."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING

import pytest

from fleet.events.bots import BotPaused
from fleet.events.notifications import (
    ChannelChoice,
    NotificationPreferencesSet,
    SetNotificationPreferences,
)

if TYPE_CHECKING:
    from services.notify.tests.conftest import Harness, Inbox, Receiver, SecureSmtp

pytestmark = pytest.mark.integration
SIGNING_KEY = "test-webhook-master-key"
SMTP_USER, SMTP_PASSWORD = "fleet-mailer", "smtp-secret-never-logged"
WEBHOOK_ON = ChannelChoice(in_app=True, email=False, webhook=True)


def _expected_signature(user_id: str, body: bytes) -> str:
    secret = hmac.new(SIGNING_KEY.encode(), f"webhook:{user_id}".encode(), hashlib.sha256)
    return "sha256=" + hmac.new(secret.digest(), body, hashlib.sha256).hexdigest()


async def _outcomes(harness: Harness, user_id: str, channel: str) -> list[dict[str, object]]:
    found = await harness.notifications(user_id)
    return [
        {"type": e.type, **e.data}
        for e in found
        if e.type != "notification.created" and e.data.get("channel") == channel
    ]


async def test_a_bot_paused_by_the_admin_reaches_the_trader_in_app_and_by_email(
    harness: Harness, smtp_inbox: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_inbox
    await harness.user("adm", "admin")
    await harness.user("tr")
    await harness.start(FLEET_SMTP_HOST="127.0.0.1", FLEET_SMTP_PORT=str(port))
    [paused] = await harness.append("bot", "tr", BotPaused(reason="risk review", by="adm"))

    async def in_app() -> bool:
        return any(e.type == "notification.created" for e in await harness.notifications("tr"))

    await harness.wait_for(in_app, what="the in-app notification")
    [created] = [e for e in await harness.notifications("tr") if e.type == "notification.created"]
    latency = (created.occurred_at - paused.occurred_at).total_seconds()
    print(f"\nbot.paused -> notification.created: {latency * 1000:.0f} ms")

    async def mailed() -> bool:  # accepted by SMTP, then its outcome recorded
        return bool(inbox.messages) and bool(await _outcomes(harness, "tr", "email"))

    await harness.wait_for(mailed, what="the e-mail and its outcome")
    [sent] = await _outcomes(harness, "tr", "email")
    stored = [e for e in await harness.notifications("tr") if e.id == sent["delivery_id"]]
    mail_latency = (stored[0].occurred_at - paused.occurred_at).total_seconds()
    print(f"bot.paused -> e-mail accepted by SMTP and recorded: {mail_latency * 1000:.0f} ms")
    [mail] = inbox.messages
    assert mail["To"] == "tr@fleet.test" and "paused" in str(mail["Subject"])
    assert "risk review" in mail.get_payload() and "by adm" in mail.get_payload()
    assert created.data["title"] == "Your bot was paused"
    assert created.data["recipient_id"] == "tr" and created.data["kind"] == "bot_paused"


async def test_a_webhook_gets_a_signed_body_once_after_three_500s(
    harness: Harness, receiver: Receiver
) -> None:
    await harness.user("adm", "admin")
    await harness.user("tr")
    process = await harness.start()
    receiver.script = [500, 500, 500]
    reply = await harness.preferences(
        SetNotificationPreferences(user_id="tr", default=WEBHOOK_ON, webhook_url=receiver.url)
    )
    assert reply.ok, reply
    await harness.append("bot", "tr", BotPaused(reason="daily loss limit", by="system"))

    async def delivered() -> bool:
        return bool(await _outcomes(harness, "tr", "webhook"))

    await harness.wait_for(delivered, what="the webhook delivery")
    [outcome] = await _outcomes(harness, "tr", "webhook")
    assert outcome["type"] == "notification.delivered" and outcome["attempts"] == 4
    assert [status for _, _, status in receiver.requests] == [500, 500, 500, 200]
    headers, body, _ = receiver.requests[-1]
    assert headers["X-Fleet-Signature"] == _expected_signature("tr", body)
    payload = json.loads(body)
    assert payload["kind"] == "bot_paused" and "daily loss limit" in payload["body"]
    assert headers["X-Fleet-Delivery"] == payload["delivery_id"] == outcome["delivery_id"]
    assert len({h["X-Fleet-Delivery"] for h, _, _ in receiver.requests}) == 1
    assert receiver.url not in process.log()  # a webhook URL may carry a token


async def test_bad_channels_are_recorded_failures_and_the_consumer_goes_on(
    harness: Harness, receiver: Receiver
) -> None:
    receiver.huge_reply = True
    await harness.user("adm", "admin")
    cases = {
        "ftp": "ftp://127.0.0.1/hook",
        "private": "http://10.20.30.40/hook",
        "huge": receiver.url,
        "nomail": None,
    }
    for user in cases:
        await harness.user(user)
    closed_port = "1"  # nothing listens on port 1: the SMTP server is unreachable
    await harness.start(FLEET_SMTP_HOST="127.0.0.1", FLEET_SMTP_PORT=closed_port)
    refusals = {}
    for user, url in cases.items():
        choice = ChannelChoice(in_app=True, email=url is None, webhook=url is not None)
        reply = await harness.preferences(
            SetNotificationPreferences(user_id=user, default=choice, webhook_url=url)
        )
        if user in ("ftp", "private"):  # refused at once; stored anyway (an older
            # preference, a host whose DNS changed) they must fail at delivery too
            assert reply.error is not None and reply.error.details["field"] == "webhook_url"
            refusals[user] = reply.error.message
            stored = NotificationPreferencesSet(default=choice, webhook_url=url)
            await harness.append("notify_prefs", user, stored)
        else:
            assert reply.ok, reply
    print("\nrefused when set: " + "; ".join(f"{u}: {m}" for u, m in refusals.items()))
    for user in cases:
        await harness.append("bot", user, BotPaused(reason="admin check", by="adm"))

    async def all_recorded() -> bool:
        for user, url in cases.items():
            if not await _outcomes(harness, user, "email" if url is None else "webhook"):
                return False
        return True

    await harness.wait_for(all_recorded, what="every failure recorded")
    errors = {}
    for user, url in cases.items():
        [outcome] = await _outcomes(harness, user, "email" if url is None else "webhook")
        assert outcome["type"] == "notification.failed", (user, outcome)
        errors[user] = str(outcome["error"])
    print("\n" + "\n".join(f"{user}: {error}" for user, error in errors.items()))
    assert "scheme 'ftp' refused" in errors["ftp"]
    assert "non-public address (10.20.30.40)" in errors["private"]
    assert "reply larger than 65536 bytes" in errors["huge"]
    assert "SMTP 127.0.0.1:1" in errors["nomail"]
    for user in cases:  # in-app went on regardless
        created = [e for e in await harness.notifications(user) if e.type == "notification.created"]
        assert len(created) == 1


async def test_email_goes_over_starttls_with_auth_and_the_password_is_never_logged(
    harness: Harness, secure_smtp: SecureSmtp
) -> None:
    await harness.user("adm", "admin")
    await harness.user("tr")
    process = await harness.start(
        FLEET_SMTP_HOST="127.0.0.1",
        FLEET_SMTP_PORT=str(secure_smtp.port),
        FLEET_SMTP_STARTTLS="true",
        FLEET_SMTP_CA_FILE=str(secure_smtp.ca_file),
        FLEET_SMTP_USERNAME=SMTP_USER,
        FLEET_SMTP_PASSWORD=SMTP_PASSWORD,
        FLEET_LOG_LEVEL="debug",
    )
    await harness.append("bot", "tr", BotPaused(reason="max drawdown", by="system", automatic=True))

    async def mailed() -> bool:
        return bool(secure_smtp.inbox.messages)

    await harness.wait_for(mailed, what="the e-mail over STARTTLS")
    assert secure_smtp.logins == [SMTP_USER]
    assert "max drawdown" in secure_smtp.inbox.messages[0].get_payload()
    events = json.dumps([e.model_dump(mode="json") for e in await harness.notifications("tr")])
    assert SMTP_PASSWORD not in process.log() and SMTP_PASSWORD not in events
    assert SIGNING_KEY not in process.log()
