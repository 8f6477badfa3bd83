"""Public market-data endpoints (§4.1)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request

from fleet.bingx_sim.domain.accounts import SimError
from fleet.bingx_sim.domain.contracts import spec_for
from fleet.bingx_sim.domain.market import quantise, trades
from fleet.bingx_sim.domain.modes import FUNDING_EVERY_MS
from fleet.bingx_sim.state import SimState
from fleet.events.timeframes import INTERVAL_MINUTES

router = APIRouter()
SWAP = "/openApi/swap"
DAY_MS = 24 * 3_600_000


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
    if interval not in INTERVAL_MINUTES:
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
async def latest_price(request: Request, symbol: str | None = None) -> dict[str, Any]:
    """One symbol: an object; none: an array of every symbol's (API.md §4.1)."""
    state = _state(request)

    def row(name: str) -> dict[str, Any]:
        return {"symbol": name, "price": str(state.mark(name)), "time": state.clock.now_ms()}

    if symbol is not None:
        return ok(row(_symbol(state, symbol)))
    return ok([row(name) for name in state.market.paths])


def _spread(state: SimState, symbol: str) -> tuple[Decimal, Decimal]:
    """Best bid and best ask around the mark (the depth answer's first levels)."""
    mark = state.mark(symbol)
    tick = spec_for(symbol).price_precision
    step = mark * 2 / 10_000
    return quantise(float(mark - step), tick), quantise(float(mark + step), tick)


def _ticker(state: SimState, symbol: str) -> dict[str, Any]:
    """24 h statistics from the minute bars, the last price the mark (API.md §4.1)."""
    now = state.clock.now_ms()
    decimals = spec_for(symbol).price_precision
    bars = state.market.paths[symbol].bars_between(now - DAY_MS, now + 1)
    last = state.mark(symbol)
    opening = quantise(bars[0].open, decimals) if bars else last
    high = quantise(max(b.high for b in bars), decimals) if bars else last
    low = quantise(min(b.low for b in bars), decimals) if bars else last
    volume = sum(b.volume for b in bars)
    change = last - opening
    percent = change / opening * 100 if opening else Decimal(0)
    bid, ask = _spread(state, symbol)
    return {
        "symbol": symbol,
        "priceChange": str(change),
        "priceChangePercent": f"{percent:.2f}",
        "lastPrice": str(last),
        "lastQty": "1",
        "highPrice": str(max(high, last)),
        "lowPrice": str(min(low, last)),
        "volume": f"{volume:.2f}",
        "quoteVolume": f"{Decimal(str(volume)) * last:.2f}",
        "openPrice": str(opening),
        "openTime": now - DAY_MS,
        "closeTime": now,
        "bidPrice": str(bid),
        "bidQty": "1.500",
        "askPrice": str(ask),
        "askQty": "1.500",
    }


@router.get(f"{SWAP}/v2/quote/ticker")
async def ticker(request: Request, symbol: str | None = None) -> dict[str, Any]:
    """One symbol: an object; none: an array of every symbol's."""
    state = _state(request)
    if symbol is not None:
        return ok(_ticker(state, _symbol(state, symbol)))
    return ok([_ticker(state, s) for s in state.market.paths])


def _premium(state: SimState, symbol: str) -> dict[str, Any]:
    mark = str(state.mark(symbol))
    now = state.clock.now_ms()
    return {
        "symbol": symbol,
        "markPrice": mark,
        "indexPrice": mark,
        "lastFundingRate": str(state.mode.funding_rate),
        "nextFundingTime": now - now % FUNDING_EVERY_MS + FUNDING_EVERY_MS,
    }


@router.get(f"{SWAP}/v2/quote/premiumIndex")
async def premium_index(request: Request, symbol: str | None = None) -> dict[str, Any]:
    """Mark price and funding (funding every 8 h of simulated time); no symbol: all."""
    state = _state(request)
    if symbol is not None:
        return ok(_premium(state, _symbol(state, symbol)))
    return ok([_premium(state, s) for s in state.market.paths])


@router.get(f"{SWAP}/v2/quote/fundingRate")
async def funding_rates(
    request: Request,
    symbol: str,
    startTime: int | None = None,
    endTime: int | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """Past funding: one row per 8-hour mark (of simulated time), oldest first."""
    state = _state(request)
    _symbol(state, symbol)
    if not 1 <= limit <= 1000:
        raise SimError(80014, "Invalid parameters, limit: 1-1000")
    paid = dict(state.funding_history)
    now = state.clock.now_ms()
    last = min(now, endTime or now)
    last -= last % FUNDING_EVERY_MS
    first = startTime if startTime is not None else last - (limit - 1) * FUNDING_EVERY_MS
    first += -first % FUNDING_EVERY_MS
    times = list(range(first, last + 1, FUNDING_EVERY_MS))[:limit]
    return ok(
        [
            {
                "symbol": symbol,
                "fundingRate": str(paid.get(at, state.mode.funding_rate)),
                "fundingTime": at,
            }
            for at in times
        ]
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

    def coins(levels: list[list[str]]) -> list[list[str]]:  # the same levels in base coin
        return [[p, f"{Decimal(q) / Decimal(p):.4f}"] for p, q in levels]

    return ok(
        {
            "T": state.clock.now_ms(),
            "bids": bids,
            "asks": asks,
            "bidsCoin": coins(bids),
            "asksCoin": coins(asks),
        }
    )


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
                "quoteQty": f"{float(str(r['qty'])) * float(str(r['price'])):.2f}",
            }
            for r in rows
        ]
    )
