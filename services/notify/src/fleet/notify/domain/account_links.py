"""Account mails: the single-use links auth makes (e-mail verification, password reset).

They come from the log like every notification — ``user.email_verification_requested``
and ``user.password_reset_requested`` carry the token sealed with the user's data key,
which the follower opens — so a link asked for while this service was down is mailed when
it is back, once (the delivery id derives from the event's id). They are not
notifications: e-mail only (the token must never reach an in-app notification, which is
an event, or a webhook), to the address the user has now (verified or not: the
verification link is the one mail an unverified address receives), with no preference,
rate limit or digest. A link that expired before it could be sent is a recorded failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from fleet.events import DomainEvent
from fleet.events.personal import ERASED
from fleet.events.users import EmailVerificationRequested, PasswordResetRequested
from fleet.notify.domain.drafts import Draft

PAGES = {"verify_email": "verify-email", "reset_password": "reset-password"}


@dataclass(frozen=True)
class AccountMail:
    """One link to mail: its draft (e-mail only) and when the link stops working."""

    draft: Draft
    expires_at: datetime


def account_mail(owner: str, event: DomainEvent, ui_url: str) -> AccountMail | None:
    """The mail ``event`` (of user ``owner``, its token opened) asks for, if any."""
    match event:
        case EmailVerificationRequested():
            purpose = "verify_email"
        case PasswordResetRequested():
            purpose = "reset_password"
        case _:
            return None
    token = event.sealed_token
    if not token or token == ERASED:  # before links were events, or the user was deleted
        return None
    title, body = compose(purpose, token, event.expires_at, ui_url)
    return AccountMail(Draft(owner, purpose, title, body), event.expires_at)


def compose(purpose: str, token: str, expires_at: datetime, ui_url: str) -> tuple[str, str]:
    """The subject and body of a link's mail (the link on the web UI at ``ui_url``)."""
    link = f"{ui_url.rstrip('/')}/#/{PAGES[purpose]}?token={quote(token, safe='')}"
    until = expires_at.strftime("%Y-%m-%d %H:%M UTC")
    if purpose == "verify_email":
        return (
            "Verify your e-mail address",
            f"Open this link to confirm that this address is yours (until {until}):\n\n"
            f"{link}\n\nUntil then, nothing else is sent to it. "
            "If you did not ask for this, ignore this mail.",
        )
    return (
        "Reset your password",
        f"Open this link to choose a new password (once, until {until}):\n\n{link}\n\n"
        "If you did not ask for this, ignore this mail: your password stays as it is.",
    )
