"""Settings of the gateway (environment variables, prefix ``FLEET_``)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from fleet.billing import PeriodScheme
from fleet.billing.periods import PeriodSetting
from fleet.settings import ServiceSettings

Networks = Annotated[list[ipaddress.IPv4Network | ipaddress.IPv6Network], NoDecode]
Hosts = Annotated[list[str], NoDecode]


class GatewaySettings(ServiceSettings):
    """The gateway serves the HTTP API on ``FLEET_HTTP_PORT`` and reads PostgreSQL."""

    service_name: str = "gateway"
    http_port: int = Field(default=8080, ge=0, le=65535, description="HTTP API port.")
    product_name: str = Field(
        default="Fleet",
        min_length=1,
        max_length=40,
        description="The product's name in the page (an admin's setting overrides it).",
    )
    logo_url: str = Field(
        default="",
        max_length=300,
        pattern=r"^((https://[A-Za-z0-9.-]+(:\d+)?|)/[^\s<>\"']*)?$",
        description="Logo: an https URL or a path ('' = none).",
    )
    accent_colour: str = Field(
        default="#1f5fbf", pattern=r"^#[0-9a-fA-F]{6}$", description="The UI's accent colour."
    )
    billing_period: PeriodSetting = Field(
        default="monthly",
        description="Fee periods for the running estimate: 'monthly' or seconds (as auth's).",
    )
    database_url: str = Field(
        default="postgresql+psycopg://postgres@127.0.0.1:5432/fleet",
        description="SQLAlchemy URL of the read-model database.",
    )
    admin_2fa_required: bool = Field(
        default=True,
        description="Admins must enrol in two-factor authentication before anything else.",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Served over https: Secure cookies, HSTS (false only for a local http stack).",
    )
    hsts_max_age_s: int = Field(
        default=31_536_000,
        ge=0,
        le=63_072_000,
        description="Strict-Transport-Security max-age while cookies are Secure (0: no HSTS).",
    )
    session_ttl_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="Absolute lifetime of a browser session."
    )
    session_idle_minutes: float = Field(
        default=30.0, gt=0, le=24 * 60, description="A session unused this long ends."
    )
    command_timeout_s: float = Field(
        default=5.0, gt=0, le=120, description="How long to wait for a service's reply."
    )
    bingx_simulated: bool = Field(
        default=False,
        description="The BingX hosts are the simulator (set by fleet up and test stacks): "
        "every trader's badge says SIMULATOR.",
    )
    dev_mail_dir: Path | None = Field(
        default=None,
        description="The Maildir of fleet up's local SMTP sink: /dev/mails shows it to "
        "admins while FLEET_BINGX_SIMULATED (404 otherwise).",
    )
    connect_timeout_s: float = Field(
        default=20.0, gt=0, le=120, description="Reply wait of a BingX connect (calls BingX)."
    )
    read_your_writes_s: float = Field(
        default=2.0, ge=0, le=30, description="How long a write waits for its read model."
    )
    trusted_proxies: Networks = Field(
        default_factory=list,
        description="Comma list of proxy IPs/CIDRs whose X-Forwarded-For is read (empty: none).",
    )
    allowed_hosts: Hosts = Field(
        default_factory=list,
        description="Comma list of Host names served (empty: the bind host and localhost).",
    )
    http_max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, le=64 * 1024 * 1024, description="Largest request body."
    )
    http_max_header_bytes: int = Field(
        default=16 * 1024, ge=4096, le=1024 * 1024, description="Largest request head."
    )
    gateway_internal_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of detailed health and /metrics (unset: not served).",
    )
    gateway_internal_host: str = Field(
        default="127.0.0.1", description="Address of the internal port (loopback by default)."
    )
    user_writes_per_minute: float = Field(
        default=600.0, gt=0, description="State-changing requests a user may make a minute."
    )
    user_writes_burst: int = Field(
        default=120, ge=1, description="State-changing requests a user may make at once."
    )
    http_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Gateway processes sharing the HTTP port (stateless: about one a core).",
    )
    session_purge_minutes: float = Field(
        default=10.0, gt=0, description="How often dead sessions are deleted."
    )
    live_max_sockets: int = Field(
        default=2000, ge=1, description="Live-update WebSockets one gateway process serves."
    )
    live_max_sockets_per_user: int = Field(
        default=8, ge=1, description="Live-update WebSockets of one user per process."
    )
    live_queue_frames: int = Field(
        default=1024, ge=1, description="Frames queued for a socket before it is dropped as slow."
    )
    live_max_message_bytes: int = Field(
        default=4096, ge=125, description="Largest WebSocket message a client may send."
    )
    live_ping_s: float = Field(
        default=20.0,
        gt=0,
        description="Idle WebSockets are pinged this often (and closed "
        "when the pong takes as long).",
    )

    def period_scheme(self) -> PeriodScheme:
        """How fee periods are cut (``FLEET_BILLING_PERIOD``, the same as auth's)."""
        return PeriodScheme.parse(self.billing_period)

    @field_validator("trusted_proxies", "allowed_hosts", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [ipaddress.ip_network(str(item), strict=False) for item in value]
        return value

    def served_hosts(self) -> list[str]:
        """The ``Host`` names answered: the configured ones, else the bind host and
        localhost."""
        if self.allowed_hosts:
            return list(self.allowed_hosts)
        bind = self.http_host
        local = ["localhost", "127.0.0.1", "::1", "[::1]"]
        return local if bind in {"", "0.0.0.0", "::", *local} else [bind, *local]
