"""``cmd.notify.mark_read``: only the recipient marks his notifications read, naming them
or all until a time; the marker is a ``notification.read`` event on his aggregate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from fleet.events.commands import Actor
from fleet.events.notifications import MarkNotificationsRead

if TYPE_CHECKING:
    from services.notify.tests.conftest import Harness

pytestmark = pytest.mark.integration


async def test_only_the_recipient_marks_his_notifications_read(harness: Harness) -> None:
    await harness.start()
    himself = Actor(user_id="tr", role="trader")
    other = await harness.ask(
        MarkNotificationsRead(
            user_id="tr", notification_ids=["n1"], actor=Actor(user_id="x", role="trader")
        )
    )
    assert other.error is not None and other.error.code == "forbidden"
    admin = await harness.ask(
        MarkNotificationsRead(
            user_id="tr", notification_ids=["n1"], actor=Actor(user_id="adm", role="admin")
        )
    )
    assert admin.error is not None and admin.error.code == "forbidden"  # not even an admin
    empty = await harness.ask(MarkNotificationsRead(user_id="tr", actor=himself))
    assert empty.error is not None and empty.error.details["field"] == "notification_ids"
    assert await harness.notifications("tr") == []

    until = datetime.now(UTC)
    named = await harness.ask(
        MarkNotificationsRead(user_id="tr", notification_ids=["n1", "n2"], actor=himself)
    )
    everything = await harness.ask(
        MarkNotificationsRead(user_id="tr", all_until=until, actor=himself)
    )
    assert named.ok and everything.ok, (named, everything)
    markers = await harness.notifications("tr")
    assert [(e.type, e.data["notification_ids"]) for e in markers] == [
        ("notification.read", ["n1", "n2"]),
        ("notification.read", []),
    ]
    assert markers[1].data["all_until"] == until.isoformat().replace("+00:00", "Z")
    assert everything.data["sequence"] == markers[1].sequence
