"""One function per credential command: verify with BingX, act on Vault, append, reply.

Order matters for "nothing stored half-way": BingX verifies the pair before Vault sees
it; the API key is sealed before the secret is imported; the event is appended last. A
first connect that fails after touching Vault shreds what it created; an update that
fails leaves the log on the old key version, so the old pair keeps signing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime

from fleet.events import ActorId, AggregateId, CorrelationId
from fleet.events.commands import Command, CommandReply
from fleet.events.vault_commands import (
    ConnectCredential,
    DisconnectCredential,
    RotateCredential,
    VerifyCredential,
)
from fleet.obs import get_logger
from fleet.obs.logging import forget_secret, register_secret
from fleet.vault.deps import VaultDeps
from fleet.vault.domain.credential import Credential
from fleet.vault.domain.policy import AccountSnapshot, format_problem, judge, last4
from fleet.vault.errors import KeeperUnavailable, KeyNotFound, KeyRefused, VaultServiceError
from fleet.vault.ports import ProbeRefused, ProbeUnavailable, Sign
from fleet.vault.signing import NOT_CONNECTED


def _local_signer(secret: str) -> Sign:
    # Used only while a connect request is verified; dropped with the request.
    async def sign(payload: str) -> str:
        return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()

    return sign


REFUSED_PAIR = "BingX refused this API key and secret; check both and try again"
KEY_IN_USE = "this API key is connected to another Fleet account; create a key of your own"


async def connect(command: ConnectCredential, deps: VaultDeps) -> CommandReply:
    """Verify the pair with BingX, then store it (an update switches atomically)."""
    # While this request holds the pair, any log line that would contain it is scrubbed.
    for value in (command.api_secret, command.api_key):
        register_secret(value)
    try:
        return await _connect(command, deps)
    finally:
        for value in (command.api_secret, command.api_key):
            forget_secret(value)


def _refused_before_bingx(command: ConnectCredential, deps: VaultDeps) -> CommandReply | None:
    """A pair that cannot be BingX keys, or an attempt over the connect budget."""
    problem = format_problem(command.api_key, command.api_secret)
    if problem:
        return CommandReply.failure("invalid", problem[1], field=problem[0])
    wait = deps.connect_gate.admit(command.user_id, datetime.now(UTC))
    if wait > 0:
        return CommandReply.failure(
            "throttled", "too many connect attempts; try again later", retry_after_s=wait
        )
    return None


async def _connect(command: ConnectCredential, deps: VaultDeps) -> CommandReply:
    refused = _refused_before_bingx(command, deps)
    if refused is not None:
        return refused
    try:
        snapshot = await deps.probe.probe(command.api_key, _local_signer(command.api_secret))
    except ProbeRefused as exc:
        # one answer for a wrong key and a wrong secret: which one is wrong is not told
        get_logger().info("connect refused by BingX", user=command.user_id, code=exc.bingx_code)
        return CommandReply.failure("invalid", REFUSED_PAIR)
    except ProbeUnavailable as exc:
        return CommandReply.failure("unavailable", f"BingX unreachable: {exc}")
    verdict = judge(snapshot, deps.egress_ips)
    if verdict.refusal:
        return CommandReply.failure("invalid", verdict.refusal, field="api_key")
    digest = await deps.keeper.api_key_digest(command.api_key)
    holder = deps.view.holder_of(digest)
    if holder not in (None, command.user_id):  # whose it is is never told
        return CommandReply.failure("conflict", KEY_IN_USE)
    replaced = await _store(command, snapshot, deps, digest)
    get_logger().info("credential connected", user=command.user_id, replaced=replaced)
    return CommandReply.success(
        status="verified",
        account_type=snapshot.account_type,
        balance=str(snapshot.balance),
        api_key_last4=last4(command.api_key),
        replaced_previous=replaced,
        warnings=list(verdict.warnings),
    )


async def _store(
    command: ConnectCredential, snapshot: AccountSnapshot, deps: VaultDeps, digest: str
) -> bool:
    user = AggregateId(command.user_id)
    first = not (await deps.credentials.load(user)).connected
    try:
        sealed = await deps.keeper.seal_api_key(command.user_id, command.api_key)
        version = await deps.keeper.import_secret(command.user_id, command.api_secret)
        stored = await deps.credentials.execute(
            user,
            lambda c: c.connect(snapshot, sealed, last4(command.api_key), version, digest),
            actor=ActorId(command.actor.user_id),
            correlation_id=_correlation(command),
        )
    except Exception:
        if first:
            await _forget_unrecorded(deps, command.user_id)
        raise
    deps.view.apply_all(stored)
    return not first


async def _forget_unrecorded(deps: VaultDeps, user_id: str) -> None:
    """Best effort after a failed first connect: no key in Vault without its event."""
    try:
        if not (await deps.credentials.load(AggregateId(user_id))).connected:
            await deps.keeper.shred(user_id)
    except Exception as exc:  # Vault or NATS down: any such key is unused; told to the SRE
        get_logger().warning(
            "could not remove transit keys of a failed first connect", user=user_id, error=str(exc)
        )


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
    refusal = judge(snapshot, deps.egress_ips).refusal
    if refusal:
        return await _failed(command, credential, deps, refusal, None)
    recovered = credential.state.status == "failed"

    def verified(c: Credential) -> None:
        c.verified(snapshot, only_on_change=health_check)

    await _record(command, credential, deps, verified)
    return CommandReply.success(
        status="verified", balance=str(snapshot.balance), recovered=recovered
    )


async def _probe_stored(credential: Credential, deps: VaultDeps) -> AccountSnapshot:
    user_id, state = str(credential.id), credential.state

    async def sign_in_vault(payload: str) -> str:
        return await deps.keeper.sign(user_id, payload, state.signing_key_version)

    try:
        api_key = await deps.keeper.open_api_key(user_id, state.api_key_ciphertext)
        snapshot = await deps.probe.probe(api_key, sign_in_vault)
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
        correlation_id=_correlation(command),
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
    return CommandReply.success(status="disconnected")


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
    return CommandReply.success(status="rotated", key_version=_version_of(rewrapped))


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


def _correlation(command: Command) -> CorrelationId | None:
    return CorrelationId(command.correlation_id) if command.correlation_id else None
