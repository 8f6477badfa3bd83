"""Single-use links mailed to a user: e-mail verification (24 h), password reset (30 min).

A link's token is ``<user id>.<43 random URL-safe characters>`` (256 bits): the user id
says whose aggregate to load. The event that makes a link carries the token's SHA-256 (what
a use is checked against) and the token sealed with the user's data key
(``sealed_token``): the notify service opens it and mails it once, through its log
follower, even when it was down at the time. In clear, the token is in no event, no log
line and no reply; deleting the user destroys the key that opens it.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import datetime, timedelta

from fleet.auth.accounts import AuthDeps, execute, load_user, new_password_hash
from fleet.auth.domain.identity import check_email, email_claim_key, normalize_email
from fleet.auth.domain.user import User
from fleet.auth.errors import InvalidInput, NotFound
from fleet.events import AggregateId
from fleet.events.auth_commands import (
    ConfirmPasswordReset,
    EmailConfirmed,
    PasswordResetDone,
    RequestPasswordReset,
    ResendVerification,
    ResetRequested,
    VerificationResent,
    VerifyEmail,
)
from fleet.events.commands import Command, CommandReply, Reply

VERIFY_FOR = timedelta(hours=24)
RESET_FOR = timedelta(minutes=30)
NOT_A_LINK = "this link is not valid"


def new_link_token(user_id: str) -> str:
    """A fresh single-use token for ``user_id``'s link."""
    return f"{user_id}.{secrets.token_urlsafe(32)}"


def link_sha256(token: str) -> str:
    """What is stored of a link's token (high entropy: SHA-256 is enough)."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


def owner_of(token: str) -> str:
    """The user id a token names, or :class:`InvalidInput` naming ``token``."""
    user_id, dot, random_part = token.strip().partition(".")
    if not dot or not user_id or len(random_part) < 32:  # ours: 43
        raise InvalidInput("token", NOT_A_LINK)
    return user_id


async def _new_link(deps: AuthDeps, user_id: str) -> tuple[str, str]:
    """A fresh token's SHA-256 and the token sealed with the user's data key."""
    token = new_link_token(user_id)
    (sealed,) = await deps.personal.seal(user_id, token)
    return link_sha256(token), sealed


async def issue_verification(deps: AuthDeps, user_id: str, command: Command) -> None:
    """A new verification link for the user's current address (notify mails it)."""
    digest, sealed = await _new_link(deps, user_id)
    expires_at = deps.clock() + VERIFY_FOR
    await execute(
        deps.users,
        user_id,
        lambda u: u.request_verification(digest, expires_at, sealed),
        command,
    )


async def verify_email(command: VerifyEmail, deps: AuthDeps) -> CommandReply:
    """The link's token marks the current address verified (once, before it expires)."""
    try:
        user = await load_user(deps, owner_of(command.token), "token")
    except NotFound:
        raise InvalidInput("token", NOT_A_LINK) from None
    digest, now = link_sha256(command.token), deps.clock()
    await execute(deps.users, user.id, lambda u: u.verify_email(digest, now), command)
    return Reply[EmailConfirmed].accepted(EmailConfirmed(user_id=user.id)).wire()


async def resend_verification(command: ResendVerification, deps: AuthDeps) -> CommandReply:
    """A new link when the user's address is not verified yet; the same answer whatever
    the state (verified, none, pending); at most a few per user (``throttled``)."""
    user = await load_user(deps, command.user_id)
    with deps.resend_budget.admit(user.id, deps.clock()):
        if user.state.email and not user.state.email_verified:
            await issue_verification(deps, user.id, command)
    return Reply[VerificationResent].accepted(VerificationResent()).wire()


async def request_password_reset(command: RequestPasswordReset, deps: AuthDeps) -> CommandReply:
    """Answered before the address is looked up: the answer and its timing are the same
    whoever holds it. The look-up and, for a verified address of an active user, the new
    link follow in the background. The source is rate-limited like a login
    (``throttled``) and holds its slot until the work is done."""
    source, now = command.actor.ip, deps.clock()
    slot = contextlib.ExitStack()
    slot.enter_context(deps.budget.admit(source, now))  # refused: nothing is held
    try:
        deps.background.start(lambda: _reset_link(deps, command, now, slot), "reset link")
    except Exception:
        slot.close()
        raise
    return Reply[ResetRequested].accepted(ResetRequested()).wire()


async def _reset_link(
    deps: AuthDeps, command: RequestPasswordReset, now: datetime, slot: contextlib.ExitStack
) -> None:
    with slot:
        user = await _verified_holder(deps, command.email)
        if user is None:
            return
        digest, sealed = await _new_link(deps, user.id)
        expires_at = now + RESET_FOR
        await execute(
            deps.users,
            user.id,
            lambda u: u.request_password_reset(digest, expires_at, sealed),
            command,
        )


async def _verified_holder(deps: AuthDeps, email: str) -> User | None:
    """The active user whose verified address ``email`` is (any case), or ``None``."""
    try:
        address = check_email(email)
    except InvalidInput:
        return None
    claim = await deps.emails.load(AggregateId(email_claim_key(address)))
    if claim.holder is None:
        return None
    user = await deps.users.load(AggregateId(claim.holder))
    if not (user.exists and user.state.active and user.state.email_verified):
        return None
    current = await deps.personal.reveal(user.state.email)
    return user if normalize_email(current) == normalize_email(address) else None


async def confirm_password_reset(command: ConfirmPasswordReset, deps: AuthDeps) -> CommandReply:
    """The link's token and a new password (the usual policy): the password is set, every
    access token revoked (the gateway ends the sessions), the link spent."""
    try:
        user = await load_user(deps, owner_of(command.token), "token")
    except NotFound:
        raise InvalidInput("token", NOT_A_LINK) from None
    digest, now = link_sha256(command.token), deps.clock()
    pending = user.state.password_reset
    if pending is None or pending[0] != digest or now >= pending[1]:
        user.reset_password_with_link(digest, now, "")  # raises the reason, records nothing
    password_hash = await new_password_hash(deps, user, command.new_password)
    await execute(
        deps.users,
        user.id,
        lambda u: u.reset_password_with_link(digest, now, password_hash),
        command,
    )
    return Reply[PasswordResetDone].accepted(PasswordResetDone(user_id=user.id)).wire()
