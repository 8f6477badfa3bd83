"""Settings of the executor service (environment variables, prefix `FLEET_`)."""

from __future__ import annotations

from fleet.settings import ServiceSettings


class ExecutorSettings(ServiceSettings):
    """Every variable of :class:`ServiceSettings`; the service adds its own as it grows."""

    service_name: str = "executor"
