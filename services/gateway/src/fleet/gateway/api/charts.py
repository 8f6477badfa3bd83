"""What the charts draw: a trader's equity history (his own, a granted one for a viewer,
any trader's for an admin) and the market's candles with the strategy's indicators."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from fleet.gateway.adapters import market
from fleet.gateway.api.routing import ServicesDep, make_router
from fleet.gateway.deps import Access, authorize
from fleet.gateway.read_models.trading import equity_reads
from fleet.gateway.schemas.base import IdPath
from fleet.gateway.schemas.charts import CandlesOut, CandlesQuery, EquityOut

router = make_router("charts")


@router.get(
    "/api/equity",
    summary="My equity curve, drawdown per point and daily PnL",
    operation_id="equity",
)
async def equity(
    access: Annotated[Access, Depends(authorize("trading.equity"))], services: ServicesDep
) -> EquityOut:
    return await services.db.read(equity_reads.equity_of, access.caller.user_id)


@router.get(
    "/api/admin/users/{user_id}/equity",
    summary="A trader's equity curve (read with his dashboard, whose view is audited)",
    operation_id="admin_equity",
)
async def admin_equity(
    user_id: IdPath,
    access: Annotated[Access, Depends(authorize("admin.equity"))],
    services: ServicesDep,
) -> EquityOut:
    return await services.db.read(equity_reads.equity_of, access.target_id)


@router.get(
    "/api/viewer/traders/{trader_id}/equity",
    summary="A granted trader's equity curve, read-only",
    operation_id="viewer_equity",
)
async def viewer_equity(
    trader_id: IdPath,
    access: Annotated[Access, Depends(authorize("viewer.equity"))],
    services: ServicesDep,
) -> EquityOut:
    return await services.db.read(equity_reads.equity_of, access.target_id)


@router.get(
    "/api/market/candles",
    summary="A market's candles with the strategy's ADX / +DI / -DI (any signed-in user)",
    operation_id="market_candles",
)
async def market_candles(
    _access: Annotated[Access, Depends(authorize("market.candles"))],
    services: ServicesDep,
    query: Annotated[CandlesQuery, Query()],
) -> CandlesOut:
    found = await market.candles(services.nc, query.symbol, query.timeframe, query.limit)
    return CandlesOut(symbol=query.symbol, timeframe=query.timeframe, candles=found)
