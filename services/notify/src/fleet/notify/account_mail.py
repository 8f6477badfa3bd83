"""Account mails: single-use links auth asks for (``cmd.notify.send_account_mail``).

They are not notifications: no preferences, no digest, no event (the token is only in the
request and the mail). ``verify_email`` goes to the address auth names even unverified
(it is the one mail an unverified address receives); the request is answered at once and
the mail sent in the background, tried a few times (a lost link is asked for again).
"""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import quote

from fleet.bus.commands import decode
from fleet.events.commands import CommandReply, Reply
from fleet.events.notifications import AccountMailQueued, SendAccountMail
from fleet.notify.adapters.smtp import SmtpMailer
from fleet.notify.errors import DeliveryFailed
from fleet.notify.settings import NotifySettings
from fleet.obs import get_logger

TRIES = 3
PAGES = {"verify_email": "verify-email", "reset_password": "reset-password"}


def compose(mail: SendAccountMail, ui_url: str) -> tuple[str, str]:
    """The subject and body of ``mail`` (its link on the web UI at ``ui_url``)."""
    link = f"{ui_url.rstrip('/')}/#/{PAGES[mail.purpose]}?token={quote(mail.token, safe='')}"
    until = mail.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    if mail.purpose == "verify_email":
        return (
            "Verify your e-mail address",
            f"Open this link to confirm that this address is yours (until {until}):\n\n"
            f"{link}\n\nUntil then, Fleet sends nothing else to it. "
            "If you did not ask for this, ignore this mail.",
        )
    return (
        "Reset your password",
        f"Open this link to choose a new password (once, until {until}):\n\n{link}\n\n"
        "If you did not ask for this, ignore this mail: your password stays as it is.",
    )


class AccountMails:
    """Answers ``send_account_mail`` and sends in the background."""

    def __init__(self, settings: NotifySettings, mailer: SmtpMailer | None = None) -> None:
        self._settings = settings
        self._mailer = mailer or SmtpMailer(settings)
        self._tasks: set[asyncio.Task[None]] = set()

    async def answer(self, body: bytes) -> CommandReply:
        command = decode(SendAccountMail, body)  # only auth may send it (NATS permissions)
        if isinstance(command, CommandReply):
            return command
        task = asyncio.create_task(self.send(command))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return Reply[AccountMailQueued].accepted(AccountMailQueued()).wire()

    async def send(self, mail: SendAccountMail) -> None:
        subject, text = compose(mail, self._settings.ui_url)
        message_id = f"account-{uuid.uuid4()}"
        for attempt in range(TRIES):
            try:
                await self._mailer.send(mail.email, subject, text, message_id)
                return
            except DeliveryFailed as exc:
                if not exc.retryable or attempt == TRIES - 1:
                    get_logger().warning(
                        "account mail failed", purpose=mail.purpose, reason=exc.reason
                    )
                    return
                await asyncio.sleep(self._settings.retry_base_s * 2**attempt)
