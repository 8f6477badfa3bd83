"""Signing for executors: the hot path. The credential comes from the in-memory view (no
log read), the HMAC is computed inside Vault (transit/hmac, pinned to the key version the
log recorded) while the API key is decrypted inside Vault in parallel (transit/decrypt).
The secret never leaves Vault; the API key in clear exists only in the reply."""

from __future__ import annotations

import asyncio

from fleet.events.commands import CommandReply, Reply
from fleet.events.vault_commands import PayloadSigned, SignPayload
from fleet.vault.deps import VaultDeps
from fleet.vault.domain.credential import Credential
from fleet.vault.errors import KeeperUnavailable
from fleet.vault.metrics import SIGNATURES

NOT_CONNECTED = CommandReply.failure("not_found", "no connected BingX credential for this user")


async def connected_credential(deps: VaultDeps, user_id: str) -> Credential | None:
    """The user's credential if connected (re-checked in the log when the view says no)."""
    credential = await deps.view.get(user_id)
    if not credential.connected:
        credential = await deps.view.refresh(user_id)
    return credential if credential.connected else None


async def sign(command: SignPayload, deps: VaultDeps) -> CommandReply:
    """Signature of one payload and the ``X-BX-APIKEY`` value."""
    signed = await _sign(deps, command.user_id, [command.payload], command.with_api_key)
    if isinstance(signed, CommandReply):
        return signed
    signatures, api_key = signed
    return (
        Reply[PayloadSigned]
        .accepted(PayloadSigned(signature=signatures[0], api_key=api_key))
        .wire()
    )


async def _sign(
    deps: VaultDeps, user_id: str, payloads: list[str], with_api_key: bool
) -> tuple[list[str], str | None] | CommandReply:
    credential = await connected_credential(deps, user_id)
    if credential is None:
        return NOT_CONNECTED
    state = credential.state
    signing = deps.keeper.sign_many(user_id, payloads, state.signing_key_version)
    try:
        if with_api_key:
            signatures, api_key = await asyncio.gather(
                signing, deps.keeper.open_api_key(user_id, state.api_key_ciphertext)
            )
        else:
            signatures, api_key = await signing, None
    except KeeperUnavailable as exc:
        await deps.outages.failed(user_id, str(exc))
        raise
    await deps.outages.succeeded(credential)
    deps.counter.count(user_id, len(payloads))
    SIGNATURES.inc(len(payloads))
    return signatures, api_key
