"""Every domain event type Fleet knows, in one registry (built on demand, not at import)."""

from __future__ import annotations

from fleet.events.audit import AUDIT_EVENTS
from fleet.events.bots import BOT_EVENTS
from fleet.events.credentials import CREDENTIAL_EVENTS
from fleet.events.registry import DomainEvent, EventRegistry
from fleet.events.security import SECURITY_EVENTS
from fleet.events.signals import SIGNAL_EVENTS
from fleet.events.trading import TRADING_EVENTS
from fleet.events.users import USER_EVENTS

ALL_EVENTS: tuple[type[DomainEvent], ...] = (
    *USER_EVENTS,
    *CREDENTIAL_EVENTS,
    *BOT_EVENTS,
    *TRADING_EVENTS,
    *SIGNAL_EVENTS,
    *AUDIT_EVENTS,
    *SECURITY_EVENTS,
)


def domain_registry() -> EventRegistry:
    """A registry of every declared event type, with their upcasters."""
    return EventRegistry(ALL_EVENTS)
