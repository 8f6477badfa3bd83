"""Signatures from the vault service over NATS request-reply: the BingX secret never
leaves Vault, so this process never holds it (it receives a signature for one request).

The API key (the ``X-BX-APIKEY`` header, not a secret that can sign) comes with the first
signature and is kept for the next ones, which then ask vault for the signature only (one
Vault call instead of two). A new credential (``generation`` changes) drops it.

The requests of one event loop pass, every user's, go out together as one
``cmd.vault.sign_batch`` message (:class:`SignBatcher`): under a signal's fan-out, one NATS
message each way and one decode carry tens of signatures. A vault that does not serve the
batch subject yet (an older one, mid-upgrade) gets them one by one on ``cmd.vault.sign``.

Requests go through the connection's reply inbox (:mod:`fleet.eventstore.replies`):
nats-py's own ``request`` cost a system call for random bytes and a ``wait_for`` per
signature."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

import nats.errors
from nats.aio.client import Client

from fleet.bingx import Signature
from fleet.events.commands import Actor, Reply, command_subject
from fleet.events.vault_commands import (
    SIGN_BATCH_MAX,
    PayloadSigned,
    PayloadsSigned,
    SignPayload,
    SignPayloads,
)
from fleet.eventstore.replies import request
from fleet.executor.errors import SigningUnavailable
from fleet.executor.metrics import SIGN_SECONDS
from fleet.obs import current_correlation_id

SIGN_SUBJECT = command_subject(SignPayload)
SIGN_BATCH_SUBJECT = command_subject(SignPayloads)
SIGN_TIMEOUT_S = 5.0
EXECUTOR_ACTOR = Actor(user_id="executor", role="system")
SignReply = Reply[PayloadSigned]
BatchReply = Reply[PayloadsSigned]


class VaultSigner:
    """A :class:`fleet.bingx.Signer` for one user, asking ``cmd.vault.sign``."""

    def __init__(
        self,
        nc: Client,
        user_id: str,
        generation: Callable[[], int] = lambda: 0,
        *,
        timeout_s: float = SIGN_TIMEOUT_S,
    ) -> None:
        self._nc = nc
        self._user_id = user_id
        self._generation = generation
        self._timeout = timeout_s
        self._api_key: tuple[int, str] | None = None

    def __repr__(self) -> str:
        return f"VaultSigner(user={self._user_id})"

    async def sign(self, payload: str) -> Signature:
        generation = self._generation()
        known = self._api_key[1] if self._api_key and self._api_key[0] == generation else None
        signed = await self._ask(payload, with_api_key=known is None)
        api_key = known or signed.api_key
        if api_key is None:
            raise SigningUnavailable("the vault service answered no API key")
        self._api_key = (generation, api_key)
        return Signature(signed.signature, api_key)

    async def _ask(self, payload: str, *, with_api_key: bool) -> PayloadSigned:
        command = SignPayload(
            user_id=self._user_id,
            payload=payload,
            with_api_key=with_api_key,
            actor=EXECUTOR_ACTOR,
            correlation_id=current_correlation_id(),
        )
        with SIGN_SECONDS.time():
            answer = await batcher_of(self._nc, self._timeout).sign(command)
        if answer.data is None:
            reason = answer.error.message if answer.error else "unknown"
            raise SigningUnavailable(f"vault refused to sign: {reason}")
        return answer.data


class SignBatcher:
    """Collects the signature requests of one event loop pass and sends them as one
    :class:`SignPayloads` (at most :data:`SIGN_BATCH_MAX` a message); each caller gets
    its own request's reply, or :class:`SigningUnavailable` when vault did not answer."""

    def __init__(self, nc: Client, timeout_s: float) -> None:
        # weak: the connection's map of batchers must not keep it alive
        self._nc = weakref.ref(nc)
        self._timeout = timeout_s
        self._waiting: list[tuple[SignPayload, asyncio.Future[SignReply]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    def sign(self, command: SignPayload) -> asyncio.Future[SignReply]:
        """The reply to ``command``, sent with the others of this loop pass."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[SignReply] = loop.create_future()
        self._waiting.append((command, answer))
        if len(self._waiting) == 1:
            loop.call_soon(self._flush)
        return answer

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        for start in range(0, len(waiting), SIGN_BATCH_MAX):
            task = asyncio.create_task(self._send(waiting[start : start + SIGN_BATCH_MAX]))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[SignPayload, asyncio.Future[SignReply]]]) -> None:
        try:
            replies = await self._replies([command for command, _ in batch])
        except Exception as exc:  # every caller hears it; none is left waiting
            failure = (
                exc
                if isinstance(exc, SigningUnavailable)
                else SigningUnavailable(f"the vault service did not answer: {exc!r}")
            )
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(failure)
            return
        for (_, answer), reply in zip(batch, replies, strict=True):
            if not answer.done():  # its caller may have given up (cancelled)
                answer.set_result(reply)

    def _connection(self) -> Client:
        nc = self._nc()
        if nc is None:
            raise SigningUnavailable("the NATS connection is gone")
        return nc

    async def _replies(self, commands: list[SignPayload]) -> list[SignReply]:
        body = SignPayloads(requests=commands, actor=EXECUTOR_ACTOR).model_dump_json()
        try:
            message = await request(
                self._connection(), SIGN_BATCH_SUBJECT, body.encode(), timeout=self._timeout
            )
        except nats.errors.NoRespondersError:  # a vault that only signs one at a time
            return list(await asyncio.gather(*(self._alone(c) for c in commands)))
        except nats.errors.TimeoutError as exc:
            raise SigningUnavailable(f"the vault service did not answer: {exc!r}") from None
        answer = BatchReply.model_validate_json(message.data)
        if answer.data is None or len(answer.data.replies) != len(commands):
            reason = answer.error.message if answer.error else "a reply per request missing"
            raise SigningUnavailable(f"vault refused to sign: {reason}")
        return answer.data.replies

    async def _alone(self, command: SignPayload) -> SignReply:
        try:
            message = await request(
                self._connection(),
                SIGN_SUBJECT,
                command.model_dump_json().encode(),
                timeout=self._timeout,
            )
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError) as exc:
            raise SigningUnavailable(f"the vault service did not answer: {exc!r}") from None
        return SignReply.model_validate_json(message.data)


_BATCHERS: weakref.WeakKeyDictionary[Client, dict[float, SignBatcher]] = weakref.WeakKeyDictionary()


def batcher_of(nc: Client, timeout_s: float = SIGN_TIMEOUT_S) -> SignBatcher:
    """The signature batcher of connection ``nc`` for requests that wait ``timeout_s``."""
    batchers = _BATCHERS.setdefault(nc, {})
    batcher = batchers.get(timeout_s)
    if batcher is None:
        batcher = batchers[timeout_s] = SignBatcher(nc, timeout_s)
    return batcher
