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
