"""The simulator's own admin API under ``/sim/`` (not part of BingX)."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from fleet.bingx_sim.domain.accounts import SimError, SimOrder, next_order_id
from fleet.bingx_sim.domain.engine import Engine, FillReport, exchange_ms
from fleet.bingx_sim.domain.modes import ExecutionMode
from fleet.bingx_sim.state import SimState

router = APIRouter(prefix="/sim", tags=["simulator"])


class NewAccount(BaseModel):
    balance: Decimal = Field(default=Decimal(10000), ge=0)
    permissions: list[str] = Field(default_factory=lambda: ["read", "trade"])
    ip_addresses: list[str] = Field(default_factory=list)


class BalanceChange(BaseModel):
    balance: Decimal = Field(ge=0)


class ClockChange(BaseModel):
    advance_ms: int | None = Field(default=None, ge=0)
    set_ms: int | None = Field(default=None, gt=0)


class ManualPosition(BaseModel):
    api_key: str = Field(alias="apiKey")
    symbol: str
    side: str = Field(pattern="^(LONG|SHORT)$")
    quantity: Decimal = Field(gt=0)


class FaultPlan(BaseModel):
    latency_ms: int = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    timeout_after_accept: int = Field(default=0, ge=0)
    rate_limit_storm: int = Field(default=0, ge=0)
    bad_gateway_after_accept: int = Field(default=0, ge=0)
    bare_status: int = Field(default=429, ge=400, le=599)
    bare_status_count: int = Field(default=0, ge=0)
    garbage_frames: int = Field(default=0, ge=0)
    refuse_websockets_s: float = Field(default=0.0, ge=0, le=3600)
    silence_market_s: float = Field(default=0.0, ge=0, le=3600)
    listen_key_ttl_s: float | None = Field(default=None, gt=0, le=3600)
    drop_websockets: bool = False


def _state(request: Request) -> SimState:
    state: SimState = request.app.state.sim
    return state


@router.post("/accounts", status_code=201)
async def create_account(request: Request, body: NewAccount) -> dict[str, str]:
    try:
        account = _state(request).accounts.create(body.balance, body.permissions, body.ip_addresses)
    except SimError as exc:
        raise HTTPException(422, exc.message) from None
    return {"apiKey": account.api_key, "secretKey": account.secret, "uid": account.uid}


@router.get("/accounts/{api_key}")
async def account_state(request: Request, api_key: str) -> dict[str, Any]:
    account = _state(request).accounts.by_key.get(api_key)
    if account is None:
        raise HTTPException(404, "no such account")
    return {
        "uid": account.uid,
        "balance": str(account.wallet),
        "hedgeMode": account.hedge_mode,
        "positions": [
            {
                "symbol": p.symbol,
                "side": p.side,
                "quantity": str(p.quantity),
                "entryPrice": str(p.entry_price),
                "manual": p.manual,
            }
            for p in account.open_positions()
        ],
        "orders": [o.wire() for o in account.orders.values()],
        "fills": account.fills,
    }


@router.put("/accounts/{api_key}/balance")
async def set_balance(request: Request, api_key: str, body: BalanceChange) -> dict[str, str]:
    """Move the wallet balance outside any order (a loss, deposit or withdrawal elsewhere)."""
    account = _state(request).accounts.by_key.get(api_key)
    if account is None:
        raise HTTPException(404, "no such account")
    account.wallet = body.balance
    return {"balance": str(account.wallet)}


class LimitSwitch(BaseModel):
    enabled: bool


@router.post("/limits")
async def switch_limits(request: Request, body: LimitSwitch) -> dict[str, Any]:
    """Turn rate limits on or off and start counting afresh (tests set users up fast,
    then measure a fan-out under BingX's limits)."""
    state = _state(request)
    state.limits.reset(enabled=body.enabled)
    return {"enabled": state.limits.enabled, "refused": state.limits.refused}


@router.get("/limits")
async def limits(request: Request) -> dict[str, Any]:
    """Whether rate limits are enforced, how many requests they refused so far (in all
    and by kind of window, e.g. ``ip:POST /openApi/swap/v2/trade/order``), and the source
    address each account's last signed request came from (by uid)."""
    limits = _state(request).limits
    return {
        "enabled": limits.enabled,
        "refused": limits.refused,
        "refused_by": limits.refused_by,
        "sources": limits.sources,
    }


@router.get("/clock")
async def read_clock(request: Request) -> dict[str, float]:
    clock = _state(request).clock
    return {"now_ms": clock.now_ms(), "speed": clock.speed}


@router.post("/clock")
async def move_clock(request: Request, body: ClockChange) -> dict[str, int]:
    clock = _state(request).clock
    if body.set_ms is not None:
        clock.set_ms(body.set_ms)
    if body.advance_ms is not None:
        clock.advance_ms(body.advance_ms)
    return {"now_ms": clock.now_ms()}


@router.post("/positions", status_code=201)
async def open_by_hand(request: Request, body: ManualPosition) -> dict[str, str]:
    state = _state(request)
    account = state.accounts.by_key.get(body.api_key)
    if account is None or not state.market.has(body.symbol):
        raise HTTPException(404, "no such account or symbol")
    position = account.position(body.symbol, body.side)
    mark = state.mark(body.symbol)
    total = position.quantity + body.quantity
    position.entry_price = (position.entry_price * position.quantity + mark * body.quantity) / total
    position.quantity, position.manual = total, True
    # as a trade placed in BingX's app would: a filled market order on the user's stream
    order = SimOrder(
        order_id=next_order_id(),
        client_order_id="",
        symbol=body.symbol,
        side="BUY" if body.side == "LONG" else "SELL",
        position_side=body.side,
        type="MARKET",
        quantity=body.quantity,
        status="FILLED",
        executed=body.quantity,
        avg_price=mark,
        time_ms=exchange_ms(),
        update_ms=exchange_ms(),
    )
    account.orders[order.order_id] = order
    fill = FillReport(state.engine.new_trade_id(), body.quantity, mark, Decimal(0), Decimal(0))
    Engine.record(account, order, fill, exchange_ms())
    state.publish_order(account, order, fill)
    return {"symbol": body.symbol, "side": body.side, "quantity": str(total)}


@router.get("/subscriptions")
async def subscriptions(request: Request) -> dict[str, int]:
    """Open market-data subscriptions per topic, over every connection."""
    return {topic: n for topic, n in _state(request).subscriptions.items() if n > 0}


@router.get("/websockets")
async def websockets_seen(request: Request) -> dict[str, Any]:
    """Sockets open and at most open per client address, refusals, listenKeys created."""
    state = _state(request)
    return {
        "open_by_address": {a: n for a, n in state.sockets_by_address.items() if n > 0},
        "peak_by_address": dict(state.peak_sockets_by_address),
        "refused": state.refused_sockets,
        "listen_keys_created": state.listen_keys_created,
    }


@router.post("/faults")
async def inject_faults(request: Request, body: FaultPlan) -> dict[str, Any]:
    faults = _state(request).faults
    faults.latency_ms, faults.error_rate = body.latency_ms, body.error_rate
    faults.timeout_after_accept = body.timeout_after_accept
    faults.rate_limit_storm = body.rate_limit_storm
    faults.bad_gateway_after_accept = body.bad_gateway_after_accept
    faults.bare_status, faults.bare_status_count = body.bare_status, body.bare_status_count
    faults.garbage_frames = body.garbage_frames
    if body.listen_key_ttl_s is not None:
        _state(request).listen_key_ttl_s = body.listen_key_ttl_s
    if body.refuse_websockets_s:
        faults.refuse_websockets_until = time.monotonic() + body.refuse_websockets_s
    if body.silence_market_s:
        faults.market_silent_until = time.monotonic() + body.silence_market_s
    if body.drop_websockets:
        for socket in list(_state(request).sockets):
            with contextlib.suppress(Exception):
                await socket.close(code=1011, reason="injected drop")
    return body.model_dump()


class ModeChange(BaseModel):
    """Execution mode for every account, or for one (``apiKey``); omitted fields keep
    their value. ``reset`` drops the account's own mode (it follows the global one)."""

    api_key: str | None = Field(default=None, alias="apiKey")
    fill_delay_ms: int | None = Field(default=None, ge=0, le=600_000)
    partial_fills: int | None = Field(default=None, ge=1, le=100)
    partial_gap_ms: int | None = Field(default=None, ge=0, le=60_000)
    partial_spread: Decimal | None = Field(default=None, ge=0, le=Decimal("0.05"))
    funding_rate: Decimal | None = Field(default=None, ge=Decimal("-0.03"), le=Decimal("0.03"))
    precision: str | None = Field(default=None, pattern="^(truncate|reject)$")
    expire_after_parts: int | None = Field(default=None, ge=0, le=100)
    reset: bool = False


def _mode_body(mode: ExecutionMode) -> dict[str, Any]:
    return {
        "fill_delay_ms": mode.fill_delay_ms,
        "partial_fills": mode.partial_fills,
        "partial_gap_ms": mode.partial_gap_ms,
        "partial_spread": str(mode.partial_spread),
        "funding_rate": str(mode.funding_rate),
        "precision": mode.precision,
        "expire_after_parts": mode.expire_after_parts,
    }


@router.get("/modes")
async def read_modes(request: Request, apiKey: str | None = None) -> dict[str, Any]:
    """The global mode, or the mode an account trades under."""
    state = _state(request)
    if apiKey is None:
        return _mode_body(state.mode)
    account = state.accounts.by_key.get(apiKey)
    if account is None:
        raise HTTPException(404, "no such account")
    return _mode_body(state.mode_for(account))


@router.post("/modes")
async def change_modes(request: Request, body: ModeChange) -> dict[str, Any]:
    """Change how orders fill, funding's rate and the precision rule (see the README)."""
    state = _state(request)
    changes = {
        key: value
        for key, value in body.model_dump(exclude={"api_key", "reset"}).items()
        if value is not None
    }
    if body.api_key is None:
        state.mode = dataclasses.replace(state.mode, **changes)
        return _mode_body(state.mode)
    account = state.accounts.by_key.get(body.api_key)
    if account is None:
        raise HTTPException(404, "no such account")
    if body.reset:
        state.account_modes.pop(account.api_key, None)
    else:
        state.account_modes[account.api_key] = dataclasses.replace(
            state.mode_for(account), **changes
        )
    return _mode_body(state.mode_for(account))


@router.post("/funding")
async def pay_funding(request: Request) -> dict[str, Any]:
    """Pay funding now, as at an 8-hour mark, without moving the market's clock (tests
    whose candles must not jump)."""
    state = _state(request)
    now = state.clock.now_ms()
    state.fund_now(now)
    return {"funding_time": now, "rate": str(state.mode.funding_rate)}


class TransferIn(BaseModel):
    amount: Decimal = Field(ge=-(10**9), le=10**9, allow_inf_nan=False)


@router.post("/accounts/{api_key}/transfers", status_code=201)
async def transfer(request: Request, api_key: str, body: TransferIn) -> dict[str, object]:
    """A deposit (``amount`` > 0) or withdrawal (< 0) as BingX reports one: an income row
    ``TRANSFER`` and an ``ACCOUNT_UPDATE`` with reason ``DEPOSIT`` / ``WITHDRAW``."""
    state = _state(request)
    account = state.accounts.by_key.get(api_key)
    if account is None:
        raise HTTPException(404, "no such account")
    try:
        row = state.transfer(account, body.amount)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"balance": str(account.wallet), "income": row}
