"""Settings of the vault service (environment variables, prefix `FLEET_`)."""

from __future__ import annotations

from fleet.settings import ServiceSettings


class VaultSettings(ServiceSettings):
    """Every variable of :class:`ServiceSettings`; the service adds its own as it grows."""

    service_name: str = "vault"
