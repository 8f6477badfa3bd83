"""A projection that dispatches each event to the handler registered for its class.

Personal data sealed in an event (``fleet.events.personal``) is opened first, with the
keys read in the projection's own transaction: a read model holds the plain value while
the key exists, and a replay after the key was destroyed writes ``erased``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from fleet.events import DomainEvent, Envelope, personal
from fleet.projections import Projection, ProjectionTx
from fleet.projections.personal_keys import reveal_in

Handler = Callable[[ProjectionTx, Any, Envelope], None]


class DispatchingProjection(Projection):
    """Subclasses fill ``handlers``; events of other classes are ignored."""

    handlers: ClassVar[dict[type[DomainEvent], Handler]]

    def apply(self, tx: ProjectionTx, event: DomainEvent, envelope: Envelope) -> None:
        handler = self.handlers.get(type(event))
        if handler is None:
            return
        data = event.model_dump(mode="json")
        if personal.subjects_in(data):
            event = type(event).model_validate(reveal_in(tx.connection, data))
        handler(tx, event, envelope)
