"""E-mail over SMTP (aiosmtplib): STARTTLS and AUTH as configured."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr

import aiosmtplib

from fleet.notify.branding import BRANDING, Branding
from fleet.notify.errors import DeliveryFailed
from fleet.notify.settings import NotifySettings


def compose(
    product: str, sender: str, to: str, subject: str, body: str, message_id: str
) -> EmailMessage:
    """One e-mail in the product's name (white-label: ``FLEET_PRODUCT_NAME``): its name is
    the sender's display name, the subject's prefix and the signature."""
    message = EmailMessage()
    message["From"] = formataddr((product, sender))
    message["To"], message["Subject"] = to, f"{product}: {subject}"
    message["Message-ID"] = f"<{message_id}@fleet>"
    message.set_content(f"{body}\n\n-- \n{product}\n")
    return message


class SmtpMailer:
    """Sends one e-mail per call on its own SMTP session, in the product's name (the
    admin's branding setting over ``FLEET_PRODUCT_NAME``)."""

    def __init__(self, settings: NotifySettings, branding: Branding = BRANDING) -> None:
        self._settings = settings
        self._branding = branding

    async def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        """Send, or raise :class:`DeliveryFailed` (retryable unless the server said 5xx)."""
        s = self._settings
        if not s.smtp_host:
            raise DeliveryFailed("no SMTP server configured (FLEET_SMTP_HOST)", retryable=False)
        product = self._branding.product(s.product_name)
        message = compose(product, s.smtp_from, to, subject, body, message_id)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password.get_secret_value() or None,
                start_tls=s.smtp_starttls,
                cert_bundle=s.smtp_ca_file,
                timeout=s.smtp_timeout_s,
            )
        except aiosmtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.code < 600
            raise DeliveryFailed(
                f"SMTP {exc.code}: {exc.message}"[:300], retryable=not permanent
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            where = f"{s.smtp_host}:{s.smtp_port}"
            raise DeliveryFailed(
                f"SMTP {where}: {type(exc).__name__}: {exc}"[:300], retryable=True
            ) from exc
