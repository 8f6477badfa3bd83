"""The async BingX USDT-M perpetual client: every endpoint Fleet needs (API.md §4, §6.1)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, TypeVar

from fleet.bingx.errors import MalformedAnswer
from fleet.bingx.models import (
    ApiPermissions,
    Balance,
    Contract,
    Depth,
    Fill,
    Kline,
    Leverage,
    Order,
    OrderType,
    Position,
    PositionSide,
    Side,
)
from fleet.bingx.signing import ParamValue
from fleet.bingx.transport import Transport

SWAP = "/openApi/swap"
# The margin asset's name per environment: USDT live, VST on BingX's demo (API.md §1).
MARGIN_ASSETS = ("USDT", "VST")
T = TypeVar("T")


def _parsed(what: str, parse: Callable[[], T]) -> T:
    """``parse()``, any failure to read BingX's answer raised as :class:`MalformedAnswer`."""
    try:
        return parse()
    except (KeyError, IndexError, TypeError, ValueError, InvalidOperation) as exc:
        raise MalformedAnswer(f"unreadable {what}: {exc}") from exc


class BingxClient:
    """One BingX account (or none, for market data), over one :class:`Transport`."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    async def close(self) -> None:
        await self.transport.close()

    # -- market data -------------------------------------------------------------------
    async def server_time_ms(self) -> int:
        data = await self.transport.public(f"{SWAP}/v2/server/time")
        return _parsed("server time", lambda: int(data["serverTime"]))

    async def sync_clock(self) -> int:
        """Measure the offset to BingX's clock (half the round trip) and use it; returns it.
        The transport also does this before its first signed request, every few minutes
        and after any 100421."""
        return await self.transport.sync_clock()

    async def contracts(self, symbol: str | None = None) -> list[Contract]:
        params: dict[str, ParamValue] = {"symbol": symbol} if symbol else {}
        """Every contract BingX lists that this client can read; a row it cannot read is
        left out rather than failing the whole list (one odd contract is no reason to
        stop trading the others)."""
        data = await self.transport.public(f"{SWAP}/v2/quote/contracts", params)
        rows = _parsed("contracts", lambda: list(data or []))
        readable = []
        for row in rows:
            try:
                readable.append(Contract.model_validate(row))
            except ValueError:
                continue
        return readable

    async def klines(
        self,
        symbol: str,
        interval: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int | None = None,
    ) -> list[Kline]:
        """Candles ascending by open time (sorted here: the order is not guaranteed)."""
        params: dict[str, ParamValue] = {"symbol": symbol, "interval": interval}
        for key, value in (("startTime", start_ms), ("endTime", end_ms), ("limit", limit)):
            if value is not None:
                params[key] = value
        data = await self.transport.public(f"{SWAP}/v3/quote/klines", params)
        return _parsed(
            "klines",
            lambda: sorted(
                (Kline.model_validate(item) for item in data or []), key=lambda k: k.open_time_ms
            ),
        )

    async def latest_price(self, symbol: str) -> Decimal:
        data = await self.transport.public(f"{SWAP}/v1/ticker/price", {"symbol": symbol})
        return _parsed("price", lambda: Decimal(str(data["price"])))

    async def mark_price(self, symbol: str) -> Decimal:
        data = await self.transport.public(f"{SWAP}/v2/quote/premiumIndex", {"symbol": symbol})
        return _parsed("mark price", lambda: Decimal(str(data["markPrice"])))

    async def depth(self, symbol: str, limit: int = 20) -> Depth:
        data = await self.transport.public(
            f"{SWAP}/v2/quote/depth", {"symbol": symbol, "limit": limit}
        )
        return _parsed("depth", lambda: Depth.parse(data))

    # -- account -----------------------------------------------------------------------
    async def balance(self, asset: str | None = None) -> Balance:
        """The row of ``asset`` (default: the margin asset, USDT or VST on the demo). The row
        is picked before it is read: the other rows (USDC with "" numbers) do not matter."""
        data = await self.transport.signed("GET", f"{SWAP}/v3/user/balance")
        wanted = (asset,) if asset else MARGIN_ASSETS
        rows = data if isinstance(data, list) else [(data or {}).get("balance")]
        for name in wanted:
            found = next((r for r in rows if isinstance(r, dict) and r.get("asset") == name), None)
            if found is not None:
                return _parsed("balance", partial(Balance.model_validate, found))
        raise MalformedAnswer(f"no {' or '.join(wanted)} row in the balance answer")

    async def positions(self, symbol: str | None = None) -> list[Position]:
        params: dict[str, ParamValue] = {"symbol": symbol} if symbol else {}
        data = await self.transport.signed("GET", f"{SWAP}/v2/user/positions", params)
        return _parsed("positions", lambda: [Position.model_validate(r) for r in data or []])

    async def api_permissions(self) -> ApiPermissions:
        data = await self.transport.signed("GET", "/openApi/v1/account/apiPermissions")
        return _parsed("permissions", lambda: ApiPermissions.model_validate(data))

    # -- trading -----------------------------------------------------------------------
    async def place_order(  # noqa: PLR0913 - BingX's order has this many independent fields
        self,
        symbol: str,
        side: Side,
        position_side: PositionSide,
        order_type: OrderType,
        quantity: Decimal,
        *,
        price: Decimal | None = None,
        stop_price: Decimal | None = None,
        client_order_id: str | None = None,
        stop_loss: Decimal | None = None,
        take_profit: Decimal | None = None,
        reduce_only: bool | None = None,
    ) -> Order:
        """Place one order. Raises :class:`UnknownOutcome` when no answer came back: query
        the clientOrderID before anything else."""
        params: dict[str, ParamValue] = {
            "symbol": symbol,
            "side": side,
            "positionSide": position_side,
            "type": order_type,
            "quantity": quantity,
        }
        optional: dict[str, ParamValue | None] = {
            "price": price,
            "stopPrice": stop_price,
            "clientOrderID": client_order_id,
            "reduceOnly": reduce_only,
            "stopLoss": _attached("STOP_MARKET", stop_loss, quantity),
            "takeProfit": _attached("TAKE_PROFIT_MARKET", take_profit, quantity),
        }
        params |= {key: value for key, value in optional.items() if value is not None}
        data = await self.transport.signed("POST", f"{SWAP}/v2/trade/order", params)
        return _parsed("placed order", lambda: Order.parse(data["order"]))

    async def cancel_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order:
        params = _order_ref(symbol, order_id, client_order_id)
        data = await self.transport.signed("DELETE", f"{SWAP}/v2/trade/order", params)
        return _parsed("cancelled order", lambda: Order.parse(data["order"]))

    async def cancel_all(self, symbol: str | None = None) -> list[Order]:
        params: dict[str, ParamValue] = {"symbol": symbol} if symbol else {}
        data = await self.transport.signed("DELETE", f"{SWAP}/v2/trade/allOpenOrders", params)
        return _parsed(
            "cancelled orders", lambda: [Order.parse(o) for o in data.get("success") or []]
        )

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        params: dict[str, ParamValue] = {"symbol": symbol} if symbol else {}
        data = await self.transport.signed("GET", f"{SWAP}/v2/trade/openOrders", params)
        return _parsed("open orders", lambda: [Order.parse(o) for o in data["orders"] or []])

    async def query_order(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order:
        params = _order_ref(symbol, order_id, client_order_id)
        data = await self.transport.signed("GET", f"{SWAP}/v2/trade/order", params)
        return _parsed("order", lambda: Order.parse(data["order"]))

    async def order_history(self, symbol: str, limit: int = 500) -> list[Order]:
        params: dict[str, ParamValue] = {"symbol": symbol, "limit": limit}
        data = await self.transport.signed("GET", f"{SWAP}/v2/trade/allOrders", params)
        return _parsed("orders", lambda: [Order.parse(o) for o in data["orders"] or []])

    async def fills(self, symbol: str | None, start_ms: int, end_ms: int) -> list[Fill]:
        """Fills between ``start_ms`` and ``end_ms`` (inclusive) of one symbol, or of every
        symbol when ``symbol`` is ``None``."""
        params: dict[str, ParamValue] = {
            "tradingUnit": "COIN",
            "startTs": start_ms,
            "endTs": end_ms,
        }
        if symbol is not None:
            params = {"symbol": symbol, **params}
        data = await self.transport.signed("GET", f"{SWAP}/v2/trade/allFillOrders", params)
        return _parsed(
            "fills", lambda: [Fill.parse(r) for r in (data or {}).get("fill_orders") or []]
        )

    async def income(
        self, income_type: str, start_ms: int, end_ms: int, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Rows of ``GET /openApi/swap/v2/user/income`` of one type (API.md §4.2): ``symbol,
        incomeType, income`` (signed text), ``asset, info, time, tranId, tradeId``; every
        type when ``income_type`` is empty."""
        params: dict[str, ParamValue] = {
            "startTime": start_ms,
            "endTime": end_ms,
            "limit": limit,
        }
        if income_type:
            params = {"incomeType": income_type, **params}
        data = await self.transport.signed("GET", f"{SWAP}/v2/user/income", params)
        return _parsed("income", lambda: [dict(row) for row in data or []])

    async def leverage(self, symbol: str) -> Leverage:
        data = await self.transport.signed("GET", f"{SWAP}/v2/trade/leverage", {"symbol": symbol})
        return _parsed("leverage", lambda: Leverage.model_validate(data))

    async def set_leverage(self, symbol: str, side: PositionSide, leverage: int) -> int:
        params: dict[str, ParamValue] = {"symbol": symbol, "side": side, "leverage": leverage}
        data = await self.transport.signed("POST", f"{SWAP}/v2/trade/leverage", params)
        return _parsed("leverage", lambda: int(data["leverage"]))

    async def margin_type(self, symbol: str) -> str:
        params: dict[str, ParamValue] = {"symbol": symbol}
        data = await self.transport.signed("GET", f"{SWAP}/v2/trade/marginType", params)
        return _parsed("margin type", lambda: str(data["marginType"]))

    async def set_margin_type(self, symbol: str, margin_type: str) -> None:
        params: dict[str, ParamValue] = {"symbol": symbol, "marginType": margin_type}
        await self.transport.signed("POST", f"{SWAP}/v2/trade/marginType", params)

    async def hedge_mode(self) -> bool:
        data = await self.transport.signed("GET", f"{SWAP}/v1/positionSide/dual")
        return _parsed("position mode", lambda: str(data["dualSidePosition"]).lower() == "true")

    async def set_hedge_mode(self, hedge: bool) -> None:
        params: dict[str, ParamValue] = {"dualSidePosition": hedge}
        await self.transport.signed("POST", f"{SWAP}/v1/positionSide/dual", params)

    # -- user data stream (listenKey) ------------------------------------------------------
    async def create_listen_key(self) -> str:
        data = await self.transport.signed("POST", "/openApi/user/auth/userDataStream")
        return _parsed("listenKey", lambda: str(data["listenKey"]))

    async def keep_alive_listen_key(self, listen_key: str) -> None:
        """Extend the key by 60 min (an empty HTTP 200 is success); raises
        :class:`fleet.bingx.errors.ListenKeyGone` when BingX no longer knows it."""
        params: dict[str, ParamValue] = {"listenKey": listen_key}
        await self.transport.signed("PUT", "/openApi/user/auth/userDataStream", params)

    async def delete_listen_key(self, listen_key: str) -> None:
        params: dict[str, ParamValue] = {"listenKey": listen_key}
        await self.transport.signed("DELETE", "/openApi/user/auth/userDataStream", params)


def _attached(kind: str, stop_price: Decimal | None, quantity: Decimal) -> Any:
    if stop_price is None:
        return None
    return {
        "stopPrice": stop_price,
        "workingType": "MARK_PRICE",
        "type": kind,
        "quantity": quantity,
    }


def _order_ref(
    symbol: str, order_id: str | None, client_order_id: str | None
) -> dict[str, ParamValue]:
    if (order_id is None) == (client_order_id is None):
        raise ValueError("give exactly one of order_id and client_order_id")
    if order_id is not None:
        return {"symbol": symbol, "orderId": order_id}
    # GET/DELETE spell it clientOrderId (API.md §4.3, open question 5); placing keeps
    # clientOrderID, the spelling of its own documentation.
    return {"symbol": symbol, "clientOrderId": str(client_order_id)}


__all__ = ["BingxClient"]
