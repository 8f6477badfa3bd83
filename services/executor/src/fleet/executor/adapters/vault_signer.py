"""Signatures from the vault service over NATS request-reply: the BingX secret never
leaves Vault, so this process never holds it (it receives a signature for one request).

The API key (the ``X-BX-APIKEY`` header, not a secret that can sign) comes with the first
signature and is kept for the next ones, which then ask vault for the signature only (one
Vault call instead of two). A new credential (``generation`` changes) drops it.

Requests go through the connection's reply inbox (:mod:`fleet.eventstore.replies`):
nats-py's own ``request`` cost a system call for random bytes and a ``wait_for`` per
signature."""

from __future__ import annotations

from collections.abc import Callable

import nats.errors
from nats.aio.client import Client

from fleet.bingx import Signature
from fleet.events.commands import Actor, Reply, command_subject
from fleet.events.vault_commands import PayloadSigned, SignPayload
from fleet.eventstore.replies import request
from fleet.executor.errors import SigningUnavailable
from fleet.executor.metrics import SIGN_SECONDS
from fleet.obs import current_correlation_id

SIGN_SUBJECT = command_subject(SignPayload)
SIGN_TIMEOUT_S = 5.0
EXECUTOR_ACTOR = Actor(user_id="executor", role="system")
SignReply = Reply[PayloadSigned]


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
        try:
            with SIGN_SECONDS.time():
                reply = await request(
                    self._nc,
                    SIGN_SUBJECT,
                    command.model_dump_json().encode(),
                    timeout=self._timeout,
                )
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError) as exc:
            raise SigningUnavailable(f"the vault service did not answer: {exc!r}") from None
        answer = SignReply.model_validate_json(reply.data)
        if answer.data is None:
            reason = answer.error.message if answer.error else "unknown"
            raise SigningUnavailable(f"vault refused to sign: {reason}")
        return answer.data
