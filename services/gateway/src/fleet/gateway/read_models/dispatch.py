"""A projection that dispatches each event to the handler registered for its class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from fleet.events import DomainEvent, Envelope
from fleet.projections import Projection, ProjectionTx

Handler = Callable[[ProjectionTx, Any, Envelope], None]


class DispatchingProjection(Projection):
    """Subclasses fill ``handlers``; events of other classes are ignored."""

    handlers: ClassVar[dict[type[DomainEvent], Handler]]

    def apply(self, tx: ProjectionTx, event: DomainEvent, envelope: Envelope) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(tx, event, envelope)
