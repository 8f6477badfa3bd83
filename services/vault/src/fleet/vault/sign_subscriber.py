"""The signing hot path's subscriber: a plain nats-py queue subscription on
``cmd.vault.sign``, each request handled in its own task, at most ``max_in_flight`` at
once (beyond that, requests wait in the subscription's queue: back-pressure, not drops).

Why not FastStream, as every other subscriber: on this hot path its per-message machinery
(decoder, fast_depends, access-log middleware, the anyio queue of concurrent subscribers)
costs as much CPU as the signing itself and slows a single request (figures: the README's
"Signing cost and scaling", from bench/vault.py). The credential commands, a few per user
per day, stay on FastStream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from fleet.events.commands import CommandReply, command_subject
from fleet.events.vault_commands import SignPayload
from fleet.obs import count_unexpected, get_logger
from fleet.vault import signing
from fleet.vault.metrics import SIGN_REPLIES, SIGN_SECONDS
from fleet.vault.subscribers import QUEUE, Deps, answer

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
        self._subscription: Subscription | None = None

    async def start(self, nc: Client) -> None:
        """Join the ``vault`` queue group (only once the worker can answer)."""
        subject = command_subject(SignPayload)
        self._subscription = await nc.subscribe(subject, queue=QUEUE, cb=self._receive)

    async def _receive(self, msg: Msg) -> None:
        await self._slots.acquire()  # nats-py delivers the next message after this returns
        task = asyncio.create_task(self._handle(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, msg: Msg) -> None:
        started = time.perf_counter()
        try:
            reply = await answer(SignPayload, signing.sign, msg.data, self._deps)
        except Exception as exc:  # fail closed, and say so rather than let it time out
            count_unexpected("vault.sign")
            get_logger().error("signing request failed", error=repr(exc))
            reply = INTERNAL_ERROR
        finally:
            self._slots.release()
        with contextlib.suppress(Exception):  # the requester may be gone
            await msg.respond(reply)
        SIGN_SECONDS.observe(time.perf_counter() - started)
        SIGN_REPLIES.labels(_outcome(reply)).inc()

    async def stop(self) -> None:
        """Leave the queue group, then let the requests in flight finish."""
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)


def _outcome(reply: bytes) -> str:
    if reply.startswith(b'{"ok":true'):
        return "ok"
    code = json.loads(reply).get("error", {}).get("code", "error")
    return str(code)
