"""Notifications (aggregate ``notification``, id = the recipient's user id) and notification
preferences (aggregate ``notify_prefs``, id = the user id), both written by the notify
service, plus its commands.

A notification is created once per (source event, recipient, kind) and delivered once per
channel; every id is derived, so a replay after a crash finds what was already done.
Never a secret here: webhook secrets are derived by the service, SMTP passwords stay in
its settings.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from fleet.events.commands import Command, ReplyPayload
from fleet.events.registry import DomainEvent

NOTIFICATION_AGGREGATE = "notification"
PREFERENCES_AGGREGATE = "notify_prefs"

Channel = Literal["in_app", "email", "webhook"]
Audience = Literal["trader", "user", "admin"]


class NotificationCreated(DomainEvent):
    """One notification for one person: the in-app record (the gateway's read model)."""

    event_type = "notification.created"
    notification_id: str
    recipient_id: str
    kind: str
    title: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    source_event_id: str
    digest_of: int = 0  # a digest: how many notifications it stands for


class NotificationDelivered(DomainEvent):
    """A notification reached one channel (the event id is the delivery id)."""

    event_type = "notification.delivered"
    delivery_id: str
    notification_id: str
    channel: Channel
    attempts: int = 1


class NotificationFailed(DomainEvent):
    """A notification could not reach one channel; it is not retried after this."""

    event_type = "notification.failed"
    delivery_id: str
    notification_id: str
    channel: Channel
    error: str = Field(max_length=500)
    attempts: int = 1


class NotificationsRead(DomainEvent):
    """The recipient read some of his notifications: those named, or (``all_until``) every
    one created until then. Ids of other recipients' notifications change nothing."""

    event_type = "notification.read"
    notification_ids: list[str] = Field(default=[], max_length=500)
    all_until: datetime | None = None


class ChannelChoice(BaseModel):
    """Which channels one kind of notification goes to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    in_app: bool = True
    email: bool = True
    webhook: bool = False


class NotificationPreferencesSet(DomainEvent):
    """A user's channels per kind (kinds not named keep the defaults) and webhook URL."""

    event_type = "notification.preferences_set"
    kinds: dict[str, ChannelChoice] = {}
    default: ChannelChoice = ChannelChoice()
    webhook_url: str | None = Field(default=None, max_length=2000)


class SetNotificationPreferences(Command):
    """Replace a user's notification preferences (answered by the notify service)."""

    service: ClassVar[str] = "notify"
    name: ClassVar[str] = "set_preferences"
    user_id: str
    kinds: dict[str, ChannelChoice] = {}
    default: ChannelChoice = ChannelChoice()
    webhook_url: str | None = Field(default=None, max_length=2000)


class MarkNotificationsRead(Command):
    """Mark a user's notifications read (answered by the notify service, the one writer
    of the ``notification`` aggregate): the ids given, or every one until ``all_until``."""

    service: ClassVar[str] = "notify"
    name: ClassVar[str] = "mark_read"
    user_id: str
    notification_ids: list[str] = Field(default=[], max_length=500)
    all_until: datetime | None = None


class PreferencesStored(ReplyPayload):
    """What an accepted :class:`SetNotificationPreferences` answers: the event's sequence."""

    sequence: int


class NotificationsMarked(ReplyPayload):
    """What an accepted :class:`MarkNotificationsRead` answers: the event's sequence."""

    sequence: int


NOTIFICATION_EVENTS: tuple[type[DomainEvent], ...] = (
    NotificationCreated,
    NotificationDelivered,
    NotificationFailed,
    NotificationPreferencesSet,
    NotificationsRead,
)
