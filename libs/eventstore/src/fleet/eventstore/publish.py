"""Publishing envelopes to JetStream: one event, or an atomic batch (ADR-50, server >= 2.12).

nats-py has no API for atomic batches, so the batch protocol is spoken here with core
publishes plus a final request that carries the commit and receives the PubAck.

PubAcks come back to the connection's reply inbox (:mod:`fleet.eventstore.replies`), not
nats-py's ``request``, whose per-call costs were a quarter of an append's CPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from nats.aio.client import Client
from nats.errors import NoRespondersError

from fleet.events import Envelope
from fleet.eventstore.replies import replies_of

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
    return await acked(nc, subject, envelope.to_wire(), headers, timeout)


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
        return await acked(nc, subject, envelope.to_wire(), headers, timeout)
    raise AssertionError("unreachable")


def ack_outcome(answer: dict[str, Any]) -> PublishOutcome:
    """A JetStream PubAck (or error) as a :class:`PublishOutcome`."""
    error = answer.get("error")
    if error:
        return PublishOutcome(
            None, error_code=error.get("err_code"), error=str(error.get("description", error))
        )
    return PublishOutcome(int(answer["seq"]), duplicate=bool(answer.get("duplicate")))


async def acked(
    nc: Client, subject: str, payload: bytes, headers: dict[str, str], timeout: float
) -> PublishOutcome:
    """Publish and wait for the PubAck (or error); nobody listening on ``subject`` (no
    stream, or a leader election under way) is the outcome 503.
    ``nats.errors.TimeoutError`` after ``timeout`` s."""
    try:
        msg = await replies_of(nc).request(nc, subject, payload, timeout=timeout, headers=headers)
    except NoRespondersError:
        return PublishOutcome(None, error_code=503, error=f"no stream listens on {subject}")
    return ack_outcome(_ACK.decode(msg.data))
