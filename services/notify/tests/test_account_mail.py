"""Account mails (verification, reset links): composed with the UI's link, sent to the
address auth names, answered at once."""

from datetime import UTC, datetime

from fleet.events.commands import Actor
from fleet.events.notifications import SendAccountMail
from fleet.notify.account_mail import AccountMails, compose
from fleet.notify.errors import DeliveryFailed
from fleet.notify.settings import NotifySettings

TOKEN = "user-1.AbC_-" + "x" * 38


def _mail(purpose: str = "verify_email") -> SendAccountMail:
    return SendAccountMail.model_validate(
        {
            "user_id": "user-1",
            "email": "ann@example.com",
            "purpose": purpose,
            "token": TOKEN,
            "expires_at": datetime(2026, 3, 2, 12, tzinfo=UTC),
            "actor": Actor(user_id="user-1"),
        }
    )


def test_the_links_lead_to_the_ui_pages() -> None:
    subject, body = compose(_mail(), "https://fleet.example/")
    assert subject == "Verify your e-mail address"
    assert f"https://fleet.example/#/verify-email?token={TOKEN}" in body
    subject, body = compose(_mail("reset_password"), "https://fleet.example")
    assert subject == "Reset your password"
    assert f"https://fleet.example/#/reset-password?token={TOKEN}" in body


class _Mailer:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        if self.failures:
            self.failures -= 1
            raise DeliveryFailed("try later", retryable=True)
        self.sent.append((to, subject, body))


async def test_a_mail_is_tried_again_after_a_passing_failure() -> None:
    mailer = _Mailer(failures=1)
    settings = NotifySettings.model_validate({"retry_base_s": 0.01})
    mails = AccountMails(settings, mailer)  # type: ignore[arg-type]
    await mails.send(_mail())
    [(to, subject, body)] = mailer.sent
    assert to == "ann@example.com" and TOKEN in body and subject.startswith("Verify")


async def test_a_malformed_request_is_refused_naming_the_field() -> None:
    mails = AccountMails(NotifySettings(), _Mailer(0))  # type: ignore[arg-type]
    reply = await mails.answer(b'{"user_id": "u", "purpose": "verify_email"}')
    assert reply.error is not None and reply.error.code == "invalid"
