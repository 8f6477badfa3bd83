"""Signed account and trading endpoints (§4.2, §4.3, §6.1)."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from fleet.bingx_sim.api.market import SWAP, ok
from fleet.bingx_sim.api.signed import params_of, signed_account
from fleet.bingx_sim.domain.accounts import PERPETUAL, Account, SimError, SimOrder
from fleet.bingx_sim.domain.contracts import spec_for
from fleet.bingx_sim.domain.engine import MAINTENANCE, OrderParams, exchange_ms
from fleet.bingx_sim.domain.liquidation import liquidation_price
from fleet.bingx_sim.state import SimState

router = APIRouter()


async def _setter_context(request: Request) -> tuple[SimState, Account, dict[str, str]]:
    """A signed request that changes trading settings: it needs the trade permission."""
    state, account, params = await _context(request)
    if PERPETUAL not in account.permissions:
        raise SimError(
            100004,
            "Permission denied, the API key was created without the "
            "permission of perpetual futures trading",
        )
    return state, account, params


async def _context(request: Request) -> tuple[SimState, Account, dict[str, str]]:
    state: SimState = request.app.state.sim
    account = await signed_account(request, state)
    state.tick()
    return state, account, params_of(request, (await request.body()).decode())


@router.get(f"{SWAP}/v3/user/balance")
async def balance(request: Request) -> dict[str, Any]:
    state, account, _ = await _context(request)
    marks = state.marks()
    unrealised, used = account.unrealised(marks), account.used_margin(marks)
    equity = account.wallet + unrealised
    row = {
        "userId": account.uid,
        "asset": "USDT",
        "balance": f"{account.wallet:.4f}",
        "equity": f"{equity:.4f}",
        "unrealizedProfit": f"{unrealised:.4f}",
        "realisedProfit": f"{sum(p.realised for p in account.positions.values()):.4f}",
        "availableMargin": f"{equity - used:.4f}",
        "usedMargin": f"{used:.4f}",
        "freezedMargin": "0.0000",
        "shortUid": account.uid,
    }
    # BingX lists every margin asset; the USDC row carries "" in every number (API.md §4.2).
    usdc = {key: "" for key in row} | {
        "userId": account.uid,
        "asset": "USDC",
        "shortUid": account.uid,
    }
    return ok([usdc, row] if state.strict else [row])


@router.get(f"{SWAP}/v2/user/positions")
async def positions(request: Request) -> dict[str, Any]:
    state, account, params = await _context(request)
    rows = []
    marks = {p.symbol: state.mark(p.symbol) for p in account.open_positions()}
    for p in account.open_positions():
        if params.get("symbol") not in (None, p.symbol):
            continue
        mark = state.mark(p.symbol)
        direction = 1 if p.side == "LONG" else -1
        margin = p.quantity * p.entry_price / p.leverage
        unrealised = (mark - p.entry_price) * p.quantity * direction
        value = p.quantity * mark
        rows.append(
            {
                "positionId": f"{account.uid}{p.symbol}{p.side}",
                "symbol": p.symbol,
                "currency": "USDT",
                "positionAmt": str(p.quantity),
                "availableAmt": str(p.quantity),
                "positionSide": p.side,
                "isolated": account.margin_type.get(p.symbol, "CROSSED") != "CROSSED",
                "avgPrice": str(p.entry_price),
                "leverage": p.leverage,
                "unrealizedProfit": f"{unrealised:.4f}",
                "realisedProfit": f"{p.realised:.4f}",
                "markPrice": str(mark),
                "initialMargin": f"{margin:.4f}",
                "margin": f"{margin:.4f}",
                "positionValue": f"{value:.4f}",
                "riskRate": f"{_risk_rate(value, margin + unrealised):.4f}",
                "pnlRatio": f"{unrealised / margin if margin else Decimal(0):.4f}",
                "maxMarginReduction": "0.0000",
                # a number, not a string (API.md §4.2)
                "liquidationPrice": float(
                    liquidation_price(account, p, marks, MAINTENANCE).quantize(Decimal("1e-8"))
                ),
                "onlyOnePosition": not account.hedge_mode,
                "updateTime": exchange_ms(),
            }
        )
    return ok(rows)


@router.get("/openApi/v1/account/apiPermissions")
async def api_permissions(request: Request) -> dict[str, Any]:
    _, account, _ = await _context(request)
    return {
        "apiKey": account.api_key,
        "permissions": list(account.permissions),
        "ipAddresses": list(account.ip_addresses),
        "note": "simulator",
    }


ORDER_PATH = f"{SWAP}/v2/trade/order"


async def place_order(request: Request) -> Response:
    """``POST /trade/order``: mounted by :func:`fleet.bingx_sim.main.create_app` as a plain
    route, ahead of every other (the simulator's hottest path)."""
    state, account, params = await _context(request)
    symbol = params.get("symbol", "")
    if not state.market.has(symbol):
        raise SimError(109425, f"{symbol} not exist, please verify it")
    order = state.engine.place(
        account,
        OrderParams.parse(params, account.hedge_mode),
        state.mark(symbol),
        state.clock.now_ms(),
        state.mode_for(account),
    )  # the engine pushed the order's NEW (and any fill) to the user stream
    if state.faults.bad_gateway_after_accept > 0:
        state.faults.bad_gateway_after_accept -= 1
        return HTMLResponse("<html><body>502 Bad Gateway</body></html>", status_code=502)
    if state.faults.timeout_after_accept > 0:
        state.faults.timeout_after_accept -= 1
        await asyncio.sleep(30)  # the order exists; the answer never comes in time
    # BingX's answer (API.md §4.3): the order's identity, no status and no fill fields;
    # fills arrive on the user-data stream and by query.
    body = {
        "order": {
            "symbol": order.symbol,
            "orderId": order.order_id,
            "side": order.side,
            "positionSide": order.position_side,
            "type": order.type,
            "clientOrderID": order.client_order_id,
            "workingType": "MARK_PRICE",
        }
    }
    # the hot path's answer, encoded by msgspec rather than FastAPI's encoder and json
    return Response(msgspec.json.encode(ok(body)), media_type="application/json")


def _risk_rate(value: Decimal, backing: Decimal) -> Decimal:
    """Maintenance margin (0.5 %) over what backs the position."""
    return value * Decimal("0.005") / max(backing, Decimal("0.0001"))


def _find(account: Account, params: dict[str, str], *, documented_only: bool = False) -> SimOrder:
    """The order named by ``orderId`` or a client order id; ``documented_only``: the
    query's documented ``clientOrderId`` only (strict GET, API.md §4.3)."""
    spellings = ("clientOrderId",) if documented_only else ("clientOrderID", "clientOrderId")
    client_id = next((params[s] for s in spellings if params.get(s)), "").lower()
    order_id = params.get("orderId")
    if client_id:
        order_id = str(account.client_ids.get(client_id, ""))
    order = account.orders.get(int(order_id)) if order_id and order_id.isdigit() else None
    if order is None or order.symbol != params.get("symbol", order.symbol):
        raise SimError(80016, "order does not exist")
    return order


@router.get(f"{SWAP}/v2/trade/order")
async def query_order(request: Request) -> dict[str, Any]:
    state, account, params = await _context(request)
    return ok({"order": _find(account, params, documented_only=state.strict).wire()})


@router.delete(f"{SWAP}/v2/trade/order")
async def cancel_order(request: Request) -> dict[str, Any]:
    state, account, params = await _context(request)
    order = _find(account, params)
    if order.status not in ("NEW", "PENDING", "PARTIALLY_FILLED"):
        raise SimError(80018, "order already filled or cancelled")
    _cancel(state, account, order)
    return ok({"order": order.wire()})


def _cancel(state: SimState, account: Account, order: SimOrder) -> None:
    """Cancelled (a partly filled order keeps its fills), pushed as CANCELED."""
    order.status = "CANCELLED"
    order.update_ms = exchange_ms()
    account.resting.discard(order.order_id)
    state.publish_order(account, order)


@router.delete(f"{SWAP}/v2/trade/allOpenOrders")
async def cancel_all(request: Request) -> dict[str, Any]:
    state, account, params = await _context(request)
    cancelled = []
    for order in account.orders.values():
        live = order.status in ("NEW", "PENDING", "PARTIALLY_FILLED")
        if live and params.get("symbol") in (None, order.symbol):
            _cancel(state, account, order)
            cancelled.append(order.wire())
    return ok({"success": cancelled, "failed": None})


@router.get(f"{SWAP}/v2/trade/openOrders")
async def open_orders(request: Request) -> dict[str, Any]:
    _, account, params = await _context(request)
    return ok(
        {
            "orders": [
                o.wire()
                for o in account.orders.values()
                if o.status in ("NEW", "PENDING", "PARTIALLY_FILLED")
                and params.get("symbol") in (None, o.symbol)
            ]
        }
    )


@router.get(f"{SWAP}/v2/trade/allOrders")
async def all_orders(request: Request) -> dict[str, Any]:
    _, account, params = await _context(request)
    return ok(
        {
            "orders": [
                o.wire()
                for o in account.orders.values()
                if params.get("symbol") in (None, o.symbol)
            ]
        }
    )


def _millis(params: dict[str, str], name: str, *, required: bool) -> int | None:
    value = params.get(name, "")
    if not value:
        if required:
            raise SimError(80014, f"Invalid parameters, {name}: This field is required.")
        return None
    if not value.isdigit():
        raise SimError(80014, f"Invalid parameters, {name}: must be epoch milliseconds")
    return int(value)


@router.get(f"{SWAP}/v2/trade/allFillOrders")
async def fills(request: Request) -> dict[str, Any]:
    """Fill rows as BingX writes them (API.md §4.3): ``filledTm`` ISO-8601 text, ``filledTime``
    UTC+8 text, ``orderId`` a string, ``startTs`` <= fill time <= ``endTs``. Strict: the
    documented required ``tradingUnit``, ``startTs`` and ``endTs``, and no ``side`` (as
    BingX's recorded rows)."""
    state, account, params = await _context(request)
    if state.strict and params.get("tradingUnit", "") not in ("COIN", "CONT"):
        raise SimError(80014, "Invalid parameters, tradingUnit: This field is required.")
    start = _millis(params, "startTs", required=state.strict)
    end = _millis(params, "endTs", required=state.strict)
    state.history.check_fill_window(start, end)
    matching = []
    for fill in account.fills:
        at = int(str(fill["_ms"]))
        if params.get("symbol") not in (None, fill["symbol"]):
            continue
        if params.get("orderId") not in (None, fill["orderId"]):
            continue
        if (start is not None and at < start) or (end is not None and at > end):
            continue
        matching.append(fill)
    hidden = ("_ms", "side") if state.strict else ("_ms",)
    rows = [
        {k: v for k, v in fill.items() if k not in hidden}
        for fill in state.history.page(state.history.kept(matching, "_ms", exchange_ms()))
    ]
    return ok({"fill_orders": rows})


INCOME_TYPES = {
    "TRANSFER",
    "REALIZED_PNL",
    "FUNDING_FEE",
    "TRADING_FEE",
    "INSURANCE_CLEAR",
    "TRIAL_FUND",
    "ADL",
    "SYSTEM_DEDUCTION",
    "GTD_PRICE",
}
WEEK_MS = 7 * 24 * 3_600_000


@router.get(f"{SWAP}/v2/user/income")
async def income(request: Request) -> dict[str, Any]:
    """The account's money flow (API.md §4.2): ``symbol``, ``incomeType``, ``startTime``,
    ``endTime`` (none: the last 7 days), ``limit`` (default 100, at most 1000)."""
    state, account, params = await _context(request)
    kind = params.get("incomeType")
    if kind is not None and kind not in INCOME_TYPES:
        raise SimError(80014, f"Invalid parameters, incomeType: {kind!r}")
    start = _millis(params, "startTime", required=False)
    end = _millis(params, "endTime", required=False)
    limit = _millis(params, "limit", required=False) or 100
    if not 1 <= limit <= 1000:
        raise SimError(80014, "Invalid parameters, limit: 1-1000")
    if start is None and end is None:
        start = exchange_ms() - WEEK_MS
    rows = [
        row
        for row in account.income
        if params.get("symbol") in (None, row["symbol"])
        and kind in (None, row["incomeType"])
        and (start is None or int(str(row["time"])) >= start)
        and (end is None or int(str(row["time"])) <= end)
    ]
    return ok(state.history.kept(rows, "time", exchange_ms())[-limit:])


@router.get(f"{SWAP}/v2/trade/leverage")
async def get_leverage(request: Request) -> dict[str, Any]:
    state, account, params = await _context(request)
    symbol = params.get("symbol", "")
    top = spec_for(symbol).max_leverage
    return ok(
        {
            "longLeverage": account.leverage_for(symbol, "LONG"),
            "shortLeverage": account.leverage_for(symbol, "SHORT"),
            "maxLongLeverage": top,
            "maxShortLeverage": top,
            **_available(state, account, symbol),
        }
    )


def _available(state: SimState, account: Account, symbol: str) -> dict[str, str]:
    """What the free margin could still open at each side's leverage (API.md §4.3)."""
    marks = state.marks()
    free = max(account.wallet + account.unrealised(marks) - account.used_margin(marks), Decimal(0))
    mark = state.mark(symbol) if state.market.has(symbol) else Decimal(0)
    spec = spec_for(symbol)
    rows: dict[str, str] = {}
    for side, name in (("LONG", "Long"), ("SHORT", "Short")):
        value = free * account.leverage_for(symbol, side)
        volume = value / mark if mark else Decimal(0)
        rows[f"available{name}Vol"] = f"{volume:.{spec.quantity_precision}f}"
        rows[f"available{name}Val"] = f"{value:.1f}"
        rows[f"maxPosition{name}Val"] = f"{value:.1f}"
    return rows


@router.post(f"{SWAP}/v2/trade/leverage")
async def set_leverage(request: Request) -> dict[str, Any]:
    state, account, params = await _setter_context(request)
    symbol, side = params.get("symbol", ""), params.get("side", "")
    leverage = int(params.get("leverage", "0") or 0)
    if leverage < 1 or leverage > spec_for(symbol).max_leverage:
        raise SimError(101414, f"leverage {leverage} exceeds the maximum for {symbol}")
    allowed = ("LONG", "SHORT") if account.hedge_mode else ("BOTH",)
    if side not in allowed:
        raise SimError(109400, f"side must be one of {allowed} in this position mode")
    for book_side in ("LONG", "SHORT") if side == "BOTH" else (side,):
        account.leverage[(symbol, book_side)] = leverage
    state.publish_config(account, symbol)
    return ok({"leverage": leverage, "symbol": symbol, **_available(state, account, symbol)})


@router.get(f"{SWAP}/v2/trade/marginType")
async def get_margin_type(request: Request) -> dict[str, Any]:
    _, account, params = await _context(request)
    return ok({"marginType": account.margin_type.get(params.get("symbol", ""), "CROSSED")})


@router.post(f"{SWAP}/v2/trade/marginType")
async def set_margin_type(request: Request) -> dict[str, Any]:
    state, account, params = await _setter_context(request)
    kind = params.get("marginType", "")
    if kind not in ("ISOLATED", "CROSSED", "SEPARATE_ISOLATED"):
        raise SimError(80014, "Invalid parameters, marginType")
    account.margin_type[params.get("symbol", "")] = kind
    state.publish_config(account, params.get("symbol", ""))
    return {"code": 0, "msg": ""}


@router.get(f"{SWAP}/v1/positionSide/dual")
async def get_position_mode(request: Request) -> dict[str, Any]:
    _, account, _ = await _context(request)
    return ok({"dualSidePosition": "true" if account.hedge_mode else "false"})


@router.post(f"{SWAP}/v1/positionSide/dual")
async def set_position_mode(request: Request) -> dict[str, Any]:
    _, account, params = await _setter_context(request)
    busy = account.open_positions() or any(
        o.status in ("NEW", "PENDING") for o in account.orders.values()
    )
    if busy:
        raise SimError(109400, "the account has positions or pending orders")
    account.hedge_mode = params.get("dualSidePosition") == "true"
    return ok({"dualSidePosition": "true" if account.hedge_mode else "false"})


@router.post("/openApi/user/auth/userDataStream")
async def create_listen_key(request: Request) -> dict[str, Any]:
    state: SimState = request.app.state.sim
    account = state.accounts.by_key.get(request.headers.get("X-BX-APIKEY", ""))
    if account is None:
        raise SimError(100413, "Incorrect apiKey, please check your valid api key")
    state.listen_keys_created += 1
    key = state.accounts.new_listen_key(account)
    state.listen_key_touched[key] = time.monotonic()
    return {"listenKey": key}


@router.put("/openApi/user/auth/userDataStream")
@router.delete("/openApi/user/auth/userDataStream")
async def touch_listen_key(request: Request, listenKey: str = "") -> Any:
    state: SimState = request.app.state.sim
    account = state.accounts.by_listen_key.get(listenKey)
    if account is None or state.listen_key_expired(listenKey):
        return JSONResponse({"code": 404, "msg": "listenKey not found"}, status_code=404)
    state.listen_key_touched[listenKey] = time.monotonic()
    if request.method == "DELETE":
        account.listen_keys.discard(listenKey)
        state.accounts.by_listen_key.pop(listenKey, None)
    if state.strict:  # BingX answers HTTP 200 with an empty body (API.md §6.1)
        return Response(status_code=200)
    return {"code": 0, "msg": ""}


__all__ = ["Decimal", "router"]
