"""Settings of the gateway (environment variables, prefix ``FLEET_``)."""

from __future__ import annotations

from pydantic import Field

from fleet.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """The gateway serves the HTTP API on ``FLEET_HTTP_PORT`` and reads PostgreSQL."""

    service_name: str = "gateway"
    http_port: int = Field(default=8080, ge=0, le=65535, description="HTTP API port.")
    database_url: str = Field(
        default="postgresql+psycopg://postgres@127.0.0.1:5432/fleet",
        description="SQLAlchemy URL of the read-model database.",
    )
    cookie_secure: bool = Field(
        default=True, description="Mark cookies Secure (false only for a local http stack)."
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
    connect_timeout_s: float = Field(
        default=20.0, gt=0, le=120, description="Reply wait of a BingX connect (calls BingX)."
    )
    read_your_writes_s: float = Field(
        default=2.0, ge=0, le=30, description="How long a write waits for its read model."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Peers whose X-Forwarded-For names the client IP (empty: none).",
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
