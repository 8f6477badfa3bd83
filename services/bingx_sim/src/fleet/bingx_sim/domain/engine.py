"""The matching engine: validate an order as BingX does, fill or rest it, keep positions,
margin, fees and PnL; trigger stops on the mark price; liquidate when margin runs out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from fleet.bingx_sim.domain.accounts import (
    PERPETUAL,
    Account,
    SimError,
    SimOrder,
    SimPosition,
    next_order_id,
)
from fleet.bingx_sim.domain.contracts import ContractSpec, spec_for

MAINTENANCE = Decimal("0.005")
TYPES = {"MARKET", "LIMIT", "STOP_MARKET", "TAKE_PROFIT_MARKET"}


@dataclass
class OrderParams:
    """A place-order request, parsed."""

    symbol: str
    side: str
    position_side: str
    type: str
    quantity: Decimal
    price: Decimal
    stop_price: Decimal
    client_order_id: str
    reduce_only: bool
    attached: dict[str, dict[str, object]]

    @classmethod
    def parse(cls, params: dict[str, str], hedge_mode: bool) -> OrderParams:
        try:
            quantity = Decimal(params.get("quantity", "0"))
            price = Decimal(params.get("price", "0"))
            stop = Decimal(params.get("stopPrice", "0"))
            attached: dict[str, dict[str, object]] = {
                k: json.loads(params[k]) for k in ("stopLoss", "takeProfit") if k in params
            }
        except (ArithmeticError, ValueError) as exc:
            raise SimError(80014, f"Invalid parameters: {exc}") from None
        default_side = "LONG" if hedge_mode else "BOTH"
        client_id = params.get("clientOrderID") or params.get("clientOrderId") or ""
        return cls(
            params.get("symbol", ""),
            params.get("side", ""),
            params.get("positionSide", default_side),
            params.get("type", ""),
            quantity,
            price,
            stop,
            client_id.lower(),
            params.get("reduceOnly") == "true",
            attached,
        )


def _cancel_attached(account: Account, symbol: str, side: str, closing_id: int) -> None:
    """Like BingX: a closed position's stop-loss / take-profit orders are cancelled."""
    for order_id in list(account.resting):
        order = account.orders.get(order_id)
        if order is None or order_id == closing_id or order.symbol != symbol:
            continue
        closes = order.reduce_only or order.position_side == side
        if order.type in ("STOP_MARKET", "TAKE_PROFIT_MARKET") and closes:
            order.status = "CANCELLED"
            account.resting.discard(order_id)


def _truncate(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)


