"""A projection that dispatches each event to the handler registered for its class.

Personal data sealed in an event (``fleet.events.personal``) is opened first, with the
keys read in the projection's own transaction: a read model holds the plain value while
the key exists, and a replay after the key was destroyed writes ``erased``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from fleet.events import DomainEvent, Envelope, personal
from fleet.events.users import UserDeleted
from fleet.projections import Projection, ProjectionTx
from fleet.projections.personal_keys import keys_in

Handler = Callable[[ProjectionTx, Any, Envelope], None]


class DispatchingProjection(Projection):
    """Subclasses fill ``handlers``; events of other classes are ignored."""

    handlers: ClassVar[dict[type[DomainEvent], Handler]]

    def event_types(self) -> frozenset[str]:
        return frozenset(cls.event_type for cls in self.handlers)

    def apply(self, tx: ProjectionTx, event: DomainEvent, envelope: Envelope) -> None:
        handler = self.handlers.get(type(event))
        if handler is None:
            return
        # sealed values are found in the stored data (the same text an event's dump would
        # hold): only an event that carries personal data is dumped and read again
        if subjects := personal.subjects_in(envelope.data):
            data = event.model_dump(mode="json")
            keys = _KEYS.setdefault(tx, {})  # one read per subject and batch (a replay)
            if missing := subjects - keys.keys():
                keys.update(keys_in(tx.connection, missing))
            event = type(event).model_validate(personal.reveal(data, keys))
        if isinstance(event, UserDeleted):
            _KEYS.get(tx, {}).pop(envelope.aggregate.id, None)  # his key is being destroyed
        handler(tx, event, envelope)


# the keys read by each open projection transaction (gone with it)
_KEYS: WeakKeyDictionary[ProjectionTx, dict[str, bytes | None]] = WeakKeyDictionary()
