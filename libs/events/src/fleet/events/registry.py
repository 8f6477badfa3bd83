"""Event types, their registry, and upcasting of old schema versions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from fleet.events.envelope import (
    SYSTEM_ACTOR,
    ActorId,
    AggregateRef,
    CorrelationId,
    Envelope,
    EventId,
    new_event_id,
)
from fleet.events.errors import UnknownEventType, UpcastError

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class DomainEvent(BaseModel):
    """Base of every event type: frozen, strict about unknown fields, named and versioned."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def idempotency_key(self) -> str | None:
        """A fact that several paths may report (a fill by stream and by query) names its
        identity here; its envelope id is then derived from it, so a second append of the
        same fact is a duplicate the event log drops. ``None``: a fresh id per event."""
        return None


class EventRegistry:
    """Maps wire names to event classes and upcasts stored data to the current version.

    An upcaster registered for ``(type, v)`` turns data of version ``v`` into ``v + 1``;
    :meth:`decode` chains them until the class's current version is reached.
    """

    def __init__(self, event_classes: Iterable[type[DomainEvent]] = ()) -> None:
        self._classes: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        for cls in event_classes:
            self.register(cls)

    def register(self, cls: type[DomainEvent]) -> type[DomainEvent]:
        """Declare an event class; a second class with the same wire name is an error."""
        existing = self._classes.get(cls.event_type)
        if existing is not None and existing is not cls:
            raise ValueError(f"event type {cls.event_type!r} is declared twice")
        self._classes[cls.event_type] = cls
        return cls

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: register ``fn(data_v) -> data_v+1`` for ``event_type``."""

        def add(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return add

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._classes

    @property
    def event_types(self) -> list[str]:
        """Every registered wire name, sorted."""
        return sorted(self._classes)

    def class_for(self, event_type: str, version: int = 1) -> type[DomainEvent]:
        """The class for a wire name, or :class:`UnknownEventType`."""
        cls = self._classes.get(event_type)
        if cls is None or version > cls.schema_version:
            raise UnknownEventType(event_type, version)
        return cls

    def decode(self, envelope: Envelope) -> DomainEvent:
        """The typed event inside ``envelope``, upcast to the current schema version."""
        return self.decode_data(envelope.type, envelope.schema_version, envelope.data)

    def decode_data(self, event_type: str, version: int, data: dict[str, Any]) -> DomainEvent:
        """The typed event of ``data`` stored as ``event_type`` at schema ``version``."""
        cls = self.class_for(event_type, version)
        if version < cls.schema_version:  # every read: upcast only the old
            data = self.upcast(event_type, version, data)
        try:
            # the model's own validator, as model_validate calls it with no options (a
            # third of its cost is the Python call around it, paid on every read)
            event: DomainEvent = cls.__pydantic_validator__.validate_python(data)
        except ValidationError as exc:
            raise UpcastError(f"{event_type} v{version}: {exc}") from exc
        return event

    def upcast(self, event_type: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
        """Apply upcasters from ``version`` up to the class's current version."""
        target = self.class_for(event_type, version).schema_version
        while version < target:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise UpcastError(f"no upcaster for {event_type} v{version} -> v{version + 1}")
            data = step(dict(data))
            version += 1
        return data


def wrap(
    event: DomainEvent,
    aggregate: AggregateRef,
    *,
    actor: ActorId = SYSTEM_ACTOR,
    causation_id: EventId | None = None,
    correlation_id: CorrelationId | None = None,
    event_id: EventId | None = None,
) -> Envelope:
    """Put a typed event in a new envelope (pass ``event_id`` for deterministic ids).

    Every field is already typed and validated (the event by its model, the aggregate by
    :class:`AggregateRef`), so the envelope is constructed without re-validation.
    """
    return Envelope.assemble(
        id=event_id or new_event_id(),
        type=event.event_type,
        schema_version=event.schema_version,
        aggregate=aggregate,
        causation_id=causation_id,
        correlation_id=correlation_id,
        actor=actor,
        data=event.model_dump(mode="json"),
        sequence=None,
        occurred_at=datetime.now(UTC),
    )
