"""A JetStream pull consumer spoken directly: pull requests published here, messages taken
whole from one inbox subscription.

nats-py's ``PullSubscription.fetch`` waits for each message of a batch with its own
``wait_for`` (two tasks per message): in a replay that scheduling cost more than the
reading itself. Here a callback appends every message to a buffer and the reader takes
what arrived at once; two requests stay outstanding, so the server is sending the next
batch while the reader works on this one. The stream sequence and pending count come from
each message's reply subject (:func:`fleet.eventstore.store._position`)."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from fleet.eventstore.errors import NATS_TROUBLE, MessagesLost

STATUS = "Status"
HEARTBEAT = "100"
NO_RESPONDERS = "503"  # a new consumer not placed yet (a cluster electing): ask again soon
UNAVAILABLE_PAUSE_S = 0.25
# no responders this many times in a row: a consumer not placed yet answers within a few,
# one that is gone (a server restarted without it) never does - ask whether it still exists
UNAVAILABLE_CHECK_AFTER = 8
CONSUMER_GONE = ("Consumer Deleted", "Consumer is push based")
OUTSTANDING = 2  # pull requests in flight
GRACE_S = 2.0  # no answer at all this long after a request expired: is the consumer still there?


class RawPull:
    """Read one ephemeral pull consumer of ``stream`` in batches of what has arrived."""

    def __init__(
        self,
        nc: Client,
        js: JetStreamContext,
        stream: str,
        consumer: str,
        *,
        batch: int,
        wait_s: float,
    ) -> None:
        self._nc = nc
        self._js = js
        self._stream = stream
        self._consumer = consumer
        self._batch = batch
        self._wait_s = wait_s
        self._next = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        self._request = json.dumps({"batch": batch, "expires": int(wait_s * 1e9)}).encode()
        self._inbox = nc.new_inbox()
        self._arrived: deque[Msg] = deque()
        self._owed: deque[int] = deque()  # messages each outstanding request may still bring
        self._signal = asyncio.Event()
        self._gone = False
        self._unavailable = False
        self._unavailable_in_a_row = 0
        self._sub: Subscription | None = None
        self._delivered = 0  # the consumer sequence of the last message handed out

    async def __aenter__(self) -> RawPull:
        self._sub = await self._nc.subscribe(self._inbox, cb=self._on_message)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()

    async def _on_message(self, msg: Msg) -> None:
        headers = msg.headers
        if not msg.data and headers and STATUS in headers:
            if headers[STATUS] != HEARTBEAT:
                # 408 expired, 404 nothing, 409 limits or a deleted consumer: request ended
                self._gone = self._gone or headers.get("Description", "") in CONSUMER_GONE
                self._unavailable = headers[STATUS] == NO_RESPONDERS
                if not self._unavailable:
                    self._unavailable_in_a_row = 0
                if self._owed:
                    self._owed.popleft()
            self._signal.set()
            return
        self._arrived.append(msg)
        self._unavailable_in_a_row = 0
        if self._owed:
            self._owed[0] -= 1
            if self._owed[0] <= 0:
                self._owed.popleft()
        self._signal.set()

    async def batches(self) -> AsyncIterator[list[Msg]]:
        """Forever: every message that arrived since the last batch (never an empty one).
        Raises ``NotFoundError`` once the consumer is gone (a server restart), also when
        it is only known by the pull requests finding no responder."""
        while True:
            if self._gone and not self._arrived:
                raise NotFoundError
            if self._unavailable:
                self._unavailable = False
                self._unavailable_in_a_row += 1
                if self._unavailable_in_a_row >= UNAVAILABLE_CHECK_AFTER:
                    self._unavailable_in_a_row = 0
                    # NotFoundError from here when it is gone: the caller makes a new one
                    await self._still_there()
                await asyncio.sleep(UNAVAILABLE_PAUSE_S)
            while len(self._owed) < OUTSTANDING:
                self._owed.append(self._batch)
                await self._nc.publish(self._next, self._request, reply=self._inbox)
            if self._arrived:
                arrived = list(self._arrived)
                self._arrived.clear()
                batch = self._contiguous(arrived)
                if batch:
                    yield batch
                if len(batch) < len(arrived):
                    raise MessagesLost(
                        f"{self._stream}: {len(arrived) - len(batch)} message(s) "
                        "after a gap in the consumer sequence"
                    )
                continue
            self._signal.clear()
            try:
                await asyncio.wait_for(self._signal.wait(), self._wait_s + GRACE_S)
            except TimeoutError:
                await self._lost()

    def _contiguous(self, arrived: list[Msg]) -> list[Msg]:
        """The messages of ``arrived`` up to the first gap in the consumer sequence."""
        # consumer sequences only grow: no gap when the last is as far as the count says
        # (one reply subject parsed per batch, not one per message)
        last = reply_position(arrived[-1])[1]
        if last == self._delivered + len(arrived):
            self._delivered = last
            return arrived
        for index, msg in enumerate(arrived):
            sequence = reply_position(msg)[1]
            if sequence != self._delivered + 1:
                return arrived[:index]
            self._delivered = sequence
        return arrived

    async def _lost(self) -> None:
        # Nothing, not even the requests' expiry, came back: the requests were lost (a
        # reconnect) or the consumer is (NotFoundError from here). Ask afresh.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError
        await self._still_there()
        self._owed.clear()

    async def _still_there(self) -> None:
        """``NotFoundError`` unless the consumer is confirmed to exist: gone, or the
        question failed (a reconnect, or the node holding this one-replica consumer is
        down: it would time out for ever). Either way the store makes a new consumer from
        the first message not yielded, so nothing is lost or read twice, and a follower
        does not end on a timeout."""
        try:
            await self._js.consumer_info(self._stream, self._consumer)
        except NATS_TROUBLE as trouble:
            raise NotFoundError from trouble


def batch_positions(batch: list[Msg]) -> list[tuple[int, int]]:
    """(stream sequence, messages pending) of each message of one pull's batch (not empty).

    The last message's reply subject is read whole. The others give only their stream
    sequence (one split short of the end, at the place the last one's form says: half
    the cost), and their pending count is counted back from the last: exact when nothing
    was appended while the batch was sent, one more per event appended then otherwise.
    Either way it is 0 only for a message that really was the last one there.
    """
    last_sequence, _consumer, last_pending = reply_position(batch[-1])
    count = len(batch)
    tokens = batch[-1].reply.count(".") + 1
    at = 5 if tokens == 9 else 7 if tokens == 12 else None
    positions: list[tuple[int, int]] = []
    try:
        if at is None:
            raise ValueError(tokens)
        for index in range(count - 1):
            sequence = int(batch[index].reply.split(".", at + 1)[at])
            positions.append((sequence, last_pending + count - 1 - index))
    except (ValueError, IndexError):
        positions = [_sequence_and_pending(msg) for msg in batch[:-1]]
    positions.append((last_sequence, last_pending))
    return positions


def _sequence_and_pending(msg: Msg) -> tuple[int, int]:
    sequence, _consumer, pending = reply_position(msg)
    return sequence, pending


def reply_position(msg: Msg) -> tuple[int, int, int]:
    """(stream sequence, consumer sequence, messages pending) of ``msg``.

    JetStream's ack subject carries all three: ``$JS.ACK.<stream>.<consumer>.<delivered>.
    <stream seq>.<consumer seq>.<time>.<pending>`` (9 tokens), or with a domain and account
    hash before the stream and a random token after (12). Split here once instead of
    nats-py's general parser (a third of a replay's per-message overhead); anything else
    falls back to it. The consumer sequence is contiguous for one consumer without acks.
    """
    tokens = msg.reply.split(".")
    try:
        if len(tokens) == 9:
            return int(tokens[5]), int(tokens[6]), int(tokens[8])
        if len(tokens) == 12:
            return int(tokens[7]), int(tokens[8]), int(tokens[10])
    except ValueError:
        pass
    meta = msg.metadata
    return int(meta.sequence.stream), int(meta.sequence.consumer), int(meta.num_pending)
