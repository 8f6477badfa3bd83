"""Single-use links mailed to a user: e-mail verification (24 h), password reset (30 min).

A link's token is ``<user id>.<43 random URL-safe characters>`` (256 bits): the user id
says whose aggregate to load, and only the token's SHA-256 enters the log (a newer link
replaces the older one; a use ends it). The token itself goes once to the notify service
(``cmd.notify.send_account_mail``), which mails it; it is in no event and no log line.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from fleet.auth.accounts import AuthDeps, execute, load_user, new_password_hash
from fleet.auth.domain.identity import check_email, email_claim_key, normalize_email
from fleet.auth.domain.user import User
from fleet.auth.errors import InvalidInput, NotFound
from fleet.events import AggregateId
from fleet.events.auth_commands import (
    AccountChanged,
    ConfirmPasswordReset,
    PasswordResetDone,
    RequestPasswordReset,
    ResetRequested,
    VerifyEmail,
)
from fleet.events.commands import Command, CommandReply, Reply
from fleet.events.notifications import SendAccountMail
from fleet.obs import get_logger

VERIFY_FOR = timedelta(hours=24)
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


async def issue_verification(deps: AuthDeps, user_id: str, address: str, command: Command) -> None:
    """A new verification link for the user's current address, mailed by notify."""
    token = new_link_token(user_id)
    expires_at = deps.clock() + VERIFY_FOR
    digest = link_sha256(token)
    await execute(
        deps.users, user_id, lambda u: u.request_verification(digest, expires_at), command
    )
    mail = SendAccountMail(
        user_id=user_id,
        email=address,
        purpose="verify_email",
        token=token,
        expires_at=expires_at,
        actor=command.actor,
        correlation_id=command.correlation_id,
    )
    await _hand_over(deps, mail)


async def verify_email(command: VerifyEmail, deps: AuthDeps) -> CommandReply:
    """The link's token marks the current address verified (once, before it expires)."""
    try:
        user = await load_user(deps, owner_of(command.token), "token")
    except NotFound:
        raise InvalidInput("token", NOT_A_LINK) from None
    digest, now = link_sha256(command.token), deps.clock()
    await execute(deps.users, user.id, lambda u: u.verify_email(digest, now), command)
    return Reply[AccountChanged].accepted(AccountChanged(status="changed")).wire()


RESET_FOR = timedelta(minutes=30)


async def request_password_reset(command: RequestPasswordReset, deps: AuthDeps) -> CommandReply:
    """Mail a reset link when the address is a verified one of an active user. The answer
    and the work before it are the same either way (a token is made and hashed, the claim
    and its holder are read); the source is rate-limited like a login (``throttled``)."""
    source, now = command.actor.ip, deps.clock()
    with deps.budget.admit(source, now):
        user, address = await _verified_holder(deps, command.email)
        token = new_link_token(user.id if user is not None else "nobody")
        digest, expires_at = link_sha256(token), now + RESET_FOR
        if user is not None:
            await execute(
                deps.users, user.id, lambda u: u.request_password_reset(digest, expires_at), command
            )
            mail = SendAccountMail(
                user_id=user.id,
                email=address,  # as the user set it, not as asked
                purpose="reset_password",
                token=token,
                expires_at=expires_at,
                actor=command.actor,
                correlation_id=command.correlation_id,
            )
            await _hand_over(deps, mail)
    return Reply[ResetRequested].accepted(ResetRequested()).wire()


async def _verified_holder(deps: AuthDeps, email: str) -> tuple[User | None, str]:
    """The active user whose verified address ``email`` is (any case) and his address as
    he set it, or ``(None, "")``."""
    try:
        address = check_email(email)
    except InvalidInput:
        address = ""
    claim = await deps.emails.load(AggregateId(email_claim_key(address or "-")))
    if claim.holder is None:
        return None, ""
    user = await deps.users.load(AggregateId(claim.holder))
    if not (user.exists and user.state.active and user.state.email_verified):
        return None, ""
    current = await deps.personal.reveal(user.state.email)
    return (user, current) if normalize_email(current) == normalize_email(address) else (None, "")


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


async def _hand_over(deps: AuthDeps, mail: SendAccountMail) -> None:
    try:
        await deps.account_mail(mail)
    except Exception as exc:  # the link is recorded: a new one can be asked for
        get_logger().warning("account mail not handed over", error=type(exc).__name__)
