"""Connect: a BingX pair verified with BingX by signatures made inside Vault, then stored.

The secret arrives wrapped for Vault by the gateway (``fleet.vaultwrap``) and is never
opened in this process. Order matters for "nothing stored half-way": the wrapped secret is
imported under a pending name and BingX verifies the pair with HMACs of that pending key;
only a verified pair (read + trade, no withdrawal, not another user's key) is imported as
the user's signing key and its API key sealed; the event is appended last. The pending key
is deleted whatever the outcome. A first connect that fails after touching the user's keys
shreds what it created; an update that fails leaves the log on the old key version, so the
old pair keeps signing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fleet.events import ActorId, AggregateId
from fleet.events.commands import CommandReply, Reply
from fleet.events.vault_commands import (
    ConnectCredential,
    CredentialConnected,
    GetWrappingKey,
    WrappingKeyIssued,
)
from fleet.eventstore.errors import NATS_TROUBLE
from fleet.obs import get_logger
from fleet.obs.logging import forget_secret, register_secret
from fleet.vault.deps import VaultDeps
from fleet.vault.domain.policy import AccountSnapshot, format_problem, judge, last4
from fleet.vault.errors import KeyRefused, VaultServiceError
from fleet.vault.handlers import correlation
from fleet.vault.ports import ProbeRefused, ProbeUnavailable

REFUSED_PAIR = "BingX refused this API key and secret; check both and try again"
KEY_IN_USE = "this API key is connected to another Fleet account; create a key of your own"
STALE_WRAPPING = "the secret was wrapped with a key Vault no longer has; wrap it again"
UNIMPORTABLE = "Vault could not open the wrapped secret; wrap it with Vault's wrapping key"


async def wrapping_key(command: GetWrappingKey, deps: VaultDeps) -> CommandReply:
    """Transit's public wrapping key (PEM) and its id, for the gateway to wrap secrets."""
    key = await deps.keeper.wrapping_key()
    issued = WrappingKeyIssued(public_key=key.public_key_pem, key_id=key.key_id)
    return Reply[WrappingKeyIssued].accepted(issued).wire()


async def connect(command: ConnectCredential, deps: VaultDeps) -> CommandReply:
    """Verify the pair with BingX, then store it (an update switches atomically)."""
    # not a secret, but kept out of the logs all the same (only its last four are shown)
    register_secret(command.api_key)
    try:
        return await _connect(command, deps)
    finally:
        forget_secret(command.api_key)


async def _connect(command: ConnectCredential, deps: VaultDeps) -> CommandReply:
    refused = await _refused_before_vault(command, deps)
    if refused is not None:
        return refused
    try:
        pending = await deps.keeper.stage_secret(command.user_id, command.wrapped_secret)
    except KeyRefused:
        return await _unimportable(command, deps)
    try:
        return await _verify_and_store(command, deps, pending)
    finally:
        await _discard(deps, pending)


async def _refused_before_vault(command: ConnectCredential, deps: VaultDeps) -> CommandReply | None:
    """An API key that cannot be BingX's, a stale wrapping, or an attempt over budget."""
    problem = format_problem(command.api_key)
    if problem:
        return CommandReply.failure("invalid", problem, field="api_key")
    stale = await _stale_wrapping(command, deps, refresh=False)
    if stale is not None:
        return stale
    wait = deps.connect_gate.admit(command.user_id, datetime.now(UTC))
    if wait > 0:
        return CommandReply.failure(
            "throttled", "too many connect attempts; try again later", retry_after_s=wait
        )
    return None


async def _stale_wrapping(
    command: ConnectCredential, deps: VaultDeps, *, refresh: bool
) -> CommandReply | None:
    """A ``conflict`` naming the current key when the secret was wrapped with another
    (Vault rebuilt since the gateway fetched it): the gateway wraps again and resends."""
    key = await deps.keeper.wrapping_key(refresh=refresh)
    if key.key_id != command.wrapping_key_id and not refresh:
        key = await deps.keeper.wrapping_key(refresh=True)  # or ours is the stale one
    if key.key_id == command.wrapping_key_id:
        return None
    return CommandReply.failure("conflict", STALE_WRAPPING, wrapping_key_id=key.key_id)


