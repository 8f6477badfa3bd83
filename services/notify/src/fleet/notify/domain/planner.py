"""From one event to the notices it causes: rules, then rate limits, then channels.

Everything here is folded from the log in order, so replaying it after a restart plans the
same notices with the same ids; the service only decides which of them still need sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fleet.events import DomainEvent, Envelope
from fleet.events.notifications import Channel, NotificationPreferencesSet
from fleet.events.personal import ERASED
from fleet.events.users import USER_AGGREGATE
from fleet.notify.domain.account_links import account_mail
from fleet.notify.domain.directory import Directory
from fleet.notify.domain.drafts import Draft, delivery_id, notification_id
from fleet.notify.domain.preferences import Preferences
from fleet.notify.domain.rules import drafts_for
from fleet.notify.domain.throttle import Digest, Throttle


@dataclass(frozen=True)
class Delivery:
    """One notice on one channel; its id is what 'once' is counted by."""

    delivery_id: str
    channel: Channel


@dataclass(frozen=True)
class Notice:
    """A notification to send: what, to whom, where, and what caused it."""

    notification_id: str
    draft: Draft
    source_event_id: str
    deliveries: tuple[Delivery, ...]
    email: str = ""
    webhook_url: str | None = None
    digest_of: int = 0
    not_after: datetime | None = None  # an account mail's link expires then: not sent after


class Planner:
    """Folds the log and plans notices (the one place that decides who is told what)."""

    def __init__(self, max_per_hour: int, merge_window: timedelta, ui_url: str = "") -> None:
        self.directory = Directory()
        self.preferences = Preferences()
        self.throttle = Throttle(max_per_hour, merge_window)
        self.ui_url = ui_url  # where account mails' links lead

    def on_event(self, envelope: Envelope, event: DomainEvent) -> list[Notice]:
        """Notices ``event`` causes now (folded into digests ones are not among them)."""
        drafts = drafts_for(envelope, event, self.directory)
        mails = self._account_mail(envelope, event)
        self._fold(envelope, event)
        return mails + [
            self._notice(notification_id(envelope.id, draft), draft, envelope.id)
            for draft in drafts
            if self.throttle.admit(draft, envelope.occurred_at)
        ]

    def _account_mail(self, envelope: Envelope, event: DomainEvent) -> list[Notice]:
        """A link auth made: one e-mail to the user's current address, nothing else."""
        if envelope.aggregate.type != USER_AGGREGATE:
            return []
        mail = account_mail(str(envelope.aggregate.id), event, self.ui_url)
        person = self.directory.get(str(envelope.aggregate.id))
        if mail is None or person is None or person.email in ("", ERASED):
            return []
        notification = notification_id(envelope.id, mail.draft)
        delivery = Delivery(delivery_id(notification, "email"), "email")
        return [
            Notice(
                notification,
                mail.draft,
                envelope.id,
                (delivery,),
                email=person.email,
                not_after=mail.expires_at,
            )
        ]

    def due(self, now: datetime) -> list[Notice]:
        """Digests whose window ended by ``now``."""
        return [self._digest(digest) for digest in self.throttle.due(now)]

    def _digest(self, digest: Digest) -> Notice:
        notice = self._notice(digest.digest_id, digest.draft, digest.digest_id)
        return Notice(**{**notice.__dict__, "digest_of": digest.count})

    def _fold(self, envelope: Envelope, event: DomainEvent) -> None:
        owner = str(envelope.aggregate.id)
        if envelope.aggregate.type == USER_AGGREGATE:
            self.directory.apply(owner, event)
        elif isinstance(event, NotificationPreferencesSet):
            self.preferences.apply(owner, event)

    def _notice(self, notification: str, draft: Draft, source: str) -> Notice:
        person = self.directory.get(draft.recipient_id)
        # an unverified address receives nothing but its verification mail (account_mail)
        email = person.email if person is not None and person.email_verified else ""
        channels = self.preferences.channels(draft.recipient_id, draft.kind, has_email=bool(email))
        deliveries = tuple(Delivery(delivery_id(notification, c), c) for c in channels)
        url = self.preferences.webhook_url(draft.recipient_id)
        return Notice(notification, draft, source, deliveries, email, url)
