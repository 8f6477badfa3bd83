"""The product's name in mails: the admin's setting (``system.settings_changed``'s
``product_name``, followed from the log) over ``FLEET_PRODUCT_NAME``."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.events.subjects import aggregate_type_subject
from fleet.events.system_settings import SYSTEM_AGGREGATE, SystemSettingsChanged
from fleet.eventstore import EventStore
from fleet.eventstore.store import StoredEvent

TYPES = frozenset({SystemSettingsChanged.event_type})


@dataclass
class Branding:
    """The admin's product name as last set (``None``: the environment's applies)."""

    product_name: str | None = None

    def product(self, default: str) -> str:
        return self.product_name or default


BRANDING = Branding()  # the process's one view, kept by keep_following


async def keep_following(store: EventStore, branding: Branding = BRANDING) -> None:
    """Follow the platform settings from the start of the log, forever."""
    subject = aggregate_type_subject(store.spec.prefix, SYSTEM_AGGREGATE)
    async for item in store.follow(subject=subject, types=TYPES):
        if isinstance(item, StoredEvent) and isinstance(item.event, SystemSettingsChanged):
            branding.product_name = item.event.product_name
