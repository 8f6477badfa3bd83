"""Account mails (verification and reset links) come from the log: a link asked for while
the service was down is mailed once it is back, exactly once, and the token is in no
event in clear (it travels sealed with the user's data key)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from fleet.events.users import EmailVerificationRequested, PasswordResetRequested, UserCreated
from fleet.notify.domain.account_links import compose

if TYPE_CHECKING:
    from services.notify.tests.conftest import Harness, Inbox

pytestmark = pytest.mark.integration
LINK = re.compile(r"#/(verify-email|reset-password)\?token=(\S+)")


def test_the_links_lead_to_the_ui_pages() -> None:
    until = datetime(2026, 3, 2, 12, tzinfo=UTC)
    subject, body = compose("verify_email", "u-1.AbC", until, "https://fleet.example/")
    assert subject == "Verify your e-mail address"
    assert "https://fleet.example/#/verify-email?token=u-1.AbC" in body
    subject, body = compose("reset_password", "u-1.AbC", until, "https://fleet.example")
    assert subject == "Reset your password"
    assert "https://fleet.example/#/reset-password?token=u-1.AbC" in body


def _links(inbox: Inbox) -> list[tuple[str, str, str]]:
    """(recipient, page, token) of every link mailed so far."""
    found = []
    for message in inbox.messages:
        text = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
        found += [(str(message["To"]), page, token) for page, token in LINK.findall(text)]
    return found


async def _whole_log(harness: Harness) -> str:
    """Every event of the stream as stored, as one text."""
    last = await harness.store.last_sequence()
    texts = []
    read = harness.store.subscribe(from_sequence=1)
    async with contextlib.aclosing(read) as events:
        async for item in events:
            texts.append(item.envelope.model_dump_json())
            if (item.envelope.sequence or 0) >= last:
                break
    return "\n".join(texts)


async def test_a_link_asked_for_while_notify_is_down_is_mailed_once_when_it_is_back(
    harness: Harness, smtp_inbox: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_inbox
    assert harness.keys is not None
    smtp = {"FLEET_SMTP_HOST": "127.0.0.1", "FLEET_SMTP_PORT": str(port)}
    expires = datetime.now(UTC) + timedelta(minutes=30)

    async def sealed(user_id: str, token: str) -> str:
        assert harness.keys is not None
        (text,) = await asyncio.to_thread(harness.keys.seal, user_id, token)
        return text

    first = await harness.start(**smtp)
    # a new, unverified address: its verification link is the one mail it receives
    address = await sealed("ann", "ann@fleet.test")
    verify_token = "ann." + "v" * 43
    await harness.append(
        "user",
        "ann",
        UserCreated(username="ann", email=address, role="trader"),
        EmailVerificationRequested(
            token_sha256="0" * 64,
            expires_at=expires,
            sealed_token=await sealed("ann", verify_token),
        ),
    )

    async def mailed(count: int) -> bool:
        return len(_links(inbox)) >= count

    await harness.wait_for(lambda: mailed(1), what="the verification mail")
    assert _links(inbox) == [("ann@fleet.test", "verify-email", verify_token)]
    await asyncio.to_thread(first.stop)

    # notify is down: the reset link is asked for (the event is all there is)
    reset_token = "ann." + "r" * 43
    await harness.append(
        "user",
        "ann",
        PasswordResetRequested(
            token_sha256="1" * 64, expires_at=expires, sealed_token=await sealed("ann", reset_token)
        ),
    )
    await asyncio.sleep(0.5)
    assert len(_links(inbox)) == 1

    second = await harness.start(**smtp)
    await harness.wait_for(lambda: mailed(2), what="the reset mail after the restart")

    async def recorded() -> bool:
        found = await harness.notifications("ann")
        return sum(e.type == "notification.delivered" for e in found) == 2

    await harness.wait_for(recorded, what="both deliveries recorded")
    await asyncio.to_thread(second.stop)
    await harness.start(**smtp)  # and once more: nothing is sent again
    await asyncio.sleep(2.0)
    assert _links(inbox) == [
        ("ann@fleet.test", "verify-email", verify_token),
        ("ann@fleet.test", "reset-password", reset_token),
    ]
    log = await _whole_log(harness)
    for token in (verify_token, reset_token):
        assert token not in log and token.split(".")[1] not in log
    outcomes = [e for e in await harness.notifications("ann")]
    assert [e.type for e in outcomes] == ["notification.delivered"] * 2  # e-mail only, no in-app


async def test_a_link_that_expired_while_notify_was_down_is_a_recorded_failure(
    harness: Harness, smtp_inbox: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_inbox
    assert harness.keys is not None
    smtp = {"FLEET_SMTP_HOST": "127.0.0.1", "FLEET_SMTP_PORT": str(port)}
    await harness.user("bob")
    first = await harness.start(**smtp)
    await asyncio.sleep(1.0)  # it saved its starting position
    await asyncio.to_thread(first.stop)
    (token,) = await asyncio.to_thread(harness.keys.seal, "bob", "bob." + "x" * 43)
    past = datetime.now(UTC) - timedelta(seconds=1)
    await harness.append(
        "user",
        "bob",
        PasswordResetRequested(token_sha256="2" * 64, expires_at=past, sealed_token=token),
    )
    await harness.start(**smtp)

    async def failed() -> bool:
        return any(e.type == "notification.failed" for e in await harness.notifications("bob"))

    await harness.wait_for(failed, what="the expired link's failure")
    [outcome] = await harness.notifications("bob")
    assert "expired" in str(outcome.data["error"]) and inbox.messages == []
