"""The admin's system page (``GET /api/admin/system``): each service's health, the read
models' lag, the strategy's lease, the executor partitions and their owners, the last
signal and its age, and the order rate against BingX's per-IP budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

from fastapi import Depends

from fleet.events import Envelope
from fleet.eventstore.errors import NATS_TROUBLE
from fleet.gateway.adapters.cluster_state import ClusterState, Leases
from fleet.gateway.api.routing import ServicesDep, make_router
from fleet.gateway.deps import Access, Services, authorize
from fleet.gateway.errors import GatewayError
from fleet.gateway.read_models.trading.queries import orders_touched_since
from fleet.gateway.schemas.system import (
    BudgetBucket,
    LastSignal,
    OrderRate,
    Partition,
    ServiceHealth,
    SystemOut,
)
from fleet.ratelimit import BINGX_IP_ORDERS_PER_10S

router = make_router("admin: system")


def _version() -> str | None:
    try:
        return version("fleet-gateway")
    except PackageNotFoundError:
        return None


def _held(service: str, holder: str | None, what: str) -> ServiceHealth:
    if holder is None:
        return ServiceHealth(service=service, status="fail", detail=f"nobody holds {what}")
    return ServiceHealth(service=service, status="ok", detail=f"{what} held by {holder}")


def _services(healthy: bool, leases: Leases) -> list[ServiceHealth]:
    members = leases.executor_members
    return [
        ServiceHealth(service="gateway", status="ok" if healthy else "fail", version=_version()),
        _held("strategy", leases.strategy, "the strategy lease"),
        _held("vault", leases.vault, "the signature counter's lease"),
        ServiceHealth(
            service="executor",
            status="ok" if members else "fail",
            detail=f"{len(members)} instance(s), {len(leases.partitions)} partition(s) owned",
        ),
    ]


def _last_signal(envelope: Envelope | None, now: datetime) -> LastSignal | None:
    if envelope is None:
        return None
    return LastSignal(
        symbol=str(envelope.data.get("symbol", "")),
        timeframe=str(envelope.data.get("timeframe", "")),
        occurred_at=envelope.occurred_at,
        age_s=max(0.0, (now - envelope.occurred_at).total_seconds()),
        sequence=envelope.sequence or 0,
    )


async def _order_rate(services: Services, identities: int, now: datetime) -> OrderRate:
    last_10 = await services.db.read(orders_touched_since, now - timedelta(seconds=10))
    last_60 = await services.db.read(orders_touched_since, now - timedelta(seconds=60))
    budget = BINGX_IP_ORDERS_PER_10S * max(1, identities)
    return OrderRate(
        orders_last_10s=last_10,
        orders_last_60s=last_60,
        egress_identities=identities,
        budget_per_10s=budget,
        used_pct=round(last_10 * 100 / budget, 2),
    )


@router.get(
    "/api/admin/system",
    summary="Services, read-model lag, leases, partitions, last signal, order rate",
    operation_id="admin_system",
)
async def system(
    access: Annotated[Access, Depends(authorize("admin.system"))], services: ServicesDep
) -> SystemOut:
    state = ClusterState(services.nc, services.stream)
    try:
        leases, budgets, signal = (
            await state.leases(),
            await state.budgets(),
            await state.last_signal(),
        )
    except NATS_TROUBLE as exc:  # NATS down or a bucket missing: said, not a 500
        raise GatewayError(503, "unavailable", "NATS did not answer; retry") from exc
    healthy, report = await services.health.report()
    now = datetime.now(UTC)
    identities = len({budget.identity for budget in budgets})
    lag = report.get("read_model_lag", {})
    return SystemOut(
        services=_services(healthy, leases),
        read_model_lag={k: v for k, v in lag.items() if isinstance(v, int)},
        strategy_lease=leases.strategy,
        executor_members=list(leases.executor_members),
        partitions=[Partition(partition=p, owner=o) for p, o in leases.partitions.items()],
        last_signal=_last_signal(signal, now),
        order_rate=await _order_rate(services, identities, now),
        budgets=[BudgetBucket(**vars(budget)) for budget in budgets],
    )
