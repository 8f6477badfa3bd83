"""Single-use links mailed to a user: e-mail verification (24 h).

A link's token is ``<user id>.<43 random URL-safe characters>`` (256 bits): the user id
says whose aggregate to load, and only the token's SHA-256 enters the log (a newer link
replaces the older one; a use ends it). The token itself goes once to the notify service
(``cmd.notify.send_account_mail``), which mails it; it is in no event and no log line.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from fleet.auth.accounts import AuthDeps, execute, load_user
from fleet.auth.errors import InvalidInput, NotFound
from fleet.events.auth_commands import AccountChanged, VerifyEmail
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


async def issue_verification(deps: AuthDeps, user_id: str, command: Command) -> None:
    """A new verification link for the user's current address, mailed by notify."""
    token = new_link_token(user_id)
    expires_at = deps.clock() + VERIFY_FOR
    digest = link_sha256(token)
    await execute(
        deps.users, user_id, lambda u: u.request_verification(digest, expires_at), command
    )
    mail = SendAccountMail(
        user_id=user_id,
        purpose="verify_email",
        token=token,
        expires_at=expires_at,
        actor=command.actor,
        correlation_id=command.correlation_id,
    )
    try:
        await deps.account_mail(mail)
    except Exception as exc:  # the link is recorded: a new one can be asked for
        get_logger().warning("account mail not handed over", error=type(exc).__name__)


async def verify_email(command: VerifyEmail, deps: AuthDeps) -> CommandReply:
    """The link's token marks the current address verified (once, before it expires)."""
    try:
        user = await load_user(deps, owner_of(command.token), "token")
    except NotFound:
        raise InvalidInput("token", NOT_A_LINK) from None
    digest, now = link_sha256(command.token), deps.clock()
    await execute(deps.users, user.id, lambda u: u.verify_email(digest, now), command)
    return Reply[AccountChanged].accepted(AccountChanged(status="changed")).wire()
