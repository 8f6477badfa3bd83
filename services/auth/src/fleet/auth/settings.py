"""Settings of the auth service (environment variables, prefix `FLEET_`)."""

from __future__ import annotations

from fleet.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    """Every variable of :class:`ServiceSettings`; the service adds its own as it grows."""

    service_name: str = "auth"
