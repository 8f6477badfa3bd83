"""The one envelope every event travels in, and the identifier types it uses."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache, cached_property
from typing import Annotated, Any, NewType, TypeVar

import msgspec
import uuid_utils
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from fleet.events.errors import InvalidAggregateId

EventId = NewType("EventId", str)
AggregateId = NewType("AggregateId", str)
CorrelationId = NewType("CorrelationId", str)
ActorId = NewType("ActorId", str)

SYSTEM_ACTOR = ActorId("system")
_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
_TOKEN = re.compile(_NAME_PATTERN)


def new_event_id() -> EventId:
    """A new UUIDv7 (time-ordered) event id."""
    return EventId(str(uuid_utils.uuid7()))


def check_token(value: str, what: str) -> str:
    """Ensure ``value`` is usable as one NATS subject token (no dots, spaces or wildcards)."""
    if not _TOKEN.match(value):
        raise InvalidAggregateId(
            f"{what} {value!r} must be 1-128 characters of letters, digits, '-' or '_'"
        )
    return value


class AggregateRef(BaseModel):
    """Which aggregate instance an event belongs to: its type (``user``) and id."""

    model_config = ConfigDict(frozen=True)

    type: str
    id: AggregateId = Field(json_schema_extra={"maxLength": 128})  # checked by _id_is_token

    @field_validator("type")
    @classmethod
    def _type_is_token(cls, value: str) -> str:
        return check_token(value, "aggregate type")

    @field_validator("id")
    @classmethod
    def _id_is_token(cls, value: str) -> str:
        return check_token(value, "aggregate id")


class Envelope(BaseModel):
    """A stored (or about to be stored) event: metadata plus the raw ``data`` of its type.

    ``sequence`` is the JetStream stream sequence, known once the event is stored; it is
    also the aggregate's version after this event.
    """

    model_config = ConfigDict(frozen=True)

    id: EventId = Field(default_factory=new_event_id, max_length=64)
    type: str = Field(max_length=64)
    schema_version: int = Field(ge=1)
    aggregate: AggregateRef
    sequence: int | None = None
    occurred_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    causation_id: EventId | None = None
    correlation_id: CorrelationId | None = None
    actor: ActorId = Field(default=SYSTEM_ACTOR, max_length=128)
    data: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    def to_wire(self) -> bytes:
        """JSON bytes as stored in the log (the sequence is the log's, not the payload's)."""
        return self._wire

    @cached_property
    def _wire(self) -> bytes:
        # made once: an append screens the bytes it then publishes
        return self.model_dump_json(exclude={"sequence"}).encode()

    def with_sequence(self, sequence: int) -> Envelope:
        """This envelope as stored at ``sequence`` (no re-validation: nothing else changes;
        its wire bytes, which hold no sequence, go with it)."""
        return _assembled(type(self), {**self.__dict__, "sequence": sequence})

    @classmethod
    def assemble(  # noqa: PLR0913 - one per field, each checked by the caller
        cls,
        *,
        id: EventId,
        type: str,
        schema_version: int,
        aggregate: AggregateRef,
        sequence: int | None,
        occurred_at: datetime,
        causation_id: EventId | None,
        correlation_id: CorrelationId | None,
        actor: ActorId,
        data: dict[str, Any],
    ) -> Envelope:
        """An envelope of values already checked (every field given, none validated again):
        what :func:`fleet.events.wrap` builds from a typed event and :meth:`from_wire`
        from a checked payload. A fifth of ``model_construct``'s cost, which every
        append and every read of the log paid."""
        values = {
            "id": id,
            "type": type,
            "schema_version": schema_version,
            "aggregate": aggregate,
            "sequence": sequence,
            "occurred_at": occurred_at,
            "causation_id": causation_id,
            "correlation_id": correlation_id,
            "actor": actor,
            "data": data,
        }
        return _assembled(cls, values)

    @classmethod
    def from_wire(cls, payload: bytes, sequence: int) -> Envelope:
        """Parse a stored payload and attach its stream sequence (the log's, whatever the
        payload says). Checked by msgspec against the same rules as the model (a third
        of pydantic's cost, on every read of the log); a payload it refuses is validated
        by the model itself, so nothing the model accepts is refused (msgspec is the
        stricter of the two: no "1" for 1, no integer beyond 64 bits, no 1e400)."""
        try:
            wire = _WIRE.decode(payload)
        except msgspec.DecodeError:  # ValidationError is one
            return cls._validated(payload, sequence)
        aggregate = _ref(wire.aggregate.type, wire.aggregate.id)
        if aggregate is None:  # not tokens: the model says why
            return cls._validated(payload, sequence)
        occurred_at = wire.occurred_at
        if occurred_at.tzinfo is not UTC:
            occurred_at = occurred_at.astimezone(UTC)
        values = {
            "id": wire.id,
            "type": wire.type,
            "schema_version": wire.schema_version,
            "aggregate": aggregate,
            "sequence": sequence,
            "occurred_at": occurred_at,
            "causation_id": wire.causation_id,
            "correlation_id": wire.correlation_id,
            "actor": wire.actor,
            "data": wire.data,
        }
        return _assembled(cls, values)

    @classmethod
    def read_back(cls, payload: bytes) -> tuple[str, int, dict[str, Any]]:
        """The type, schema version and data a reader gets from ``payload``, checked as
        :meth:`from_wire` checks it (the same errors), without building the envelope:
        what an append's self-check needs of the bytes it is about to publish."""
        try:
            wire = _WIRE.decode(payload)
        except msgspec.DecodeError:
            wire = None
        if wire is None or _ref(wire.aggregate.type, wire.aggregate.id) is None:
            envelope = cls._validated(payload, 1)
            return envelope.type, envelope.schema_version, envelope.data
        return wire.type, wire.schema_version, wire.data

    @classmethod
    def _validated(cls, payload: bytes, sequence: int) -> Envelope:
        # the model's own validation, with the sequence written in as the object's last
        # member (the last of a repeated key wins): no copy to attach it afterwards
        body = payload.rstrip()
        if len(body) > 2 and body[-1:] == b"}":
            return cls.model_validate_json(body[:-1] + b',"sequence":%d}' % sequence)
        return cls.model_validate_json(payload).model_copy(update={"sequence": sequence})


_set = object.__setattr__
M = TypeVar("M", bound=BaseModel)


def _assembled(model: type[M], values: dict[str, Any]) -> M:
    """``model`` holding ``values`` (one per field), not validated: what pydantic's
    ``model_construct`` ends with, without its pass over every field's default and alias."""
    built = model.__new__(model)
    _set(built, "__dict__", values)
    _set(built, "__pydantic_fields_set__", set(_field_names(model)))  # its own: copies add
    _set(built, "__pydantic_extra__", None)
    _set(built, "__pydantic_private__", None)
    return built


# An aggregate's events are read together (a replay, a load): its reference, which is
# frozen, is checked and built once and shared by all of them (a lookup, not two pattern
# matches and a model, per read: half of msgspec's decoding time was the patterns).
_REFS: dict[tuple[str, str], AggregateRef] = {}
_REFS_MAX = 65_536


def _ref(aggregate_type: str, aggregate_id: str) -> AggregateRef | None:
    """The shared reference, or None when type or id is not a token (never cached)."""
    key = (aggregate_type, aggregate_id)
    ref = _REFS.get(key)
    if ref is None:
        if not (_TOKEN.match(aggregate_type) and _TOKEN.match(aggregate_id)):
            return None
        if len(_REFS) >= _REFS_MAX:
            _REFS.clear()
        ref = _REFS[key] = _assembled(AggregateRef, {"type": aggregate_type, "id": aggregate_id})
    return ref


class _WireRef(msgspec.Struct):
    type: str  # tokens: checked by _ref
    id: str


class _WireEnvelope(msgspec.Struct):
    """The envelope as stored, checked as :class:`Envelope` checks it (unknown members,
    ``sequence`` among them, are ignored)."""

    type: Annotated[str, msgspec.Meta(max_length=64)]
    schema_version: Annotated[int, msgspec.Meta(ge=1)]
    aggregate: _WireRef
    data: dict[str, Any]
    id: Annotated[str, msgspec.Meta(max_length=64)] = msgspec.field(default_factory=new_event_id)
    occurred_at: Annotated[datetime, msgspec.Meta(tz=True)] = msgspec.field(
        default_factory=lambda: datetime.now(UTC)
    )
    causation_id: str | None = None
    correlation_id: str | None = None
    actor: Annotated[str, msgspec.Meta(max_length=128)] = SYSTEM_ACTOR


_WIRE = msgspec.json.Decoder(_WireEnvelope)


@cache
def _field_names(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(model.model_fields)
