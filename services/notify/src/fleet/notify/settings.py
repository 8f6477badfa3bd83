"""Settings of the notify service (environment variables, prefix ``FLEET_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from fleet.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    """SMTP, webhooks, rate limits and where the service keeps its position."""

    service_name: str = "notify"
    database_url: str = Field(
        default="postgresql+psycopg://postgres@127.0.0.1:5432/fleet",
        description="SQLAlchemy URL of the database holding the personal-data keys.",
    )
    smtp_host: str = Field(default="", description="SMTP server; empty: no e-mail is sent.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port.")
    smtp_username: str = Field(default="", description="SMTP user (empty: no AUTH).")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="SMTP password.")
    smtp_from: str = Field(default="fleet@localhost", description="From address of e-mails.")
    product_name: str = Field(
        default="Fleet",
        min_length=1,
        max_length=40,
        description="The product's name in e-mails (sender name, subject, signature).",
    )
    smtp_starttls: bool = Field(default=True, description="Upgrade with STARTTLS (required).")
    smtp_ca_file: str | None = Field(
        default=None, description="CA bundle that signs the SMTP server's certificate."
    )
    smtp_timeout_s: float = Field(default=10.0, gt=0, le=120, description="Per SMTP session.")
    webhook_allowed_hosts: list[str] = Field(
        default_factory=list, description="Private/loopback hosts or IPs webhooks may reach."
    )
    webhook_signing_key: SecretStr = Field(
        default=SecretStr(""), description="Master key the per-user webhook secrets derive from."
    )
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60, description="Per webhook try.")
    webhook_max_reply_bytes: int = Field(
        default=65536, ge=1024, description="A longer reply is a failure (never read whole)."
    )
    delivery_attempts: int = Field(default=4, ge=1, le=10, description="Tries per delivery.")
    retry_base_s: float = Field(default=0.5, gt=0, le=60, description="First back-off; doubles.")
    delivery_concurrency: int = Field(default=8, ge=1, le=256, description="Deliveries at once.")
    notify_max_per_hour: int = Field(
        default=20, ge=1, description="Per user per kind per hour; the rest go to a digest."
    )
    notify_merge_window_s: float = Field(
        default=60.0, gt=0, description="Identical notifications within it are merged."
    )
    notify_position_bucket: str = Field(
        default="fleet_notify", description="NATS KV bucket holding the service's position."
    )
    ui_url: str = Field(
        default="http://127.0.0.1:8000/",
        pattern=r"^https?://",
        description="The web UI's address, for the links in account mails (verification).",
    )
