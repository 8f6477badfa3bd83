"""Messages on an event subject that are not valid Fleet events: screened, quarantined, never
fatal.

Whatever NATS lets through (a forged message from a stolen service identity, a buggy
writer), a reader never stops on a message that is not an event: it is recorded once in the
``fleet_quarantine`` KV bucket (keyed by stream and sequence, with its subject and the
reason), counted, logged as an error, and passed over. Only a *valid* event that a handler
fails on stops a reader (a bug), and that reader's health says so.

A message is quarantined when it is not a valid envelope, when its type is unknown to the
registry, when its data fails its schema (after upcasting), or when its subject is not the
subject of the aggregate it names (an event cannot be smuggled into another aggregate).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from typing import NamedTuple

from nats.js import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError, NoKeysError, NotFoundError
from prometheus_client import Counter
from pydantic import ValidationError

from fleet.events import DomainEvent, Envelope, EventError, EventRegistry, aggregate_subject
from fleet.events.catalog import domain_registry
from fleet.eventstore.errors import NATS_TROUBLE
from fleet.eventstore.stream import QUARANTINE_BUCKET

REASON_MAX = 500

QUARANTINED = Counter(
    "fleet_events_quarantined_total",
    "Messages on event subjects that were not valid events, passed over by a reader.",
    ["stream"],
)
_log = logging.getLogger("fleet.eventstore.quarantine")


@cache
def default_registry() -> EventRegistry:
    """Every Fleet event type (built once per process)."""
    return domain_registry()


@dataclass(frozen=True)
class Quarantined:
    """A message at ``sequence`` that a reader passed over, and why."""

    stream: str
    sequence: int
    subject: str
    reason: str
    seen_at: str = ""

    def key(self) -> str:
        return f"{self.stream}.{self.sequence}"

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Quarantined:
        return cls(**json.loads(raw))


class Screened(NamedTuple):
    """A valid stored message: its envelope and its event, decoded once (readers use it)."""

    envelope: Envelope
    event: DomainEvent


def screen(
    payload: bytes, subject: str, sequence: int, prefix: str, registry: EventRegistry
) -> Screened | str:
    """The envelope and event of a stored message, or why it is not a valid Fleet event."""
    try:
        envelope = Envelope.from_wire(payload, sequence)
    except (ValidationError, ValueError) as exc:
        return _short(f"not a Fleet envelope: {_first_error(exc)}")
    try:
        event = registry.decode(envelope)
    # unknown type, schema or upcaster failure (an upcaster reads a dict: a missing key, a
    # wrong type): not a valid event
    except (EventError, ValueError, LookupError, TypeError) as exc:
        return _short(f"{envelope.type} v{envelope.schema_version}: {_first_error(exc)}")
    expected = aggregate_subject(prefix, envelope.aggregate)
    if subject != expected:
        return _short(f"{envelope.type} names aggregate {expected} but was stored on {subject}")
    return Screened(envelope, event)


def refusal(envelope: Envelope, registry: EventRegistry) -> str | None:
    """Why an envelope about to be appended would be quarantined by its readers, or None.

    The checks of :func:`screen`: the bytes about to be published read back as readers
    read them (:func:`fleet.events.wrap` builds the envelope unvalidated; the read costs
    a few microseconds, and the bytes are made once, for this and the publish), and the
    data read back decoded to its type. The subject is the aggregate's by construction:
    the store publishes there.
    """
    try:
        event_type, version, data = Envelope.read_back(envelope.to_wire())
    except ValueError as exc:  # pydantic's ValidationError and msgspec's are ValueErrors
        return _short(f"not a Fleet envelope: {_first_error(exc)}")
    try:
        registry.decode_data(event_type, version, data)
    except (EventError, ValueError, LookupError, TypeError) as exc:
        return _short(f"{envelope.type} v{envelope.schema_version}: {_first_error(exc)}")
    return None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "message"
        return f"{where}: {first.get('msg', 'invalid')}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _short(reason: str) -> str:
    return reason if len(reason) <= REASON_MAX else reason[: REASON_MAX - 1] + "…"


class QuarantineLog:
    """The quarantine bucket: each message recorded once, whichever reader saw it first."""

    def __init__(self, js: JetStreamContext) -> None:
        self._js = js
        self._recorded: set[str] = set()

    async def record(self, item: Quarantined) -> None:
        """Count, log and store ``item`` (once per process; once in the bucket)."""
        if item.key() in self._recorded:
            return
        self._recorded.add(item.key())
        QUARANTINED.labels(stream=item.stream).inc()
        _log.error(
            "event quarantined: stream %s sequence %d subject %s: %s",
            item.stream,
            item.sequence,
            item.subject,
            item.reason,
        )
        stamped = Quarantined(**{**asdict(item), "seen_at": datetime.now(UTC).isoformat()})
        try:
            kv = await self._js.key_value(QUARANTINE_BUCKET)
            await kv.create(item.key(), stamped.to_json())
        except KeyWrongLastSequenceError:
            pass  # another reader recorded it first
        except NATS_TROUBLE as exc:  # the bucket is evidence, not a gate: never stop a reader
            _log.warning("quarantine bucket unavailable (%s): %s", QUARANTINE_BUCKET, exc)

    async def list(self, stream: str | None = None) -> list[Quarantined]:
        """Every quarantined message (of one stream, if given), by stream and sequence."""
        try:
            kv = await self._js.key_value(QUARANTINE_BUCKET)
            keys = await kv.keys()
        except (NotFoundError, NoKeysError):
            return []
        items = []
        for key in keys:
            entry = await kv.get(key)
            if entry.value:
                items.append(Quarantined.from_json(entry.value))
        chosen = [i for i in items if stream is None or i.stream == stream]
        return sorted(chosen, key=lambda i: (i.stream, i.sequence))
