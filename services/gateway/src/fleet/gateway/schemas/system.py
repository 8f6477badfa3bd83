"""The admin's system page (``GET /api/admin/system``)."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from fleet.gateway.schemas.base import ApiModel


class ServiceHealth(ApiModel):
    """One service as the gateway can see it: its own checks (the gateway), or the lease
    or heartbeat it keeps in NATS KV (the others)."""

    service: str = Field(examples=["strategy"])
    status: str = Field(examples=["ok"], description="ok, fail, or unknown (no sign kept).")
    version: str | None = Field(default=None, examples=["0.1.0"])
    detail: str = Field(default="", examples=["lease held by strategy-a"])


class LastSignal(ApiModel):
    symbol: str = Field(examples=["BTC-USDT"])
    timeframe: str = Field(examples=["1h"])
    occurred_at: AwareDatetime
    age_s: float = Field(ge=0, examples=[12.5])
    sequence: int = Field(ge=0)


class Partition(ApiModel):
    partition: int = Field(ge=0)
    owner: str = Field(examples=["executor-a"])


class BudgetBucket(ApiModel):
    """A shared per-IP token bucket: tokens left when it was last spent from."""

    identity: str = Field(examples=["eu1"])
    bucket: str = Field(examples=["group3"])
    tokens: float | None = None
    spent_at: AwareDatetime | None = None


class OrderRate(ApiModel):
    orders_last_10s: int = Field(ge=0)
    orders_last_60s: int = Field(ge=0)
    egress_identities: int = Field(ge=0, description="Egress identities seen in the budgets.")
    budget_per_10s: int = Field(
        ge=0,
        description="What BingX allows in 10 s: its per-IP limit of order placement times "
        "the egress identities (at least one).",
    )
    used_pct: float = Field(ge=0, description="orders_last_10s in % of budget_per_10s.")


class SystemOut(ApiModel):
    services: list[ServiceHealth]
    read_model_lag: dict[str, int] = Field(description="Events each read model is behind.")
    strategy_lease: str | None = Field(description="The strategy instance holding the lease.")
    executor_members: list[str]
    partitions: list[Partition]
    last_signal: LastSignal | None = None
    order_rate: OrderRate
    budgets: list[BudgetBucket]
