"""Per-user channel choices, folded from ``notification.preferences_set``."""

from __future__ import annotations

from dataclasses import dataclass, field

from fleet.events.notifications import Channel, NotificationPreferencesSet

DEFAULT = NotificationPreferencesSet()


@dataclass
class Preferences:
    """Every user's latest choices (defaults: in-app and e-mail on, webhook off)."""

    by_user: dict[str, NotificationPreferencesSet] = field(default_factory=dict)

    def apply(self, user_id: str, event: NotificationPreferencesSet) -> None:
        self.by_user[user_id] = event

    def webhook_url(self, user_id: str) -> str | None:
        return self.by_user.get(user_id, DEFAULT).webhook_url

    def channels(self, user_id: str, kind: str, *, has_email: bool) -> list[Channel]:
        """Where a notification of ``kind`` goes for ``user_id``, in a fixed order."""
        chosen = self.by_user.get(user_id, DEFAULT)
        choice = chosen.kinds.get(kind, chosen.default)
        channels: list[Channel] = []
        if choice.in_app:
            channels.append("in_app")
        if choice.email and has_email:
            channels.append("email")
        if choice.webhook and chosen.webhook_url:
            channels.append("webhook")
        return channels
