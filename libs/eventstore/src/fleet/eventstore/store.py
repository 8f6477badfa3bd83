"""The event store: append with optimistic concurrency and idempotency, load, subscribe."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Collection,
    Sequence,
)
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple, TypeVar, overload

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, RawStreamMsg
from nats.js.errors import NotFoundError, ServiceUnavailableError

from fleet.events import AggregateRef, DomainEvent, Envelope, EventRegistry, aggregate_subject
from fleet.events.subjects import all_events_subject
from fleet.events.written import note_written
from fleet.eventstore.errors import AppendRejected, ConcurrencyError, EventStoreError, MessagesLost
from fleet.eventstore.publish import (
    ERR_BATCH_DUPLICATE_MSG_ID,
    ERR_WRONG_LAST_SEQUENCE,
    PublishOutcome,
    publish_batch,
    publish_one,
)
from fleet.eventstore.pull import RawPull, batch_positions
from fleet.eventstore.quarantine import (
    Quarantined,
    QuarantineLog,
    default_registry,
    refusal,
    screen,
)
from fleet.eventstore.stream import StreamSpec
from fleet.ratelimit.retries import Backoff, retried, retried_after

_LAST_SEQUENCE = re.compile(r"wrong last sequence: (\d+)")
_RETRY_SIGNS = {ERR_WRONG_LAST_SEQUENCE, ERR_BATCH_DUPLICATE_MSG_ID}
FETCH_BATCH = 1000
FETCH_WAIT_S = 2.0
READER_IDLE_S = 30.0
SUBJECT_MAX = 256  # a quarantined subject is recorded up to this length
# A JetStream cluster answers "unavailable" (503, no responders) for a few seconds while
# it elects a stream's leader (a node lost, a fresh R3 stream): asked again after about
# 0.25, 0.5, 1 and 2 s (3.75 s in all; jitter takes up to a tenth off each, so that the
# readers of one stream do not ask in step) before the caller sees the error. Appends
# carry Nats-Msg-Id, so asking again never stores an event twice.
UNAVAILABLE_ATTEMPTS = 5
UNAVAILABLE_FIRST_PAUSE_S = 0.25
UNAVAILABLE_JITTER_S = 0.025
UNAVAILABLE = 503

T = TypeVar("T")


class StoredEvent(NamedTuple):
    """An envelope read from a subscription, its event (decoded once, by the screen every
    read passes), and how many events remain after it. (A named tuple: built for every
    event read, at half a frozen dataclass's cost.)"""

    envelope: Envelope
    event: DomainEvent
    pending: int


@dataclass(frozen=True)
class NotRead:
    """A position holding a type the reader said it does not use: passed over without
    being decoded or screened (another reader that uses it screens it)."""

    sequence: int
    pending: int


@dataclass(frozen=True)
class PassedOver:
    """A position in the log that held no valid event (quarantined), and what remains."""

    quarantined: Quarantined
    pending: int


class EventStore:
    """Append-only event log on one JetStream stream, one subject per aggregate.

    Every message read is screened against ``registry`` (default: every Fleet event type):
    one that is not a valid event is quarantined and passed over, never returned and never
    fatal (see :mod:`fleet.eventstore.quarantine`). Appends are screened the same way
    first, so Fleet's own code can never write what its readers would refuse.
    """

    def __init__(
        self,
        nc: Client,
        spec: StreamSpec,
        *,
        timeout: float = 5.0,
        registry: EventRegistry | None = None,
    ) -> None:
        self._nc = nc
        self._js = nc.jetstream(timeout=timeout)
        self._spec = spec
        self._timeout = timeout
        self._registry = registry or default_registry()
        self.quarantine = QuarantineLog(self._js)

    @property
    def nc(self) -> Client:
        """The NATS connection this store speaks through."""
        return self._nc

    @property
    def spec(self) -> StreamSpec:
        """The stream this store writes to."""
        return self._spec

    def subject(self, aggregate: AggregateRef) -> str:
        """The subject of one aggregate instance."""
        return aggregate_subject(self._spec.prefix, aggregate)

    async def append(
        self,
        aggregate: AggregateRef,
        envelopes: Sequence[Envelope],
        expected_version: int | None,
    ) -> list[Envelope]:
        """Store ``envelopes`` atomically after ``expected_version`` (the stream sequence of
        the aggregate's last event, 0 for a new one; ``None`` skips the check).

        Re-sending events whose ids are already stored is a success and returns the stored
        copies, whether the server answers ``duplicate`` (cluster) or "wrong last
        sequence" (single server). Raises :class:`ConcurrencyError` on a real conflict.
        """
        if not envelopes:
            return []
        for envelope in envelopes:
            if envelope.aggregate is not aggregate and envelope.aggregate != aggregate:
                raise ValueError(f"event {envelope.id} belongs to {envelope.aggregate}")
            refused = refusal(envelope, self._registry)
            if refused is not None:
                raise AppendRejected(f"event {envelope.id} is not a valid event: {refused}")
        subject = self.subject(aggregate)

        async def publish(_attempt: int = 1) -> PublishOutcome:
            if len(envelopes) == 1:
                outcome = await publish_one(
                    self._nc, subject, envelopes[0], expected_version, self._timeout
                )
            else:
                outcome = await publish_batch(
                    self._nc, subject, envelopes, expected_version, self._timeout
                )
            if outcome.error_code == UNAVAILABLE:
                raise _StillElecting(outcome)
            return outcome

        try:
            # the first attempt made here, the rest (a leader election) by the retry rule:
            # every append's answer passes back through no wrapper
            try:
                outcome = await publish()
            except _ELECTING as failure:
                outcome = await retried_after(failure, publish, _ELECTING, **_ELECTION_BACKOFF)
        except _StillElecting as exc:
            outcome = exc.outcome  # settled below like any other refusal
        stored = await self._settle(aggregate, envelopes, expected_version, outcome)
        note_written(stored[-1].sequence)  # the reply of the command doing this says so
        return stored

    async def _settle(
        self,
        aggregate: AggregateRef,
        envelopes: Sequence[Envelope],
        expected: int | None,
        outcome: PublishOutcome,
    ) -> list[Envelope]:
        if outcome.last_sequence is not None and not outcome.duplicate:
            first = outcome.last_sequence - len(envelopes) + 1
            return [e.with_sequence(first + i) for i, e in enumerate(envelopes)]
        if outcome.duplicate or outcome.error_code in _RETRY_SIGNS:
            stored = await self._already_stored(aggregate, envelopes, expected)
            if stored is not None:
                return stored
            if outcome.error_code == ERR_WRONG_LAST_SEQUENCE and expected is not None:
                raise ConcurrencyError(aggregate, expected, _actual(outcome.error))
        raise AppendRejected(f"append to {self.subject(aggregate)} refused: {outcome.error}")

    async def _already_stored(
        self, aggregate: AggregateRef, envelopes: Sequence[Envelope], expected: int | None
    ) -> list[Envelope] | None:
        """The stored copies of ``envelopes`` if an earlier attempt stored them all; if it
        stored their first ones and nothing else came after (a save whose answer was lost
        -- a timeout, a NATS restart -- then retried with more events recorded since), the
        rest appended after those; ``None`` if someone else wrote."""
        wanted = [e.id for e in envelopes]
        stored, last = await self.load_versioned(aggregate, after=expected or 0)
        by_id = {e.id: e for e in stored}
        if all(event_id in by_id for event_id in wanted):
            return [by_id[event_id] for event_id in wanted]
        ours = [e.id for e in stored] == wanted[: len(stored)]
        if expected is None or not stored or not ours or last != stored[-1].sequence:
            return None
        rest = await self.append(aggregate, envelopes[len(stored) :], expected_version=last)
        return stored + rest

    async def _last_msg(self, subject: str) -> RawStreamMsg:
        return await _while_electing(lambda: self._js.get_last_msg(self._spec.name, subject))

    async def version(self, aggregate: AggregateRef) -> int:
        """The stream sequence of the aggregate's last event, 0 if it has none."""
        try:
            last = await self._last_msg(self.subject(aggregate))
        except NotFoundError:
            return 0
        return int(last.seq or 0)

    async def last_sequence_of(self, subject: str) -> int:
        """The stream sequence of the last event matching ``subject`` (wildcards allowed),
        0 if none does."""
        try:
            last = await self._last_msg(subject)
        except NotFoundError:
            return 0
        return int(last.seq or 0)

    async def last(self, aggregate: AggregateRef) -> Envelope | None:
        """The aggregate's last event, or ``None`` (one direct get, no replay)."""
        try:
            message = await self._last_msg(self.subject(aggregate))
        except NotFoundError:
            return None
        return Envelope.from_wire(message.data or b"", int(message.seq or 0))

    async def load(self, aggregate: AggregateRef, *, after: int = 0) -> list[Envelope]:
        """Every event of ``aggregate`` with a sequence above ``after``, in order."""
        events, _ = await self.load_versioned(aggregate, after=after)
        return events

    @property
    def registry(self) -> EventRegistry:
        """The event types every read is screened (and decoded) against."""
        return self._registry

    async def load_versioned(
        self, aggregate: AggregateRef, *, after: int = 0
    ) -> tuple[list[Envelope], int]:
        """The aggregate's events above ``after`` and its version: the sequence of the last
        message on its subject, a quarantined one included (the next append expects it)."""
        stored, last = await self.load_stored(aggregate, after=after)
        return [item.envelope for item in stored], last

    async def load_stored(
        self, aggregate: AggregateRef, *, after: int = 0
    ) -> tuple[list[StoredEvent], int]:
        """As :meth:`load_versioned`, each envelope with its decoded event."""
        last = await self.version(aggregate)
        if last <= after:
            return [], last
        events = []
        async with contextlib.aclosing(self._read([self.subject(aggregate)], after + 1)) as read:
            async for item in read:
                if isinstance(item, StoredEvent):
                    events.append(item)
                if position_of(item) >= last:
                    break
        return events, last

    async def last_sequence(self) -> int:
        """The stream's last sequence (0 when empty)."""
        info = await self._js.stream_info(self._spec.name)
        return int(info.state.last_seq)

    def subscribe(
        self,
        *,
        from_sequence: int = 1,
        subject: str | None = None,
        subjects: Sequence[str] = (),
        from_time: datetime | None = None,
    ) -> AsyncGenerator[StoredEvent, None]:
        """Every event from ``from_sequence`` on (or from the first stored at or after
        ``from_time``), optionally of one ``subject`` filter or several ``subjects``, in
        stream order, then new ones as they are appended. Ends only when the caller stops."""
        filters = list(subjects) or [subject or all_events_subject(self._spec.prefix)]
        return self._valid(self._read(filters, from_sequence, from_time))

    @overload
    def follow(
        self, *, from_sequence: int = 1, subject: str | None = None, types: None = None
    ) -> AsyncGenerator[StoredEvent | PassedOver, None]: ...

    @overload
    def follow(
        self, *, from_sequence: int = 1, subject: str | None = None, types: Collection[str]
    ) -> AsyncGenerator[StoredEvent | PassedOver | NotRead, None]: ...

    def follow(
        self,
        *,
        from_sequence: int = 1,
        subject: str | None = None,
        types: Collection[str] | None = None,
    ) -> AsyncGenerator[StoredEvent | PassedOver | NotRead, None]:
        """Like :meth:`subscribe`, but a quarantined position is yielded as
        :class:`PassedOver` (for readers that checkpoint every sequence). With ``types``,
        a message of another type is yielded as :class:`NotRead`, undecoded: only what
        the reader uses is decoded and screened, and nothing unscreened is ever applied."""
        filters = [subject or all_events_subject(self._spec.prefix)]
        return self._read(filters, from_sequence, types=types)

    def follow_batches(
        self,
        *,
        from_sequence: int = 1,
        subject: str | None = None,
        types: Collection[str] | None = None,
    ) -> AsyncGenerator[list[StoredEvent | PassedOver | NotRead], None]:
        """:meth:`follow` a batch at a time: what one pull brought, screened in one pass
        (never empty). For readers that apply many events together (projection catch-up
        and rebuilds): a replay spends no per-event step between the reader and them."""
        filters = [subject or all_events_subject(self._spec.prefix)]
        return self._read_batches(filters, from_sequence, types=types)

    async def _valid(
        self, read: AsyncGenerator[StoredEvent | PassedOver | NotRead, None]
    ) -> AsyncGenerator[StoredEvent, None]:
        async with contextlib.aclosing(read):
            async for item in read:
                if isinstance(item, StoredEvent):
                    yield item

    async def _read(
        self,
        filters: list[str],
        start: int,
        from_time: datetime | None = None,
        types: Collection[str] | None = None,
    ) -> AsyncGenerator[StoredEvent | PassedOver | NotRead, None]:
        async with contextlib.aclosing(
            self._read_batches(filters, start, from_time, types)
        ) as read:
            async for batch in read:
                for item in batch:
                    yield item

    async def _read_batches(
        self,
        filters: list[str],
        start: int,
        from_time: datetime | None = None,
        types: Collection[str] | None = None,
    ) -> AsyncGenerator[list[StoredEvent | PassedOver | NotRead], None]:
        # A pull consumer: the reader fetches only what it can take, so a slow projection
        # applies back-pressure instead of overflowing the client (push consumers drop
        # messages as "slow consumer" when PostgreSQL lags during a large replay).
        position = max(start, 1)
        while True:
            config = _reader_config(filters, position, from_time)
            await _while_electing(
                lambda: self._js.add_consumer(self._spec.name, config)  # noqa: B023 - awaited here
            )
            pull = RawPull(
                self._nc,
                self._js,
                self._spec.name,
                str(config.name),
                batch=FETCH_BATCH,
                wait_s=FETCH_WAIT_S,
            )
            try:
                async with pull:
                    async for batch in pull.batches():
                        items = [
                            self._screened(msg, sequence, pending, types)
                            for msg, (sequence, pending) in zip(
                                batch, batch_positions(batch), strict=True
                            )
                        ]
                        for item in items:
                            if isinstance(item, PassedOver):
                                await self.quarantine.record(item.quarantined)
                        # the next batch is asked for only once this one is taken whole
                        position = position_of(items[-1]) + 1
                        from_time = None  # resume by sequence after a reconnect
                        yield items
            except (NotFoundError, MessagesLost):
                # the ephemeral consumer vanished (server restart) or messages it sent were
                # lost on the way (a reconnect): read again from the first one not yielded
                continue
            finally:
                # Delete the consumer now: an abandoned one would count against the
                # server's consumer limit until its inactivity threshold (a burst of
                # aggregate loads reached that limit).
                with contextlib.suppress(Exception):
                    await self._js.delete_consumer(self._spec.name, str(config.name))

    def _screened(
        self, msg: Msg, sequence: int, pending: int, types: Collection[str] | None
    ) -> StoredEvent | PassedOver | NotRead:
        if types is not None:
            peeked = _peeked_type(msg.data)
            if peeked is not None and peeked not in types:
                return NotRead(sequence, pending)
        found = screen(msg.data, msg.subject, sequence, self._spec.prefix, self._registry)
        if not isinstance(found, str):
            return StoredEvent(found.envelope, found.event, pending)
        item = Quarantined(self._spec.name, sequence, msg.subject[:SUBJECT_MAX], found)
        return PassedOver(item, pending)


class _TypeOnly(msgspec.Struct):
    type: str = ""


# the type of a stored message, read without decoding the rest (about 1 µs where the full
# screen takes 30-40): a reader passes over what it does not use before paying for it
_PEEK = msgspec.json.Decoder(_TypeOnly)


def _peeked_type(payload: bytes) -> str | None:
    try:
        return _PEEK.decode(payload).type
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None  # not even JSON with a text type: screened (and quarantined) as before


def _reader_config(filters: list[str], start: int, from_time: datetime | None) -> ConsumerConfig:
    config = ConsumerConfig(
        name=f"reader_{uuid.uuid4().hex}",
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=start,
        ack_policy=AckPolicy.NONE,
        mem_storage=True,
        num_replicas=1,
        inactive_threshold=READER_IDLE_S,
    )
    if from_time is not None:
        config.deliver_policy, config.opt_start_seq = DeliverPolicy.BY_START_TIME, None
        config.opt_start_time = from_time.astimezone(UTC)
    if len(filters) > 1:
        config.filter_subjects = filters
    else:
        config.filter_subject = filters[0]
    return config


class _StillElecting(EventStoreError):
    """An append answered "unavailable" (503): asked again like a raised one."""

    error_code = "stream_still_electing"

    def __init__(self, outcome: PublishOutcome) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


_ELECTING = (ServiceUnavailableError, _StillElecting)
_ELECTION_BACKOFF: Backoff = {
    "attempts": UNAVAILABLE_ATTEMPTS,
    "first_pause_s": UNAVAILABLE_FIRST_PAUSE_S,
    "jitter_s": UNAVAILABLE_JITTER_S,
}


async def _while_electing(call: Callable[[], Awaitable[T]]) -> T:
    """``call()``, asked again while JetStream answers "unavailable" (a leader election);
    the error once :data:`UNAVAILABLE_ATTEMPTS` are spent."""
    return await retried(call, _ELECTING, **_ELECTION_BACKOFF)


def position_of(item: StoredEvent | PassedOver | NotRead) -> int:
    """The stream sequence of what a reader read, whatever it was."""
    if isinstance(item, PassedOver):
        return item.quarantined.sequence
    if isinstance(item, NotRead):
        return item.sequence
    return item.envelope.sequence or 0


def _actual(error: str) -> int | None:
    match = _LAST_SEQUENCE.search(error)
    return int(match.group(1)) if match else None
