"""A trader's own position controls: close one position, flatten all of mine. Both go to
the executor as a flatten request (the exit path every close takes: reduce-only market
orders through the risk gate, each order in the log), audited like the other trader
actions; the answer says what was asked, the fills follow."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from fleet.events.executor_commands import FlattenPositions, FlattensRequested
from fleet.gateway.api.routing import ServicesDep, audited, make_router
from fleet.gateway.deps import Access, Services, authorize
from fleet.gateway.errors import GatewayError, not_found
from fleet.gateway.read_models.trading import queries as trading
from fleet.gateway.schemas.controls import CloseRequested
from fleet.gateway.schemas.trading import PositionOut

router = make_router("account")

SymbolPath = Annotated[str, Path(max_length=32, pattern=r"^[A-Z0-9]+-USDT$", examples=["BTC-USDT"])]


@router.post(
    "/api/positions/{symbol}/close",
    summary="Close my position in one symbol (a reduce-only market order)",
    operation_id="position_close",
    status_code=202,
)
async def close_position(
    symbol: SymbolPath,
    access: Annotated[Access, Depends(authorize("trading.close"))],
    services: ServicesDep,
) -> CloseRequested:
    open_here = [p for p in await _open_positions(services, access) if p.symbol == symbol]
    if not open_here:
        raise not_found(f"you have no open position in {symbol}")
    await _flatten(services, access, "trading.close", symbol)
    return CloseRequested(status="requested", symbols=[symbol], positions=len(open_here))


@router.post(
    "/api/positions/flatten",
    summary="Close every position of mine (reduce-only market orders)",
    operation_id="positions_flatten",
    status_code=202,
)
async def flatten_mine(
    access: Annotated[Access, Depends(authorize("trading.flatten"))], services: ServicesDep
) -> CloseRequested:
    found = await _open_positions(services, access)
    if not found:
        raise GatewayError(409, "conflict", "you have no open positions to close")
    await _flatten(services, access, "trading.flatten", None)
    symbols = sorted({p.symbol for p in found})
    return CloseRequested(status="requested", symbols=symbols, positions=len(found))


async def _open_positions(services: Services, access: Access) -> list[PositionOut]:
    return await services.db.read(trading.positions_of, access.caller.user_id)


async def _flatten(services: Services, access: Access, action: str, symbol: str | None) -> None:
    caller = access.caller
    reason = f"{symbol} closed by the trader" if symbol else "flatten requested by the trader"
    command = FlattenPositions(
        user_id=caller.user_id,
        symbol=symbol,
        reason=reason,
        actor=caller.actor(),
        correlation_id=access.request_id,
    )
    details = {"symbol": symbol} if symbol else {}
    await audited(
        services,
        access,
        action,
        command,
        FlattensRequested,
        target=caller.user_id,
        details=details,
    )
