"""Signatures from the vault service over NATS request-reply: the BingX secret never
leaves Vault, so this process never holds it (it receives a signature and the API-key
header value for one request)."""

from __future__ import annotations

import json

import nats.errors
from nats.aio.client import Client

from fleet.bingx import Signature
from fleet.events.commands import Actor, command_subject
from fleet.events.vault_commands import SignPayload
from fleet.executor.errors import SigningUnavailable
from fleet.executor.metrics import SIGN_SECONDS

SIGN_SUBJECT = command_subject(SignPayload)
SIGN_TIMEOUT_S = 5.0
EXECUTOR_ACTOR = Actor(user_id="executor", role="system")


class VaultSigner:
    """A :class:`fleet.bingx.Signer` for one user, asking ``cmd.vault.sign``."""

    def __init__(self, nc: Client, user_id: str, *, timeout_s: float = SIGN_TIMEOUT_S) -> None:
        self._nc = nc
        self._user_id = user_id
        self._timeout = timeout_s

    def __repr__(self) -> str:
        return f"VaultSigner(user={self._user_id})"

    async def sign(self, payload: str) -> Signature:
        command = SignPayload(user_id=self._user_id, payload=payload, actor=EXECUTOR_ACTOR)
        try:
            with SIGN_SECONDS.time():
                reply = await self._nc.request(
                    SIGN_SUBJECT, command.model_dump_json().encode(), timeout=self._timeout
                )
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError) as exc:
            raise SigningUnavailable(f"the vault service did not answer: {exc!r}") from None
        body = json.loads(reply.data)
        if not body.get("ok"):
            error = body.get("error") or {}
            raise SigningUnavailable(f"vault refused to sign: {error.get('message', 'unknown')}")
        data = body["data"]
        return Signature(str(data["signature"]), str(data["api_key"]))