async def _unimportable(command: ConnectCredential, deps: VaultDeps) -> CommandReply:
    stale = await _stale_wrapping(command, deps, refresh=True)
    if stale is not None:
        return stale
    get_logger().info("connect refused: the wrapped secret does not open", user=command.user_id)
    return CommandReply.failure("invalid", UNIMPORTABLE, field="wrapped_secret")


async def _verify_and_store(
    command: ConnectCredential, deps: VaultDeps, pending: str
) -> CommandReply:
    async def sign_in_vault(payload: str) -> str:
        return await deps.keeper.sign_staged(pending, payload)

    try:
        probe = deps.probe_for(command.environment)
        snapshot = await probe.probe(command.api_key, sign_in_vault)
    except ProbeRefused as exc:
        # one answer for a wrong key and a wrong secret: which one is wrong is not told
        get_logger().info("connect refused by BingX", user=command.user_id, code=exc.bingx_code)
        return CommandReply.failure("invalid", REFUSED_PAIR)
    except ProbeUnavailable as exc:
        return CommandReply.failure("unavailable", f"BingX unreachable: {exc}")
    verdict = judge(snapshot, await deps.egress())
    if verdict.refusal:
        return CommandReply.failure("invalid", verdict.refusal, field="api_key")
    digest = await deps.keeper.api_key_digest(command.api_key)
    holder = deps.view.holder_of(digest)
    if holder not in (None, command.user_id):  # whose it is is never told
        return CommandReply.failure("conflict", KEY_IN_USE)
    replaced = await _store(command, snapshot, deps, digest)
    get_logger().info("credential connected", user=command.user_id, replaced=replaced)
    connected = CredentialConnected(
        account_type=snapshot.account_type,
        balance=str(snapshot.balance),
        api_key_last4=last4(command.api_key),
        replaced_previous=replaced,
        environment=command.environment,
        warnings=list(verdict.warnings),
    )
    return Reply[CredentialConnected].accepted(connected).wire()


async def _store(
    command: ConnectCredential, snapshot: AccountSnapshot, deps: VaultDeps, digest: str
) -> bool:
    user = AggregateId(command.user_id)
    first = not (await deps.credentials.load(user)).connected
    try:
        sealed = await deps.keeper.seal_api_key(command.user_id, command.api_key)
        # the same ciphertext again, now as the user's key: verified, so kept
        version = await deps.keeper.import_secret(command.user_id, command.wrapped_secret)
        stored = await deps.credentials.execute(
            user,
            lambda c: c.connect(
                snapshot, sealed, last4(command.api_key), version, digest, command.environment
            ),
            actor=ActorId(command.actor.user_id),
            correlation_id=correlation(command),
        )
    except Exception:
        if first:
            await _forget_unrecorded(deps, command.user_id)
        raise
    deps.view.apply_all(stored)
    return not first


async def _discard(deps: VaultDeps, pending: str) -> None:
    """Best effort: a pending key left behind (Vault down) is named by no event, so never
    signed with; the SRE is told."""
    try:
        await deps.keeper.discard_staged(pending)
    except VaultServiceError as exc:
        get_logger().warning("could not delete a pending transit key", key=pending, error=str(exc))


# the keeper or the log unreachable while cleaning up after a failed first connect
_CLEANUP_FAILED: tuple[type[Exception], ...] = (VaultServiceError, *NATS_TROUBLE)


async def _forget_unrecorded(deps: VaultDeps, user_id: str) -> None:
    """Best effort after a failed first connect: no key in Vault without its event."""
    try:
        if not (await deps.credentials.load(AggregateId(user_id))).connected:
            await deps.keeper.shred(user_id)
    except _CLEANUP_FAILED as exc:  # Vault or NATS down: any such key is unused; told to the SRE
        get_logger().warning(
            "could not remove transit keys of a failed first connect", user=user_id, error=str(exc)
        )
