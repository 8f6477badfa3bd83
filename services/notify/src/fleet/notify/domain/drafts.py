"""A notification as the rules draft it, before rate limits and channels."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

NAMESPACE = uuid.UUID("6f1c1e2a-52a4-4d5e-9a53-3d1f3f0b6a20")


@dataclass(frozen=True)
class Draft:
    """What to tell whom: one recipient, one kind, a title and a body."""

    recipient_id: str
    kind: str
    title: str
    body: str

    @property
    def fingerprint(self) -> str:
        """Identical notifications share it (merged within the merge window)."""
        text = f"{self.recipient_id}\n{self.kind}\n{self.title}\n{self.body}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def derived_id(*parts: str) -> str:
    """A stable UUID from its parts: the same inputs after a restart give the same id."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


def notification_id(source_event_id: str, draft: Draft) -> str:
    """One notification per (source event, recipient, kind)."""
    return derived_id("notification", source_event_id, draft.recipient_id, draft.kind)


def delivery_id(notification: str, channel: str) -> str:
    """One delivery per (notification, channel): what 'never sent twice' is counted by."""
    return derived_id("delivery", notification, channel)
