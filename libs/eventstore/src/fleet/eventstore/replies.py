"""Request-reply through one reply subscription per connection.

nats-py's ``request`` draws two random bytes from the operating system
(``secrets.token_hex``, a system call), makes a NUID and wraps its wait in ``wait_for`` at
every call: a quarter of an append's CPU, and as much of each signature the executor
asks vault for. Here every request of a connection shares one subscription
(``<inbox>.<nuid>.*``) and is told apart by a counter; its wait ends with a timer.

The errors are nats-py's: ``nats.errors.TimeoutError`` when no answer came in time,
``nats.errors.NoRespondersError`` when nobody listens on the subject (the server's 503
status). An answer that comes after its request gave up finds nobody waiting and is
dropped. nats-py subscribes the inbox again after a reconnect.
"""

from __future__ import annotations

import asyncio
import itertools
import weakref

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from fleet.eventstore.pull import NO_RESPONDERS, STATUS


class ReplyInbox:
    """One connection's reply subscription (``<inbox>.<nuid>.<counter>``), subscribed on
    first use. It holds no reference to its connection (the connection's subscription
    holds it)."""

    def __init__(self, nc: Client) -> None:
        self._prefix = nc.new_inbox() + "."
        self._skip = len(self._prefix)
        self._tokens = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[Msg]] = {}
        self._subscribed = False
        self._subscribing = asyncio.Lock()

    async def request(
        self,
        nc: Client,
        subject: str,
        payload: bytes,
        *,
        timeout: float,
        headers: dict[str, str] | None = None,
    ) -> Msg:
        """Publish ``payload`` with a reply subject of this inbox; the answer."""
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
            raise NoRespondersError
        return msg

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


_INBOXES: weakref.WeakKeyDictionary[Client, ReplyInbox] = weakref.WeakKeyDictionary()


def replies_of(nc: Client) -> ReplyInbox:
    """The reply inbox of ``nc`` (one per connection, made on first use)."""
    inbox = _INBOXES.get(nc)
    if inbox is None:
        inbox = _INBOXES[nc] = ReplyInbox(nc)
    return inbox


async def request(nc: Client, subject: str, payload: bytes, *, timeout: float) -> Msg:
    """``nc.request(subject, payload, timeout=timeout)``, through ``nc``'s reply inbox."""
    return await replies_of(nc).request(nc, subject, payload, timeout=timeout)