class Engine:
    """Orders of every account against one market."""

    def __init__(self, slippage: Decimal = Decimal("0.0002")) -> None:
        self.slippage = slippage

    def place(self, account: Account, order: OrderParams, mark: Decimal, now_ms: int) -> SimOrder:
        spec = self._validate(account, order, mark)
        sim = SimOrder(
            next_order_id(),
            order.client_order_id,
            order.symbol,
            order.side,
            order.position_side,
            order.type,
            _truncate(order.quantity, spec.quantity_precision),
            _truncate(order.price, spec.price_precision),
            order.stop_price,
            time_ms=now_ms,
            update_ms=now_ms,
            reduce_only=order.reduce_only,
            attached=order.attached,
            leverage=account.leverage_for(order.symbol, self._book_side(order)),
        )
        if sim.type == "MARKET":
            self._fill(account, sim, self._market_price(sim.side, mark), spec, now_ms)
            self._attach(account, sim, now_ms)
        else:
            sim.status = "PENDING" if sim.type == "LIMIT" else "NEW"
            account.resting.add(sim.order_id)
        account.orders[sim.order_id] = sim
        if sim.client_order_id:
            account.client_ids[sim.client_order_id] = sim.order_id
        return sim

    def _attach(self, account: Account, parent: SimOrder, now_ms: int) -> None:
        """Attached stopLoss/takeProfit become conditional orders closing the position."""
        closing_side = "SELL" if parent.side == "BUY" else "BUY"
        for kind, spec in parent.attached.items():
            child = SimOrder(
                next_order_id(),
                "",
                parent.symbol,
                closing_side,
                parent.position_side,
                str(spec.get("type", "STOP_MARKET")),
                Decimal(str(spec.get("quantity", parent.quantity))),
                stop_price=Decimal(str(spec["stopPrice"])),
                time_ms=now_ms,
                update_ms=now_ms,
                reduce_only=parent.position_side == "BOTH",
                leverage=parent.leverage,
            )
            if kind == "takeProfit" and child.type == "STOP_MARKET":
                child.type = "TAKE_PROFIT_MARKET"
            account.orders[child.order_id] = child
            account.resting.add(child.order_id)

    def _validate(self, account: Account, order: OrderParams, mark: Decimal) -> ContractSpec:
        if PERPETUAL not in account.permissions:
            raise SimError(
                100004,
                "Permission denied, the API key was created without the "
                "permission of perpetual futures trading",
            )
        if order.side not in ("BUY", "SELL") or order.type not in TYPES:
            raise SimError(80014, f"Invalid parameters, side {order.side!r} type {order.type!r}")
        self._check_position_side(account, order)
        spec = spec_for(order.symbol)
        quantity = _truncate(order.quantity, spec.quantity_precision)
        if quantity < spec.min_quantity or quantity * mark < spec.min_notional:
            raise SimError(
                101400,
                f"The minimum order amount is {spec.min_quantity} and the "
                f"minimum nominal value is {spec.min_notional}u",
            )
        if order.type == "LIMIT" and order.price <= 0:
            raise SimError(80014, "Invalid parameters, price: This field is required.")
        if order.type.endswith("_MARKET") and order.type != "MARKET" and order.stop_price <= 0:
            raise SimError(80014, "Invalid parameters, stopPrice: This field is required.")
        if order.client_order_id and order.client_order_id in account.client_ids:
            raise SimError(101481, "clientOrderID cannot be repeated")
        if len(order.client_order_id) > 40:
            raise SimError(80014, "Invalid parameters, clientOrderID: at most 40 characters")
        return spec

    def _check_position_side(self, account: Account, order: OrderParams) -> None:
        if account.hedge_mode and order.position_side not in ("LONG", "SHORT"):
            raise SimError(
                109400,
                "In the Hedge mode, the 'PositionSide' field can only be set to LONG or SHORT.",
            )
        if not account.hedge_mode and order.position_side != "BOTH":
            raise SimError(
                109400, "In the One-way mode, the 'PositionSide' field can only be set to BOTH."
            )
        if account.hedge_mode and order.reduce_only:
            raise SimError(109400, "reduceOnly is not supported in Hedge mode")

    def _market_price(self, side: str, mark: Decimal) -> Decimal:
        return mark * (1 + self.slippage) if side == "BUY" else mark * (1 - self.slippage)

    @staticmethod
    def _book_side(order: OrderParams | SimOrder) -> str:
        if order.position_side != "BOTH":
            return order.position_side
        return "LONG" if order.side == "BUY" else "SHORT"

    def _closes(self, account: Account, order: SimOrder) -> tuple[str, bool]:
        """(book side affected, whether it reduces that side)."""
        if order.position_side == "LONG":
            return "LONG", order.side == "SELL"
        if order.position_side == "SHORT":
            return "SHORT", order.side == "BUY"
        opposite = "SHORT" if order.side == "BUY" else "LONG"
        if account.position(order.symbol, opposite).quantity > 0:
            return opposite, True
        if order.reduce_only:
            raise SimError(101290, "reduce-only order would increase the position")
        return ("LONG" if order.side == "BUY" else "SHORT"), False

    def _fill(
        self, account: Account, order: SimOrder, price: Decimal, spec: ContractSpec, now_ms: int
    ) -> None:
        price = _truncate(price, spec.price_precision)
        side, reducing = self._closes(account, order)
        position = account.position(order.symbol, side)
        fee = order.quantity * price * spec.taker_fee
        if reducing:
            self._reduce(account, position, order, price)
        else:
            self._check_margin(account, order, price, fee)
            total = position.quantity + order.quantity
            position.entry_price = (
                position.entry_price * position.quantity + price * order.quantity
            ) / total
            position.quantity, position.leverage = total, order.leverage
        account.wallet -= fee
        order.status, order.executed, order.avg_price = "FILLED", order.quantity, price
        order.commission, order.update_ms = fee, now_ms
        account.fills.append(
            {
                "orderId": str(order.order_id),
                "symbol": order.symbol,
                "side": order.side,
                "price": str(price),
                "volume": str(order.quantity),
                "commission": str(-fee),
                "clientOrderID": order.client_order_id,
                "filledTm": now_ms,
            }
        )

    def _reduce(
        self, account: Account, position: SimPosition, order: SimOrder, price: Decimal
    ) -> None:
        if position.quantity <= 0:
            raise SimError(101205, "No position to close")
        quantity = min(order.quantity, position.quantity)
        direction = 1 if position.side == "LONG" else -1
        pnl = (price - position.entry_price) * quantity * direction
        position.quantity -= quantity
        position.realised += pnl
        account.wallet += pnl
        order.quantity = quantity
        if position.quantity == 0:
            _cancel_attached(account, position.symbol, position.side, order.order_id)

    def _check_margin(
        self, account: Account, order: SimOrder, price: Decimal, fee: Decimal
    ) -> None:
        marks = {p.symbol: p.entry_price for p in account.open_positions()}
        available = account.wallet + account.unrealised(marks) - account.used_margin(marks)
        needed = order.quantity * price / order.leverage + fee
        if needed > available:
            raise SimError(
                101204, f"Insufficient margin: needs {needed:.4f}, available {available:.4f}"
            )
