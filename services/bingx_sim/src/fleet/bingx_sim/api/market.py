"""Public market-data endpoints (§4.1)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from fleet.bingx_sim.domain.accounts import SimError
from fleet.bingx_sim.domain.contracts import spec_for
from fleet.bingx_sim.domain.market import INTERVALS_MS, quantise, trades
from fleet.bingx_sim.state import SimState

router = APIRouter()
SWAP = "/openApi/swap"


def _state(request: Request) -> SimState:
    state: SimState = request.app.state.sim
    return state


def ok(data: Any) -> dict[str, Any]:
    return {"code": 0, "msg": "", "data": data}


def _symbol(state: SimState, symbol: str | None) -> str:
    if not symbol or not state.market.has(symbol):
        raise SimError(109425, f"{symbol} not exist, please verify it")
    return symbol


@router.get(f"{SWAP}/v2/server/time")
async def server_time() -> dict[str, Any]:
    """Wall-clock time, what signed requests' timestamps are checked against. The market's
    simulated time (which may run faster) is ``GET /sim/clock``."""
    return ok({"serverTime": int(time.time() * 1000)})


@router.get(f"{SWAP}/v2/quote/contracts")
async def contracts(request: Request, symbol: str | None = None) -> dict[str, Any]:
    state = _state(request)
    symbols = [_symbol(state, symbol)] if symbol else list(state.market.paths)
    return ok([spec_for(s).wire(100 + i) for i, s in enumerate(symbols)])


@router.get(f"{SWAP}/v3/quote/klines")
async def klines(
    request: Request,
    symbol: str,
    interval: str,
    startTime: int | None = None,
    endTime: int | None = None,
    limit: int = 500,
) -> dict[str, Any]:
    state = _state(request)
    _symbol(state, symbol)
    if interval not in INTERVALS_MS:
        raise SimError(109400, f"interval {interval!r} is not supported")
    decimals = spec_for(symbol).price_precision
    bars = state.market.klines(
        symbol, interval, state.clock.now_ms(), startTime, endTime, max(1, min(limit, 1440))
    )
    return ok(
        [
            {
                "open": str(quantise(b.open, decimals)),
                "close": str(quantise(b.close, decimals)),
                "high": str(quantise(b.high, decimals)),
                "low": str(quantise(b.low, decimals)),
                "volume": f"{b.volume:.2f}",
                "time": b.open_ms,
            }
            for b in bars
        ]
    )


@router.get(f"{SWAP}/v1/ticker/price")
@router.get(f"{SWAP}/v2/quote/price")
async def latest_price(request: Request, symbol: str) -> dict[str, Any]:
    state = _state(request)
    return ok(
        {
            "symbol": _symbol(state, symbol),
            "price": str(state.mark(symbol)),
            "time": state.clock.now_ms(),
        }
    )


@router.get(f"{SWAP}/v2/quote/premiumIndex")
async def premium_index(request: Request, symbol: str) -> dict[str, Any]:
    state = _state(request)
    mark = str(state.mark(_symbol(state, symbol)))
    return ok(
        {
            "symbol": symbol,
            "markPrice": mark,
            "indexPrice": mark,
            "lastFundingRate": "0.0001",
            "nextFundingTime": state.clock.now_ms() + 3_600_000,
        }
    )


@router.get(f"{SWAP}/v2/quote/depth")
async def depth(request: Request, symbol: str, limit: int = 20) -> dict[str, Any]:
    state = _state(request)
    mark = state.mark(_symbol(state, symbol))
    tick = spec_for(symbol).price_precision
    step = mark * 2 / 10_000
    bids = [
        [str(quantise(float(mark - step * i), tick)), f"{1 + i * 0.5:.3f}"]
        for i in range(1, limit + 1)
    ]
    asks = [
        [str(quantise(float(mark + step * i), tick)), f"{1 + i * 0.5:.3f}"]
        for i in range(limit, 0, -1)
    ]  # BingX: asks descending, best ask last
    return ok({"T": state.clock.now_ms(), "bids": bids, "asks": asks})


@router.get(f"{SWAP}/v2/quote/trades")
async def recent_trades(request: Request, symbol: str, limit: int = 100) -> dict[str, Any]:
    state = _state(request)
    decimals = spec_for(_symbol(state, symbol)).price_precision
    rows = trades(state.market, symbol, state.clock.now_ms(), max(1, min(limit, 1000)))
    return ok(
        [
            {
                "time": r["time"],
                "isBuyerMaker": r["isBuyerMaker"],
                "price": str(quantise(float(str(r["price"])), decimals)),
                "qty": f"{float(str(r['qty'])):.4f}",
            }
            for r in rows
        ]
    )
