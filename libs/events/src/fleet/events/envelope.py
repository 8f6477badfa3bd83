"""The one envelope every event travels in, and the identifier types it uses."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NewType

import uuid_utils
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from fleet.events.errors import InvalidAggregateId

EventId = NewType("EventId", str)
AggregateId = NewType("AggregateId", str)
CorrelationId = NewType("CorrelationId", str)
ActorId = NewType("ActorId", str)

SYSTEM_ACTOR = ActorId("system")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


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
        """This envelope as stored at ``sequence`` (no re-validation: nothing else changes)."""
        return self.model_copy(update={"sequence": sequence})

    @classmethod
    def from_wire(cls, payload: bytes, sequence: int) -> Envelope:
        """Parse a stored payload and attach its stream sequence, in one validation: the
        sequence is written into the JSON object as its last member (the last of a
        repeated key wins), which spares the copy of every envelope that attaching it
        afterwards costs (every read of the log goes through here)."""
        body = payload.rstrip()
        if len(body) > 2 and body[-1:] == b"}":
            return cls.model_validate_json(body[:-1] + b',"sequence":%d}' % sequence)
        return cls.model_validate_json(payload).model_copy(update={"sequence": sequence})
