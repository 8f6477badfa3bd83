"""The admin's product name (``system.settings_changed``) is the one in mails, over
``FLEET_PRODUCT_NAME``; cleared, the environment's applies again."""

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.system_settings import SYSTEM_AGGREGATE, SystemSettingsChanged
from fleet.eventstore import EventStore
from fleet.notify.adapters.smtp import SmtpMailer
from fleet.notify.branding import Branding, keep_following
from fleet.notify.settings import NotifySettings

if TYPE_CHECKING:
    from services.notify.tests.conftest import Inbox

pytestmark = pytest.mark.integration
SETTINGS = AggregateRef(type=SYSTEM_AGGREGATE, id=AggregateId("platform"))


async def set_name(store: EventStore, name: str | None) -> None:
    changed = SystemSettingsChanged(product_name=name, changed_by="admin-1")
    await store.append(SETTINGS, [wrap(changed, SETTINGS)], None)


async def until_named(branding: Branding, name: str | None) -> None:
    for _ in range(200):
        if branding.product_name == name:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"product name {branding.product_name!r}, not {name!r}")


async def test_mails_carry_the_admins_product_name(
    event_store: EventStore, smtp_inbox: tuple["Inbox", int]
) -> None:
    inbox, port = smtp_inbox
    settings = NotifySettings(
        smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, product_name="EnvName"
    )
    branding = Branding()
    follower = asyncio.create_task(keep_following(event_store, branding))
    mailer = SmtpMailer(settings, branding)
    messages: list[Any] = inbox.messages
    try:
        await mailer.send("t@example.test", "Hello", "Body", "m1")
        await set_name(event_store, "Acme Trading")
        await until_named(branding, "Acme Trading")
        await mailer.send("t@example.test", "Hello", "Body", "m2")
        await set_name(event_store, None)  # cleared: the environment's name again
        await until_named(branding, None)
        await mailer.send("t@example.test", "Hello", "Body", "m3")
    finally:
        follower.cancel()
    subjects = [m["Subject"] for m in messages]
    assert subjects == ["EnvName: Hello", "Acme Trading: Hello", "EnvName: Hello"]
    assert messages[1]["From"].startswith("Acme Trading")
