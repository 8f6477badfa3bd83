"""Settings of the strategy service (environment variables, prefix ``FLEET_``)."""

from __future__ import annotations

import os
import socket

from pydantic import Field

from fleet.bingx.ws import swap_ws_url
from fleet.settings import ServiceSettings


class StrategySettings(ServiceSettings):
    """The strategy reads BingX market data once for everyone."""

    service_name: str = "strategy"
    bingx_base_url: str = Field(default="https://open-api.bingx.com", description="BingX REST.")
    bingx_ws_url: str = Field(default="", description="Market WebSocket; derived if empty.")
    instance_id: str = Field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}",
        description="Who holds the active lease.",
    )

    @property
    def market_ws_url(self) -> str:
        return swap_ws_url(self.bingx_base_url, self.bingx_ws_url)
