"""Notifications: the list (with the delivery outcome of each channel), marking read,
preferences per kind and channel, and delivery failures in aggregate for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import Field, field_validator, model_validator

from fleet.gateway.schemas.base import TEXT_PATTERN, ApiModel, IdItem

Channel = Literal["in_app", "email", "webhook"]
# The kinds the notify service sends (services/notify/README.md "What notifies whom").
Kind = Literal[
    "bot_paused",
    "bot_stopped",
    "credential_failed",
    "order_rejected",
    "stop_loss_hit",
    "position_closed",
    "new_sign_in",
    "account_throttled",
    "account_locked",
    "password_changed",
    "bingx_rate_limited",
    "kill_switch",
]
KINDS: tuple[str, ...] = get_args(Kind)


class DeliveryOut(ApiModel):
    """How one channel's delivery ended (in-app is the notification itself)."""

    channel: Channel
    outcome: Literal["delivered", "failed"]
    error: str = Field(default="", description="Why it failed (never a URL or a secret).")
    attempts: int
    at: datetime


class NotificationOut(ApiModel):
    notification_id: str
    kind: str = Field(examples=["bot_paused"])
    title: str
    body: str
    digest_of: int = Field(description="A digest: how many notifications it stands for.")
    created_at: datetime
    read: bool
    read_at: datetime | None = None
    deliveries: list[DeliveryOut] = []


class NotificationPage(ApiModel):
    """Newest first; ``next_cursor`` pages on (``null``: the last page)."""

    items: list[NotificationOut]
    unread: int = Field(ge=0, description="All my unread notifications (not just this page).")
    next_cursor: int | None = Field(default=None, description="Pass as `before` for more.")


class NotificationsQuery(ApiModel):
    limit: int = Field(default=50, ge=1, le=200, description="Page size.")
    before: int | None = Field(
        default=None, ge=1, le=2**62, description="The cursor of the previous page."
    )
    unread: bool = Field(default=False, description="Only the unread ones.")


class MarkRead(ApiModel):
    """Mark the named notifications read, or every one (``all``)."""

    ids: list[IdItem] = Field(default=[], max_length=500)
    all: bool = False

    @model_validator(mode="after")
    def _something(self) -> MarkRead:
        if not self.ids and not self.all:
            raise ValueError("name the notifications (ids) or set all")
        return self


class UnreadOut(ApiModel):
    unread: int = Field(ge=0)


class ChannelsIn(ApiModel):
    in_app: bool = True
    email: bool = True
    webhook: bool = False


class PreferencesIn(ApiModel):
    """Channels per kind (kinds not named follow ``default``) and the webhook URL."""

    default: ChannelsIn = ChannelsIn()
    kinds: dict[Kind, ChannelsIn] = {}
    webhook_url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=TEXT_PATTERN,
        examples=["https://hooks.slack.com/services/T000/B000/XXXX"],
    )

    @field_validator("webhook_url")
    @classmethod
    def _http_only(cls, url: str | None) -> str | None:
        if url is not None and not url.lower().startswith(("http://", "https://")):
            raise ValueError("webhook_url: only http:// or https:// URLs")
        return url or None


class PreferencesOut(PreferencesIn):
    kinds_known: list[str] = Field(default=list(KINDS), description="Every kind there is.")


class FailureGroup(ApiModel):
    """Failed deliveries of one channel with one error."""

    channel: Channel
    error: str
    failures: int
    users: int
    last_at: datetime


class FailuresOut(ApiModel):
    since: datetime
    total: int
    groups: list[FailureGroup]


class MailOut(ApiModel):
    """One mail the local SMTP sink caught (simulator environment only)."""

    name: str
    received_at: datetime
    sender: str
    to: str
    subject: str
    body: str
