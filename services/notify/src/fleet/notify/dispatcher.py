"""Deliveries on their own queue and workers: the log consumer only hands jobs over, so a
slow or failing channel never blocks it. Each job ends as one event — ``notification.created``
(in-app), ``notification.delivered`` or ``notification.failed`` — whose id is the delivery
id; only then is it counted done."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fleet.events import AggregateId, AggregateRef, DomainEvent, EventId, wrap
from fleet.events.notifications import (
    NOTIFICATION_AGGREGATE,
    NotificationCreated,
    NotificationDelivered,
    NotificationFailed,
)
from fleet.eventstore import EventStore
from fleet.notify.adapters.smtp import SmtpMailer
from fleet.notify.adapters.webhook import WebhookSender, user_secret
from fleet.notify.domain.planner import Delivery, Notice
from fleet.notify.errors import DeliveryFailed
from fleet.notify.metrics import DELIVERIES, LATENCY, QUEUED
from fleet.notify.settings import NotifySettings
from fleet.obs import count_unexpected, get_logger
from fleet.ratelimit.retries import attempts_of

RECORD_RETRY_MAX_S = 5.0
# A delivery is tried again after retry_base_s, doubling; jitter (so that deliveries
# failed together are not retried in step) takes up to this share off each pause.
RETRY_JITTER_SHARE = 0.1
DRAIN_S = 8.0  # below fleet.stack's 10 s between SIGTERM and SIGKILL


@dataclass(frozen=True)
class Job:
    """One delivery of one notice, and the log position waiting for it."""

    notice: Notice
    delivery: Delivery
    sequence: int
    occurred_at: datetime


class Dispatcher:
    """Runs jobs with ``delivery_concurrency`` workers; ``done`` holds recorded deliveries."""

    def __init__(
        self,
        settings: NotifySettings,
        store: EventStore,
        finished: Callable[[int], None],
    ) -> None:
        self._settings = settings
        self._store = store
        self._finished = finished
        self._mailer = SmtpMailer(settings)
        self._webhooks = WebhookSender(settings)
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._running: set[str] = set()
        self._workers: list[asyncio.Task[None]] = []
        self._current: dict[asyncio.Task[None], Job | None] = {}
        self._stopping = False
        self.done: set[str] = set()

    def submit(self, job: Job) -> bool:
        """Queue ``job`` unless it was already recorded or is under way."""
        key = job.delivery.delivery_id
        if key in self.done or key in self._running:
            return False
        self._running.add(key)
        self._queue.put_nowait(job)
        QUEUED.inc()
        return True

    def start(self) -> None:
        for _ in range(self._settings.delivery_concurrency):
            worker = asyncio.create_task(self._work())
            self._current[worker] = None
            self._workers.append(worker)

    async def stop(self, drain_s: float = DRAIN_S) -> None:
        """Let each busy worker finish (send and record) its delivery, for at most
        ``drain_s``; queued jobs are left to the next start (the position waits for them),
        so a clean restart sends nothing twice."""
        self._stopping = True
        busy = [worker for worker, job in self._current.items() if job is not None]
        for worker in self._workers:
            if worker not in busy:
                worker.cancel()
        if busy:
            _, unfinished = await asyncio.wait(busy, timeout=drain_s)
            for worker in unfinished:
                worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        await self._webhooks.close()

    async def _work(self) -> None:
        me = asyncio.current_task()
        assert me is not None
        while not self._stopping:
            job = await self._queue.get()
            self._current[me] = job  # no await since get(): stop() sees it busy
            outcome = await self._attempt(job)
            await self._record(job, outcome)
            self.done.add(job.delivery.delivery_id)
            self._running.discard(job.delivery.delivery_id)
            QUEUED.dec()
            self._finished(job.sequence)
            self._current[me] = None

    async def _attempt(self, job: Job) -> DomainEvent:
        notice, delivery = job.notice, job.delivery
        if delivery.channel == "in_app":
            return _created(notice)
        attempts, base_s = self._settings.delivery_attempts, self._settings.retry_base_s
        jitter_s = base_s * RETRY_JITTER_SHARE  # taken off, so no pause grows
        tried = 0
        try:
            async for attempt in attempts_of(
                _worth_sending_again, attempts=attempts, first_pause_s=base_s, jitter_s=jitter_s
            ):
                with attempt:
                    tried = attempt.num
                    await self._send(notice, delivery)
        except DeliveryFailed as exc:
            return NotificationFailed(
                delivery_id=delivery.delivery_id,
                notification_id=notice.notification_id,
                channel=delivery.channel,
                error=exc.reason[:500],
                attempts=tried,
            )
        return NotificationDelivered(
            delivery_id=delivery.delivery_id,
            notification_id=notice.notification_id,
            channel=delivery.channel,
            attempts=tried,
        )

    async def _send(self, notice: Notice, delivery: Delivery) -> None:
        try:
            await self._send_on_channel(notice, delivery)
        except DeliveryFailed:
            raise
        except Exception as exc:  # a worker never dies: the delivery is retried, then failed
            count_unexpected("notify.delivery")
            raise DeliveryFailed(f"unexpected {type(exc).__name__}", retryable=True) from exc

    async def _send_on_channel(self, notice: Notice, delivery: Delivery) -> None:
        draft = notice.draft
        if notice.not_after is not None and datetime.now(UTC) >= notice.not_after:
            raise DeliveryFailed("the link expired before it could be mailed", retryable=False)
        if delivery.channel == "email":
            await self._mailer.send(notice.email, draft.title, draft.body, delivery.delivery_id)
            return
        key = self._settings.webhook_signing_key.get_secret_value()
        if not notice.webhook_url or not key:
            raise DeliveryFailed("no webhook URL or signing key configured", retryable=False)
        secret = user_secret(key, draft.recipient_id)
        await self._webhooks.post(
            notice.webhook_url, secret, webhook_body(notice, delivery), delivery.delivery_id
        )

    async def _record(self, job: Job, event: DomainEvent) -> None:
        """Append the outcome; retried until stored (the position waits for it)."""
        aggregate = AggregateRef(
            type=NOTIFICATION_AGGREGATE, id=AggregateId(job.notice.draft.recipient_id)
        )
        envelope = wrap(event, aggregate, event_id=EventId(job.delivery.delivery_id))
        delay = 0.1
        while True:
            try:
                await self._store.append(aggregate, [envelope], None)
                break
            except Exception as exc:  # NATS away: keep the outcome, try again
                get_logger().warning("recording a delivery failed", error=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECORD_RETRY_MAX_S)
        outcome = "failed" if isinstance(event, NotificationFailed) else "delivered"
        DELIVERIES.labels(job.delivery.channel, outcome).inc()
        LATENCY.labels(job.delivery.channel).observe(
            (datetime.now(UTC) - job.occurred_at).total_seconds()
        )
        if isinstance(event, NotificationFailed):
            get_logger().warning(
                "delivery failed", channel=event.channel, error=event.error, attempts=event.attempts
            )


def _created(notice: Notice) -> NotificationCreated:
    return NotificationCreated(
        notification_id=notice.notification_id,
        recipient_id=notice.draft.recipient_id,
        kind=notice.draft.kind,
        title=notice.draft.title[:200],
        body=notice.draft.body[:4000],
        source_event_id=notice.source_event_id,
        digest_of=notice.digest_of,
    )


def webhook_body(notice: Notice, delivery: Delivery) -> bytes:
    """The JSON a webhook receives (stable key order: what is signed is what is sent)."""
    draft = notice.draft
    body = {
        "delivery_id": delivery.delivery_id,
        "notification_id": notice.notification_id,
        "recipient_id": draft.recipient_id,
        "kind": draft.kind,
        "title": draft.title,
        "body": draft.body,
        "digest_of": notice.digest_of,
        "source_event_id": notice.source_event_id,
    }
    return json.dumps(body, sort_keys=True).encode()


def _worth_sending_again(exc: Exception) -> bool:
    return isinstance(exc, DeliveryFailed) and exc.retryable
