"""The signing hot path's subscriber: a plain nats-py queue subscription on
``cmd.vault.sign``, each request handled in its own task, at most ``max_in_flight`` at
once (beyond that, requests wait in the subscription's queue: back-pressure, not drops).

Why not FastStream, as every other subscriber: on this hot path its per-message machinery
(decoder, fast_depends, access-log middleware, the anyio queue of concurrent subscribers)
costs as much CPU as the signing itself and slows a single request (figures: the README's
"Signing cost and scaling", from bench/vault.py). The credential commands, a few per user
per day, stay on FastStream.

``cmd.vault.sign_batch`` carries several requests in one message (an executor's requests of
one event loop pass): each is answered exactly as alone, concurrently, and the replies go
back together in one message. A batch takes one of the ``max_in_flight`` slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from fleet.events.commands import CommandReply, command_subject
from fleet.events.vault_commands import SignPayload, SignPayloads
from fleet.obs import count_unexpected, get_logger
from fleet.vault import signing
from fleet.vault.metrics import SIGN_REPLIES, SIGN_SECONDS
from fleet.vault.subscribers import QUEUE, Deps, answer, answer_command, invalid_reply

Callback = Callable[[Msg], Awaitable[None]]

INTERNAL_ERROR = (
    CommandReply.failure(
        "unavailable", "the vault service could not sign (internal error); nothing was signed"
    )
    .model_dump_json()
    .encode()
)


class SignSubscriber:
    """Answers ``SignPayload``."""

    def __init__(self, deps: Deps, max_in_flight: int) -> None:
        self._deps = deps
        self._slots = asyncio.Semaphore(max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._subscriptions: list[Subscription] = []

    async def start(self, nc: Client) -> None:
        """Join the ``vault`` queue group (only once the worker can answer)."""
        for subject, answering in (
            (command_subject(SignPayload), self._one),
            (command_subject(SignPayloads), self._batch),
        ):
            self._subscriptions.append(
                await nc.subscribe(subject, queue=QUEUE, cb=self._receiver(answering))
            )

    def _receiver(self, answering: Callable[[bytes], Awaitable[bytes]]) -> Callback:
        async def receive(msg: Msg) -> None:
            await self._slots.acquire()  # nats-py delivers the next message after this
            task = asyncio.create_task(self._handle(msg, answering))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return receive

    async def _handle(self, msg: Msg, answering: Callable[[bytes], Awaitable[bytes]]) -> None:
        try:
            reply = await answering(msg.data)
        finally:
            self._slots.release()
        with contextlib.suppress(Exception):  # the requester may be gone
            await msg.respond(reply)

    async def _one(self, body: bytes) -> bytes:
        started = time.perf_counter()
        return await _counted(answer(SignPayload, signing.sign, body, self._deps), started)

    async def _batch(self, body: bytes) -> bytes:
        started = time.perf_counter()
        try:
            batch = SignPayloads.model_validate_json(body)
        except ValidationError as exc:
            return invalid_reply(exc).model_dump_json().encode()
        replies = await asyncio.gather(
            *(_counted(self._reply_to(c), started) for c in batch.requests)
        )
        # each reply is already its JSON: the batch's is their list in the reply envelope
        return b'{"ok":true,"data":{"replies":[' + b",".join(replies) + b"]}}"

    async def _reply_to(self, command: SignPayload) -> bytes:
        return (await answer_command(command, signing.sign, self._deps)).model_dump_json().encode()

    async def stop(self) -> None:
        """Leave the queue group, then let the requests in flight finish."""
        for subscription in self._subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)


async def _counted(work: Awaitable[bytes], started: float) -> bytes:
    """One request's reply, counted; an unexpected failure is answered, failing closed
    (saying so rather than letting the request time out)."""
    try:
        reply = await work
    except Exception as exc:
        count_unexpected("vault.sign")
        get_logger().error("signing request failed", error=repr(exc))
        reply = INTERNAL_ERROR
    SIGN_SECONDS.observe(time.perf_counter() - started)
    SIGN_REPLIES.labels(_outcome(reply)).inc()
    return reply


def _outcome(reply: bytes) -> str:
    if reply.startswith(b'{"ok":true'):
        return "ok"
    code = json.loads(reply).get("error", {}).get("code", "error")
    return str(code)
