"""The simulator's admin routes for an account's past (under ``/sim/``, not BingX's): write
closed trades into the last days, and bound how much one history answer gives."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from fleet.bingx_sim.domain.engine import exchange_ms
from fleet.bingx_sim.domain.history import seed_round_trips
from fleet.bingx_sim.state import SimState

router = APIRouter(prefix="/sim", tags=["simulator"])


class PastTradesPlan(BaseModel):
    round_trips: int = Field(ge=1, le=20_000)
    days: int = Field(default=90, ge=1, le=90)
    symbol: str = "BTC-USDT"


class HistoryLimits(BaseModel):
    rows_max: int = Field(ge=1, le=1000)


@router.post("/accounts/{api_key}/history", status_code=201)
async def write_past_trades(request: Request, api_key: str, body: PastTradesPlan) -> dict[str, Any]:
    """Closed trades of the account's past (fills, fees, realised PnL), as if made then."""
    state: SimState = request.app.state.sim
    account = state.accounts.by_key.get(api_key)
    if account is None or not state.market.has(body.symbol):
        raise HTTPException(404, "no such account or symbol")
    past = seed_round_trips(
        state.engine,
        account,
        exchange_ms(),
        round_trips=body.round_trips,
        days=body.days,
        symbol=body.symbol,
        price=state.mark(body.symbol),
    )
    return {
        "roundTrips": past.round_trips,
        "fills": past.fills,
        "realisedPnl": str(past.realised_pnl),
        "fees": str(past.fees),
        "incomeRows": past.income_rows,
    }


@router.post("/history-limits")
async def limit_history(request: Request, body: HistoryLimits) -> dict[str, int]:
    """At most ``rows_max`` rows in one ``allFillOrders`` answer (BingX documents no cap)."""
    state: SimState = request.app.state.sim
    state.history.rows_max = body.rows_max
    return {"rows_max": state.history.rows_max}
