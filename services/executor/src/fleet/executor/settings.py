"""Settings of the executor service (environment variables, prefix ``FLEET_``)."""

from __future__ import annotations

import os
import re
import socket
from decimal import Decimal

from pydantic import Field

from fleet.bingx.ws import DEMO_REST_URL, swap_ws_url
from fleet.events.credentials import BingxEnvironment
from fleet.executor.domain.risk_gate import Caps
from fleet.settings import ServiceSettings


def _instance_id() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{socket.gethostname()}-{os.getpid()}")


class ExecutorSettings(ServiceSettings):
    """How the executor trades: partitions, egress identities, budgets, polling."""

    service_name: str = "executor"
    bingx_base_url: str = Field(default="https://open-api.bingx.com", description="BingX REST.")
    instance_id: str = Field(
        default_factory=_instance_id, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Lease owner."
    )
    partitions: int = Field(default=16, ge=1, le=1024, description="Users hash to P partitions.")
    snapshot_every: int = Field(
        default=100,
        ge=0,
        description="Snapshot a bot or account (fleet_snapshots bucket) after this many "
        "events since its last snapshot, so a load reads only the tail (0: never).",
    )
    egress: list[str] = Field(
        default_factory=lambda: ["default"],
        description="Egress identities (name=address, an address, or a name); each owned "
        "trader sends from the least used one. Each has its own per-IP BingX budget.",
    )
    rate_limits: bool = Field(
        default=True, description="Respect BingX's limits (switch off only for benchmarks)."
    )
    bingx_ws_url: str = Field(
        default="", description="BingX user-data WebSocket; derived from the REST URL if empty."
    )
    bingx_demo_base_url: str = Field(
        default=DEMO_REST_URL, description="BingX REST of demo (VST) traders."
    )
    bingx_demo_ws_url: str = Field(
        default="",
        description="User-data WebSocket of demo traders; derived from the demo REST URL if empty.",
    )
    user_streams_max: int = Field(
        default=2000,
        ge=0,
        description="User-data streams this process keeps open (one per running trader, "
        "up to this many; the others rely on polling; 0: polling only).",
    )
    user_streams_per_egress: int = Field(
        default=54,
        ge=0,
        description="User-data streams per egress identity: BingX allows ~60 sockets per "
        "address and one account per socket; 54 leaves room for a market stream and slack.",
    )
    poll_interval_s: float = Field(
        default=30.0, gt=0, description="Reconcile positions and balance every N seconds."
    )
    resolve_interval_s: float = Field(
        default=5.0, gt=0, description="Retry intents with no known outcome every N seconds."
    )
    max_signal_age_s: float | None = Field(
        default=None, gt=0, description="Older signals are skipped (default: one candle)."
    )
    signal_lookback_s: float = Field(
        default=900.0, gt=0, description="At start, read signals published this far back."
    )
    max_order_notional: Decimal = Field(
        default=Decimal(1_000_000),
        gt=0,
        description="Risk gate: no entry above this notional (USDT); a trader's own cap is "
        "also never above his equity x his leverage.",
    )
    max_exposure: Decimal = Field(
        default=Decimal(5_000_000),
        gt=0,
        description="Risk gate: no entry that takes a trader's open notional (USDT) above this "
        "(nor above his equity x his leverage).",
    )
    max_leverage: int = Field(
        default=125, ge=1, le=125, description="Risk gate: no entry above this leverage."
    )
    fanout_concurrency: int = Field(
        default=512, ge=1, description="Users decided and ordered at the same time."
    )

    @property
    def caps(self) -> Caps:
        """The platform's caps on new exposure, as the risk gate takes them."""
        return Caps(self.max_order_notional, self.max_exposure, self.max_leverage)

    @property
    def user_ws_url(self) -> str:
        """Where live traders' user-data streams connect (``?listenKey=`` is added)."""
        return swap_ws_url(self.bingx_base_url, self.bingx_ws_url)

    @property
    def rest_urls(self) -> dict[BingxEnvironment, str]:
        """BingX REST per environment: each trader calls his key's."""
        return {"live": self.bingx_base_url, "demo": self.bingx_demo_base_url}

    @property
    def user_ws_urls(self) -> dict[BingxEnvironment, str]:
        """User-data WebSocket per environment."""
        demo = swap_ws_url(self.bingx_demo_base_url, self.bingx_demo_ws_url)
        return {"live": self.user_ws_url, "demo": demo}
