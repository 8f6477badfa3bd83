"""One function per credential command: act on Vault (and BingX), append, reply.
Connect, the one that takes a new secret, has its own module (:mod:`fleet.vault.connecting`).
"""

from __future__ import annotations

from collections.abc import Callable

from fleet.events import ActorId, AggregateId, CorrelationId
from fleet.events.commands import Command, CommandReply, Reply
from fleet.events.vault_commands import (
    ApiKeyRewrapped,
    CredentialChecked,
    CredentialShredded,
    DisconnectCredential,
    RotateCredential,
    VerifyCredential,
)
from fleet.obs import get_logger
from fleet.vault.deps import VaultDeps
from fleet.vault.domain.credential import Credential
from fleet.vault.domain.policy import AccountSnapshot, judge
from fleet.vault.errors import KeeperUnavailable, KeyNotFound, KeyRefused, VaultServiceError
from fleet.vault.ports import ProbeRefused, ProbeUnavailable
from fleet.vault.signing import NOT_CONNECTED


async def verify(
    command: VerifyCredential, deps: VaultDeps, *, health_check: bool = False
) -> CommandReply:
    """Re-verify the stored pair with a call signed inside Vault. On demand every check is
    recorded; a health check records only a change (failure, recovery)."""
    credential = await deps.credentials.load(AggregateId(command.user_id))
    if not credential.connected:
        return NOT_CONNECTED
    try:
        snapshot = await _probe_stored(credential, deps)
    except ProbeRefused as exc:
        reason = f"BingX refused the stored key: {exc}"
        return await _failed(command, credential, deps, reason, exc)
    except ProbeUnavailable as exc:  # BingX down is not the key's fault: nothing recorded
        return CommandReply.failure("unavailable", f"BingX unreachable: {exc}")
    refusal = judge(snapshot, await deps.egress()).refusal
    if refusal:
        return await _failed(command, credential, deps, refusal, None)
    recovered = credential.state.status == "failed"

    def verified(c: Credential) -> None:
        c.verified(snapshot, only_on_change=health_check)

    await _record(command, credential, deps, verified)
    checked = CredentialChecked(balance=str(snapshot.balance), recovered=recovered)
    return Reply[CredentialChecked].accepted(checked).wire()


async def _probe_stored(credential: Credential, deps: VaultDeps) -> AccountSnapshot:
    user_id, state = str(credential.id), credential.state

    async def sign_in_vault(payload: str) -> str:
        return await deps.keeper.sign(user_id, payload, state.signing_key_version)

    try:
        api_key = await deps.keeper.open_api_key(user_id, state.api_key_ciphertext)
        snapshot = await deps.probe_for(state.environment).probe(api_key, sign_in_vault)
    except KeeperUnavailable as exc:
        await deps.outages.failed(user_id, str(exc))
        raise
    await deps.outages.succeeded(credential)
    return snapshot


async def _failed(
    command: Command,
    credential: Credential,
    deps: VaultDeps,
    reason: str,
    exc: ProbeRefused | None,
) -> CommandReply:
    code = exc.bingx_code if exc else None
    await _record(command, credential, deps, lambda c: c.failed(reason, code))
    get_logger().warning("credential verification failed", user=str(credential.id), code=code)
    return CommandReply.failure("invalid", reason, bingx_code=code)


async def _record(
    command: Command, credential: Credential, deps: VaultDeps, decide: Callable[[Credential], None]
) -> None:
    """Append what ``decide`` records, as done by the command's actor (the audit trail)."""
    stored = await deps.credentials.execute(
        credential.id,
        decide,
        actor=ActorId(command.actor.user_id),
        correlation_id=correlation(command),
    )
    deps.view.apply_all(stored)


async def disconnect(command: DisconnectCredential, deps: VaultDeps) -> CommandReply:
    """Crypto-shred: destroy the user's transit keys, then record it."""
    credential = await deps.credentials.load(AggregateId(command.user_id))
    if not credential.connected:
        return NOT_CONNECTED
    await deps.keeper.shred(command.user_id)
    await _record(command, credential, deps, lambda c: c.disconnect(command.reason))
    get_logger().info("credential disconnected (keys destroyed)", user=command.user_id)
    return Reply[CredentialShredded].accepted(CredentialShredded()).wire()


async def rotate(command: RotateCredential, deps: VaultDeps) -> CommandReply:
    """Rotate the key sealing the API key and rewrap the stored ciphertext."""
    credential = await deps.credentials.load(AggregateId(command.user_id))
    if not credential.connected:
        return NOT_CONNECTED
    rewrapped = await deps.keeper.rotate_api_key_key(
        command.user_id, credential.state.api_key_ciphertext
    )
    await _record(command, credential, deps, lambda c: c.rewrapped(rewrapped))
    get_logger().info("api key ciphertext rotated", user=command.user_id)
    rotated = ApiKeyRewrapped(key_version=_version_of(rewrapped))
    return Reply[ApiKeyRewrapped].accepted(rotated).wire()


def _version_of(ciphertext: str) -> int:
    return int(ciphertext.split(":", 2)[1].removeprefix("v"))


def vault_failure(exc: VaultServiceError) -> CommandReply:
    """Map keeper errors to replies (fail closed, never half-stored)."""
    if isinstance(exc, KeeperUnavailable):
        return CommandReply.failure(
            "unavailable", f"Vault is unavailable, nothing was signed or changed: {exc}"
        )
    if isinstance(exc, KeyNotFound):
        return CommandReply.failure("not_found", "no signing key for this user")
    if isinstance(exc, KeyRefused):
        return CommandReply.failure("forbidden", "Vault refused the operation")
    return CommandReply.failure("unavailable", f"the vault service cannot do this now: {exc}")


def correlation(command: Command) -> CorrelationId | None:
    """The request's correlation id, carried into the events it appends."""
    return CorrelationId(command.correlation_id) if command.correlation_id else None
