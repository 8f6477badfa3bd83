"""One function per vault command: load, decide, act on Vault/BingX, append, reply."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fleet.events import AggregateId, CorrelationId
from fleet.events.commands import CommandReply
from fleet.events.vault_commands import (
    ConnectCredential,
    DisconnectCredential,
    RotateCredential,
    SignPayload,
    VerifyCredential,
)
from fleet.eventstore import Repository
from fleet.vault.domain.credential import Credential
from fleet.vault.domain.policy import format_problem, judge, last4
from fleet.vault.errors import KeeperUnavailable, KeyNotFound, KeyRefused, VaultServiceError
from fleet.vault.ports import AccountProbe, ProbeRefused, ProbeUnavailable, SecretKeeper


@dataclass
class VaultDeps:
    """Everything the handlers use, wired once by the composition root."""

    credentials: Repository[Credential]
    keeper: SecretKeeper
    probe: AccountProbe
    egress_ips: tuple[str, ...] = ()


def _local_signer(secret: str):  # type: ignore[no-untyped-def]
    # Used only while a connect request is verified; the secret is then dropped.
    async def sign(payload: str) -> str:
        return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()

    return sign


async def connect(command: ConnectCredential, deps: VaultDeps) -> CommandReply:
    """Verify the pair with BingX, then import the secret and seal the API key."""
    problem = format_problem(command.api_key, command.api_secret)
    if problem:
        return CommandReply.failure("invalid", problem[1], field=problem[0])
    try:
        snapshot = await deps.probe.probe(command.api_key, _local_signer(command.api_secret))
    except ProbeRefused as exc:
        return CommandReply.failure(
            "invalid", f"BingX refused this key: {exc}", bingx_code=exc.bingx_code
        )
    except ProbeUnavailable as exc:
        return CommandReply.failure("unavailable", f"BingX unreachable: {exc}")
    verdict = judge(snapshot, deps.egress_ips)
    if verdict.refusal:
        return CommandReply.failure("invalid", verdict.refusal, field="api_key")
    user = AggregateId(command.user_id)
    version = await deps.keeper.import_secret(command.user_id, command.api_secret)
    sealed = await deps.keeper.seal_api_key(command.user_id, command.api_key)
    await deps.credentials.execute(
        user,
        lambda c: c.connect(snapshot, sealed, last4(command.api_key), version),
        correlation_id=_correlation(command.correlation_id),
    )
    return CommandReply.success(
        account_type=snapshot.account_type,
        balance=str(snapshot.balance),
        api_key_last4=last4(command.api_key),
        warnings=list(verdict.warnings),
    )


async def sign(command: SignPayload, deps: VaultDeps) -> CommandReply:
    """Signature and API-key header for an executor; the secret never leaves Vault."""
    credential = await deps.credentials.load(AggregateId(command.user_id))
    if not credential.connected:
        return CommandReply.failure("not_found", "no connected BingX credential for this user")
    state = credential.state
    signature = await deps.keeper.sign(command.user_id, command.payload, state.signing_key_version)
    api_key = await deps.keeper.open_api_key(command.user_id, state.api_key_ciphertext)
    return CommandReply.success(signature=signature, api_key=api_key)


async def verify(command: VerifyCredential, deps: VaultDeps) -> CommandReply:
    """Re-verify the stored credential with a call signed inside Vault."""
    credential = await deps.credentials.load(AggregateId(command.user_id))
    if not credential.connected:
        return CommandReply.failure("not_found", "no connected BingX credential for this user")
    state = credential.state
    api_key = await deps.keeper.open_api_key(command.user_id, state.api_key_ciphertext)

    async def sign_in_vault(payload: str) -> str:
        return await deps.keeper.sign(command.user_id, payload, state.signing_key_version)

    try:
        snapshot = await deps.probe.probe(api_key, sign_in_vault)
    except ProbeRefused as exc:
        reason, code = str(exc), exc.bingx_code
        await deps.credentials.execute(credential.id, lambda c: c.failed(reason, code))
        return CommandReply.failure("invalid", f"BingX refused the stored key: {reason}")
    await deps.credentials.execute(credential.id, lambda c: c.verified(snapshot))
    return CommandReply.success(balance=str(snapshot.balance), status="verified")


async def disconnect(command: DisconnectCredential, deps: VaultDeps) -> CommandReply:
    """Crypto-shred: destroy the user's transit keys, then record it."""
    user = AggregateId(command.user_id)
    credential = await deps.credentials.load(user)
    if not credential.connected:
        return CommandReply.failure("not_found", "no connected BingX credential for this user")
    await deps.keeper.shred(command.user_id)
    await deps.credentials.execute(user, lambda c: c.disconnect(command.reason))
    return CommandReply.success(status="disconnected")


async def rotate(command: RotateCredential, deps: VaultDeps) -> CommandReply:
    """Rotate the key sealing the API key and rewrap the stored ciphertext."""
    user = AggregateId(command.user_id)
    credential = await deps.credentials.load(user)
    if not credential.connected:
        return CommandReply.failure("not_found", "no connected BingX credential for this user")
    rewrapped = await deps.keeper.rotate_api_key_key(
        command.user_id, credential.state.api_key_ciphertext
    )
    await deps.credentials.execute(user, lambda c: c.rewrapped(rewrapped))
    return CommandReply.success(status="rotated")


def vault_failure(exc: VaultServiceError) -> CommandReply:
    """Map keeper errors to replies (fail closed, never half-stored)."""
    if isinstance(exc, KeeperUnavailable):
        return CommandReply.failure("unavailable", "Vault is unavailable; nothing was changed")
    if isinstance(exc, KeyNotFound):
        return CommandReply.failure("not_found", "no signing key for this user")
    if isinstance(exc, KeyRefused):
        return CommandReply.failure("forbidden", "Vault refused the operation")
    return CommandReply.failure("unavailable", f"the vault service cannot sign now: {exc}")


def _correlation(value: str | None) -> CorrelationId | None:
    return CorrelationId(value) if value else None
