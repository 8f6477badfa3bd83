"""Once, whatever happens: a SIGKILL mid-burst loses nothing and repeats nothing in the
log; 100 identical failures in a minute are one notification plus one digest."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from fleet.events import AggregateId, AggregateRef, wrap
from fleet.events.credentials import CredentialVerificationFailed
from fleet.events.notifications import ChannelChoice, SetNotificationPreferences
from fleet.events.trading import OrderRejected

if TYPE_CHECKING:
    from services.notify.tests.conftest import Harness, Inbox, Receiver

pytestmark = pytest.mark.integration
BURST = 200
ALL_CHANNELS = ChannelChoice(in_app=True, email=True, webhook=True)
WORKERS = 8


async def _by_type(harness: Harness, user_id: str) -> Counter[str]:
    found = await harness.notifications(user_id)
    return Counter(f"{e.type}:{e.data.get('channel', 'in_app')}" for e in found)


async def _burst_interrupted(
    harness: Harness, smtp: tuple[Inbox, int], receiver: Receiver, how: str
) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """200 notifications on three channels; the service is stopped (``how``: ``kill`` or
    ``stop``) once a quarter of the webhooks went out, then started again. Returns what the
    log recorded, and what the webhook receiver and the SMTP server got, by delivery id."""
    inbox, port = smtp
    receiver.delay_s = 0.01
    env = {
        "FLEET_SMTP_HOST": "127.0.0.1",
        "FLEET_SMTP_PORT": str(port),
        "FLEET_NOTIFY_MAX_PER_HOUR": "100000",
        "FLEET_DELIVERY_CONCURRENCY": str(WORKERS),
    }
    await harness.user("tr")
    first = await harness.start(**env)
    reply = await harness.preferences(
        SetNotificationPreferences(user_id="tr", default=ALL_CHANNELS, webhook_url=receiver.url)
    )
    assert reply.ok, reply
    for i in range(BURST):
        rejected = OrderRejected(client_order_id=f"c{i}", bingx_code=101204, message=f"no {i}")
        await harness.append("account", "tr", rejected)

    async def some_sent() -> bool:
        return len(receiver.requests) >= BURST // 4

    await harness.wait_for(some_sent, what="a quarter of the webhooks")
    await asyncio.to_thread(first.kill if how == "kill" else first.stop)
    at_stop = (len(receiver.requests), len(inbox.messages))
    await harness.start(**env)

    async def all_recorded() -> bool:
        counts = await _by_type(harness, "tr")
        return all(counts[k] >= BURST for k in ("notification.created:in_app",
                   "notification.delivered:email", "notification.delivered:webhook"))  # fmt: skip

    await harness.wait_for(all_recorded, timeout=120, what="every delivery recorded")
    await asyncio.sleep(1.0)  # anything still to come would be a duplicate
    counts = await _by_type(harness, "tr")
    hooks = Counter(h["X-Fleet-Delivery"] for h, _, _ in receiver.requests)
    mails = Counter(str(m["Message-ID"]) for m in inbox.messages)
    print(
        f"\n{how} after {at_stop[0]} webhooks and {at_stop[1]} e-mails; log: {dict(counts)}; "
        f"webhooks received {len(receiver.requests)} ({len(hooks)} distinct), "
        f"e-mails received {len(inbox.messages)} ({len(mails)} distinct)"
    )
    assert counts == Counter(
        {
            "notification.created:in_app": BURST,
            "notification.delivered:email": BURST,
            "notification.delivered:webhook": BURST,
        }
    )
    assert len(hooks) == BURST and len(mails) == BURST  # none lost
    return counts, hooks, mails


async def test_a_sigkill_mid_burst_loses_nothing_and_repeats_nothing(
    harness: Harness, smtp_inbox: tuple[Inbox, int], receiver: Receiver
) -> None:
    _, hooks, mails = await _burst_interrupted(harness, smtp_inbox, receiver, "kill")
    # A delivery in flight at the kill (sent, not yet recorded) is sent again with the same
    # delivery id (X-Fleet-Delivery / Message-ID), by which a receiver drops it: at most one
    # per worker.
    assert sum(hooks.values()) - BURST + sum(mails.values()) - BURST <= WORKERS


async def test_a_clean_stop_mid_burst_sends_nothing_twice(
    harness: Harness, smtp_inbox: tuple[Inbox, int], receiver: Receiver
) -> None:
    _, hooks, mails = await _burst_interrupted(harness, smtp_inbox, receiver, "stop")
    assert set(hooks.values()) == {1} and set(mails.values()) == {1}


async def test_a_hundred_identical_failures_in_a_minute_are_one_notice_and_one_digest(
    harness: Harness, smtp_inbox: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_inbox
    await harness.user("tr")
    await harness.start(FLEET_SMTP_HOST="127.0.0.1", FLEET_SMTP_PORT=str(port))
    aggregate = AggregateRef(type="cred", id=AggregateId("tr"))
    start = datetime.now(UTC) - timedelta(seconds=65)
    failure = CredentialVerificationFailed(reason="IP not whitelisted", bingx_code=100419)
    envelopes = [
        wrap(failure, aggregate).model_copy(
            update={"occurred_at": start + timedelta(seconds=i * 0.5)}
        )
        for i in range(100)
    ]
    await harness.store.append(aggregate, envelopes, None)

    async def two() -> bool:
        return (await _by_type(harness, "tr"))["notification.created:in_app"] >= 2

    await harness.wait_for(two, what="the notification and its digest")
    await asyncio.sleep(1.5)  # room for a third, which must not come
    created = [e for e in await harness.notifications("tr") if e.type == "notification.created"]
    print("\n" + "\n".join(f"{e.data['title']} | digest_of={e.data['digest_of']}" for e in created))
    assert [e.data["digest_of"] for e in created] == [0, 99]
    assert "IP not whitelisted" in created[1].data["body"]

    async def mailed() -> bool:
        return len(inbox.messages) >= 2

    await harness.wait_for(mailed, what="two e-mails")
    assert len(inbox.messages) == 2
