"""Publishing envelopes to JetStream: one event, or an atomic batch (ADR-50, server >= 2.12).

nats-py has no API for atomic batches, so the batch protocol is spoken here with core
publishes plus a final request that carries the commit and receives the PubAck.

PubAcks come back to one reply subscription per connection (:class:`AckInbox`), each
publish told apart by a counter: nats-py's ``request`` draws two random bytes from the
operating system, a NUID and a ``wait_for`` per call, a quarter of an append's CPU.
"""

from __future__ import annotations

import asyncio
import itertools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError

from fleet.events import Envelope
from fleet.eventstore.pull import NO_RESPONDERS, STATUS

EXPECTED_LAST_SUBJECT_SEQ = "Nats-Expected-Last-Subject-Sequence"
MSG_ID = "Nats-Msg-Id"
BATCH_ID = "Nats-Batch-Id"
BATCH_SEQUENCE = "Nats-Batch-Sequence"
BATCH_COMMIT = "Nats-Batch-Commit"
MAX_BATCH = 1000

ERR_WRONG_LAST_SEQUENCE = 10071
ERR_BATCH_DUPLICATE_MSG_ID = 10201
_ACK = msgspec.json.Decoder(dict[str, Any])  # a PubAck or an error, read on every append


@dataclass(frozen=True)
class PublishOutcome:
    """What JetStream answered: the last stored sequence, or an error code and text."""

    last_sequence: int | None
    duplicate: bool = False
    error_code: int | None = None
    error: str = ""


def headers_for(envelope: Envelope, expected: int | None) -> dict[str, str]:
    """Headers of one event message: its id (de-duplication) and the expected sequence.

    Nothing else: the envelope names its type and schema version, and JetStream stores
    every header with the message, where every reader parses it again (nats-py's header
    parser was the largest single cost of a replay; Fleet's type and version headers,
    which no reader used, were 55 % of its work and ~55 bytes an event)."""
    headers: dict[str, str] = {MSG_ID: envelope.id}
    if expected is not None:
        headers[EXPECTED_LAST_SUBJECT_SEQ] = str(expected)
    return headers


async def publish_one(
    nc: Client, subject: str, envelope: Envelope, expected: int | None, timeout: float
) -> PublishOutcome:
    """Publish a single event and wait for its PubAck (read here, not by nats-py's
    per-publish dataclasses)."""
    headers = headers_for(envelope, expected)
    return await acks_of(nc).request(nc, subject, envelope.to_wire(), headers, timeout)


async def publish_batch(
    nc: Client,
    subject: str,
    envelopes: Sequence[Envelope],
    expected: int | None,
    timeout: float,
) -> PublishOutcome:
    """Publish several events of one aggregate as one atomic batch: all stored or none."""
    if not 1 < len(envelopes) <= MAX_BATCH:
        raise ValueError(f"an atomic batch holds 2..{MAX_BATCH} events, not {len(envelopes)}")
    batch_id = envelopes[0].id
    last = len(envelopes)
    for position, envelope in enumerate(envelopes, start=1):
        headers = headers_for(envelope, expected if position == 1 else None)
        headers[BATCH_ID] = batch_id
        headers[BATCH_SEQUENCE] = str(position)
        if position < last:
            await nc.publish(subject, envelope.to_wire(), headers=headers)
            continue
        headers[BATCH_COMMIT] = "1"
        return await acks_of(nc).request(nc, subject, envelope.to_wire(), headers, timeout)
    raise AssertionError("unreachable")


def ack_outcome(answer: dict[str, Any]) -> PublishOutcome:
    """A JetStream PubAck (or error) as a :class:`PublishOutcome`."""
    error = answer.get("error")
    if error:
        return PublishOutcome(
            None, error_code=error.get("err_code"), error=str(error.get("description", error))
        )
    return PublishOutcome(int(answer["seq"]), duplicate=bool(answer.get("duplicate")))


class AckInbox:
    """One connection's reply subscription for PubAcks (``<inbox>.<nuid>.<counter>``).

    Subscribed on first use; nats-py subscribes it again after a reconnect. An answer
    whose publish gave up (timed out, cancelled) finds nobody waiting and is dropped.
    It holds no reference to its connection (the connection's subscription holds it).
    """

    def __init__(self, nc: Client) -> None:
        self._prefix = nc.new_inbox() + "."
        self._skip = len(self._prefix)
        self._tokens = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[Msg]] = {}
        self._subscribed = False
        self._subscribing = asyncio.Lock()

    async def request(
        self, nc: Client, subject: str, payload: bytes, headers: dict[str, str], timeout: float
    ) -> PublishOutcome:
        """Publish with a reply subject of this inbox; the PubAck (or error) it answers.
        ``nats.errors.TimeoutError`` after ``timeout`` s, as nats-py's request raises."""
        if not self._subscribed:
            await self._subscribe(nc)
        token = str(next(self._tokens))
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Msg] = loop.create_future()
        self._waiting[token] = answer
        expiry = loop.call_later(timeout, _expire, answer)
        try:
            await nc.publish(subject, payload, reply=self._prefix + token, headers=headers)
            msg = await answer
        finally:
            expiry.cancel()
            del self._waiting[token]
        if not msg.data and msg.headers and msg.headers.get(STATUS) == NO_RESPONDERS:
            return PublishOutcome(None, error_code=503, error=f"no stream listens on {subject}")
        return ack_outcome(_ACK.decode(msg.data))

    async def _subscribe(self, nc: Client) -> None:
        async with self._subscribing:
            if not self._subscribed:
                await nc.subscribe(self._prefix + "*", cb=self._answered)
                self._subscribed = True

    async def _answered(self, msg: Msg) -> None:
        answer = self._waiting.get(msg.subject[self._skip :])
        if answer is not None and not answer.done():
            answer.set_result(msg)


def _expire(answer: asyncio.Future[Msg]) -> None:
    if not answer.done():
        answer.set_exception(NatsTimeoutError())


_INBOXES: weakref.WeakKeyDictionary[Client, AckInbox] = weakref.WeakKeyDictionary()


def acks_of(nc: Client) -> AckInbox:
    """The PubAck inbox of ``nc`` (one per connection, made on first use)."""
    inbox = _INBOXES.get(nc)
    if inbox is None:
        inbox = _INBOXES[nc] = AckInbox(nc)
    return inbox
