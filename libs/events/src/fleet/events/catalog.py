"""Every domain event type Fleet knows, in one registry (built on demand, not at import)."""

from __future__ import annotations

from functools import cache

from fleet.events.audit import AUDIT_EVENTS
from fleet.events.billing import BILLING_EVENTS
from fleet.events.bots import BOT_EVENTS
from fleet.events.credentials import CREDENTIAL_EVENTS
from fleet.events.halt import HALT_EVENTS
from fleet.events.history import HISTORY_EVENTS
from fleet.events.notifications import NOTIFICATION_EVENTS
from fleet.events.registry import DomainEvent, EventRegistry
from fleet.events.security import SECURITY_EVENTS
from fleet.events.signals import SIGNAL_EVENTS
from fleet.events.system_settings import SYSTEM_EVENTS
from fleet.events.trading import TRADING_EVENTS
from fleet.events.upcasters import with_settings_v1_to_v2
from fleet.events.users import USER_EVENTS

ALL_EVENTS: tuple[type[DomainEvent], ...] = (
    *USER_EVENTS,
    *CREDENTIAL_EVENTS,
    *BOT_EVENTS,
    *TRADING_EVENTS,
    *SIGNAL_EVENTS,
    *AUDIT_EVENTS,
    *NOTIFICATION_EVENTS,
    *SECURITY_EVENTS,
    *SYSTEM_EVENTS,
    *BILLING_EVENTS,
    *HISTORY_EVENTS,
    *HALT_EVENTS,
)


@cache
def domain_registry() -> EventRegistry:
    """The registry of every declared event type, with their upcasters (one per process:
    a reader that decodes with the store's registry can take the event the store's screen
    decoded)."""
    registry = EventRegistry(ALL_EVENTS)
    registry.upcaster("user.trading_settings_changed", 1)(with_settings_v1_to_v2)
    registry.upcaster("bot.started", 1)(with_settings_v1_to_v2)
    return registry
