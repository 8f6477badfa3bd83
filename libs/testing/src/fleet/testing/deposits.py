"""A test-only event type, for the tests of the event store and the projections that need
one event of their own and nothing of the platform's."""

from __future__ import annotations

from fleet.events import DomainEvent, EventRegistry


class Deposited(DomainEvent):
    """An amount put into an account."""

    event_type = "test.deposited"
    amount: int


registry = EventRegistry([Deposited])
