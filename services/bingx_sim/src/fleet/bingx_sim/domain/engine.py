"""The matching engine: validate an order as BingX does, fill or rest it, keep positions,
margin, fees and PnL; trigger stops on the mark price; liquidate when margin runs out."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache

from fleet.bingx_sim.domain.accounts import (
    PERPETUAL,
    Account,
    SimError,
    SimOrder,
    next_order_id,
)
from fleet.bingx_sim.domain.contracts import ContractSpec, spec_for
from fleet.bingx_sim.domain.modes import ExecutionMode

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


def _truncate(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)


@dataclass(frozen=True)
class FillReport:
    """One execution of an order: what the user stream's ``l``/``L``/``n``/``rp``/``t`` say."""

    trade_id: int
    quantity: Decimal
    price: Decimal
    fee: Decimal
    realised: Decimal


@dataclass
class Scheduled:
    """A part of a delayed MARKET order, due at ``due`` (monotonic seconds)."""

    due: float
    api_key: str
    order_id: int
    quantity: Decimal
    offset: Decimal  # how far from the mark this part fills (a fraction, against the taker)


Listener = Callable[[Account, SimOrder, "FillReport | None"], None]
BEIJING = timezone(timedelta(hours=8))


def exchange_ms() -> int:
    """The exchange's clock for account records (fills, income, order times): the wall
    clock ``server/time`` answers, the one a client's ``startTs``/``endTs`` come from (the
    simulated clock is the market's, and may run 60x faster)."""
    return int(time.time() * 1000)


def fill_times(ms: int) -> tuple[str, str]:
    """``filledTm`` (ISO-8601 UTC, seconds) and ``filledTime`` (UTC+8 with milliseconds),
    as BingX writes them (API.md §4.3)."""
    utc, local, offset = _second_strings(ms // 1000)
    return utc, f"{local}.{ms % 1000:03d}{offset}"


@lru_cache(maxsize=256)
def _second_strings(seconds: int) -> tuple[str, str, str]:
    """One second's texts (every fill of that second shares them: formatting them for
    each fill was 3 % of the simulator's CPU per order)."""
    moment = datetime.fromtimestamp(seconds, UTC)
    local = moment.astimezone(BEIJING)
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        local.strftime("%Y-%m-%dT%H:%M:%S"),
        local.strftime("%z"),
    )


def split(quantity: Decimal, parts: int, decimals: int) -> list[Decimal]:
    """``quantity`` in up to ``parts`` pieces on the step, the last taking the rest."""
    step = Decimal(1).scaleb(-decimals)
    piece = _truncate(quantity / parts, decimals)
    if piece < step:
        return [quantity]
    pieces = [piece] * (parts - 1)
    return [*pieces, quantity - sum(pieces, Decimal(0))]


class Engine:
    """Orders of every account against one market."""

    def __init__(self, slippage: Decimal = Decimal("0.0002")) -> None:
        self.slippage = slippage
        self.on_update: Listener | None = None  # the user stream (SimState wires it)
        self.scheduled: list[Scheduled] = []
        self._trade_ids = itertools.count(1_000_000_001)

    def new_trade_id(self) -> int:
        """A fill's id (unique across the simulator)."""
        return next(self._trade_ids)

    def _notify(self, account: Account, order: SimOrder, fill: FillReport | None) -> None:
        if self.on_update is not None:
            self.on_update(account, order, fill)

    def place(
        self,
        account: Account,
        order: OrderParams,
        mark: Decimal,
        now_ms: int,
        mode: ExecutionMode | None = None,
    ) -> SimOrder:
        mode = mode or ExecutionMode()
        spec = self._validate(account, order, mark, mode)
        sim = SimOrder(
            next_order_id(),
            order.client_order_id,
            order.symbol,
            order.side,
            order.position_side,
            order.type,
            _truncate(order.quantity, spec.quantity_precision),
            _truncate(order.price, spec.price_precision),
            _truncate(order.stop_price, spec.price_precision),
            time_ms=exchange_ms(),
            update_ms=exchange_ms(),
            reduce_only=order.reduce_only,
            attached=order.attached,
            leverage=account.leverage_for(order.symbol, self._book_side(order)),
        )
        if sim.type == "LIMIT":
            sim.status = "PENDING"
        if sim.type == "MARKET" and not mode.immediate:
            # a late fill is refused for margin now, before the order is held: a refused
            # order stayed NEW for good (its client was told 101204, a query found it)
            self._check_margin(account, sim, sim.quantity, mark, Decimal(0))
        account.orders[sim.order_id] = sim
        if sim.client_order_id:
            account.client_ids[sim.client_order_id] = sim.order_id
        if sim.type != "MARKET":
            account.resting.add(sim.order_id)
            self._notify(account, sim, None)
            return sim
        pieces = split(sim.quantity, max(1, mode.partial_fills), spec.quantity_precision)
        if mode.immediate:
            try:
                self._fill_pieces(account, sim, pieces, mark, mode, now_ms)
            except SimError:
                del account.orders[sim.order_id]
                account.client_ids.pop(sim.client_order_id, None)
                raise
            return sim
        self._notify(account, sim, None)
        start = time.monotonic() + mode.fill_delay_ms / 1000
        if 0 < mode.expire_after_parts < len(pieces):  # the rest expires (quantity 0)
            pieces = [*pieces[: mode.expire_after_parts], Decimal(0)]
        for n, piece in enumerate(pieces):
            self.scheduled.append(
                Scheduled(
                    start + n * mode.partial_gap_ms / 1000,
                    account.api_key,
                    sim.order_id,
                    piece,
                    mode.partial_spread * n,
                )
            )
        return sim

    def _fill_pieces(
        self,
        account: Account,
        sim: SimOrder,
        pieces: list[Decimal],
        mark: Decimal,
        mode: ExecutionMode,
        now_ms: int,
    ) -> None:
        """Fill at once (the first piece may refuse the whole order: margin, no position)."""
        spec = spec_for(sim.symbol)
        for n, piece in enumerate(pieces):
            if n == 0:  # nothing is recorded before the first piece passed its checks
                side, reducing = self._closes(account, sim)
                if not reducing:
                    price = self._market_price(sim.side, mark)
                    self._check_margin(account, sim, sim.quantity, price, Decimal(0))
                elif account.position(sim.symbol, side).quantity <= 0:
                    raise SimError(101205, "No position to close")
                self._notify(account, sim, None)
            if sim.status == "FILLED":
                break
            price = self._market_price(sim.side, mark, mode.partial_spread * n)
            self.fill(account, sim, piece, price, spec, now_ms)
        self._attach(account, sim, now_ms)

    def run_due(self, accounts: dict[str, Account], marks: dict[str, Decimal], now_ms: int) -> None:
        """Fill the parts of delayed MARKET orders whose time has come."""
        if not self.scheduled:
            return
        wall = time.monotonic()
        due = [s for s in self.scheduled if s.due <= wall]
        self.scheduled = [s for s in self.scheduled if s.due > wall]
        for part in due:
            account = accounts.get(part.api_key)
            order = account.orders.get(part.order_id) if account else None
            if account is None or order is None or order.status not in ("NEW", "PARTIALLY_FILLED"):
                continue
            if part.quantity == 0:
                self.expire(account, order)
                continue
            spec = spec_for(order.symbol)
            price = self._market_price(order.side, marks[order.symbol], part.offset)
            try:
                self.fill(account, order, part.quantity, price, spec, now_ms)
            except SimError:
                self.expire(account, order)
                continue
            if order.status == "FILLED":
                self._attach(account, order, now_ms)

    def expire(self, account: Account, order: SimOrder) -> None:
        """An order the exchange could not carry on with (margin gone, position gone, cut
        short): ``CANCELLED`` when nothing filled, else ``EXPIRED`` with what filled."""
        order.status = "CANCELLED" if order.executed == 0 else "EXPIRED"
        order.update_ms = exchange_ms()
        account.resting.discard(order.order_id)
        self._notify(account, order, None)

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
                Decimal(str(spec.get("quantity", parent.executed or parent.quantity))),
                stop_price=_truncate(
                    Decimal(str(spec["stopPrice"])), spec_for(parent.symbol).price_precision
                ),
                time_ms=exchange_ms(),
                update_ms=exchange_ms(),
                reduce_only=parent.position_side == "BOTH",
                leverage=parent.leverage,
            )
            if kind == "takeProfit" and child.type == "STOP_MARKET":
                child.type = "TAKE_PROFIT_MARKET"
            account.orders[child.order_id] = child
            account.resting.add(child.order_id)
            self._notify(account, child, None)

    def _validate(
        self, account: Account, order: OrderParams, mark: Decimal, mode: ExecutionMode
    ) -> ContractSpec:
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
        if mode.precision == "reject":
            self._check_precision(order, spec)
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
        self._check_trigger_side(order, mark)
        if order.client_order_id and order.client_order_id in account.client_ids:
            raise SimError(101481, "clientOrderID cannot be repeated")
        if len(order.client_order_id) > 40:
            raise SimError(80014, "Invalid parameters, clientOrderID: at most 40 characters")
        return spec

    @staticmethod
    def _check_trigger_side(order: OrderParams, mark: Decimal) -> None:
        """Like BingX (110411-110414, API.md): a stop-loss or take-profit on the wrong side
        of the current price is refused, never fired at once. A stop-loss closing a long
        (a SELL stop) must be below the price, closing a short above; a take-profit the
        other way round. Attached ones close the entry's position (the opposite side)."""
        triggers: list[tuple[str, str, Decimal]] = []  # (kind, closing side, price)
        if order.type in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
            kind = "stopLoss" if order.type == "STOP_MARKET" else "takeProfit"
            triggers.append((kind, order.side, order.stop_price))
        closing = "SELL" if order.side == "BUY" else "BUY"
        for kind, attached in order.attached.items():
            triggers.append((kind, closing, Decimal(str(attached.get("stopPrice", 0)))))
        for kind, side, price in triggers:
            if price <= 0:
                continue
            below = (kind == "stopLoss") == (side == "SELL")  # must be below the price
            if below and price >= mark:
                code = 110411 if kind == "stopLoss" else 110414
                raise SimError(
                    code, f"The {kind} price {price} must be lower than the current price {mark}"
                )
            if not below and price <= mark:
                code = 110412 if kind == "stopLoss" else 110413
                raise SimError(
                    code, f"The {kind} price {price} must be higher than the current price {mark}"
                )

    @staticmethod
    def _check_precision(order: OrderParams, spec: ContractSpec) -> None:
        """``precision: reject``: an off-step quantity or off-tick price is 110425."""
        checks = [("quantity", order.quantity, spec.quantity_precision)]
        checks += [("price", order.price, spec.price_precision)]
        checks += [("stopPrice", order.stop_price, spec.price_precision)]
        checks += [
            (f"{kind}.stopPrice", Decimal(str(a.get("stopPrice", 0))), spec.price_precision)
            for kind, a in order.attached.items()
        ]
        for name, value, decimals in checks:
            if value != _truncate(value, decimals):
                raise SimError(
                    110425,
                    f"The {name} precision is wrong: {spec.symbol} allows {decimals} decimals",
                )

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

    def _market_price(self, side: str, mark: Decimal, offset: Decimal = Decimal(0)) -> Decimal:
        away = self.slippage + offset
        return mark * (1 + away) if side == "BUY" else mark * (1 - away)

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

    def fill(
        self,
        account: Account,
        order: SimOrder,
        quantity: Decimal,
        price: Decimal,
        spec: ContractSpec,
        now_ms: int,
    ) -> FillReport:
        """Execute ``quantity`` of ``order`` at ``price``: position, wallet, fee, the fill
        row and the income rows, then the user stream's ORDER_TRADE_UPDATE."""
        price = _truncate(price, spec.price_precision)
        side, reducing = self._closes(account, order)
        position = account.position(order.symbol, side)
        realised = Decimal(0)
        if reducing:
            if position.quantity <= 0:
                raise SimError(101205, "No position to close")
            quantity = min(quantity, position.quantity)
            direction = 1 if position.side == "LONG" else -1
            realised = (price - position.entry_price) * quantity * direction
            position.quantity -= quantity
            position.realised += realised
            account.wallet += realised
        else:
            fee_estimate = quantity * price * spec.taker_fee
            self._check_margin(account, order, quantity, price, fee_estimate)
            total = position.quantity + quantity
            position.entry_price = (
                position.entry_price * position.quantity + price * quantity
            ) / total
            position.quantity, position.leverage = total, order.leverage
        fee = quantity * price * spec.taker_fee
        account.wallet -= fee
        executed = order.executed + quantity
        order.avg_price = _truncate(
            (order.avg_price * order.executed + price * quantity) / executed, spec.price_precision
        )
        order.executed = executed
        order.cum_quote += price * quantity
        if reducing and position.quantity == 0 and order.executed < order.quantity:
            order.quantity = order.executed  # nothing left to close: the rest lapses
        order.status = "FILLED" if order.executed >= order.quantity else "PARTIALLY_FILLED"
        order.commission += fee
        order.profit += realised
        at = exchange_ms()
        order.update_ms = at
        report = FillReport(self.new_trade_id(), quantity, price, fee, realised)
        self.record(account, order, report, at)
        self._notify(account, order, report)
        if reducing and position.quantity == 0:
            self._cancel_attached(account, position.symbol, position.side, order.order_id)
        return report

    def _cancel_attached(self, account: Account, symbol: str, side: str, closing_id: int) -> None:
        """Like BingX: a closed position's stop-loss / take-profit orders are cancelled."""
        for order_id in list(account.resting):
            order = account.orders.get(order_id)
            if order is None or order_id == closing_id or order.symbol != symbol:
                continue
            closes = order.reduce_only or order.position_side == side
            if order.type in ("STOP_MARKET", "TAKE_PROFIT_MARKET") and closes:
                order.status = "CANCELLED"
                order.update_ms = exchange_ms()
                account.resting.discard(order_id)
                self._notify(account, order, None)

    @staticmethod
    def record(account: Account, order: SimOrder, fill: FillReport, at_ms: int) -> None:
        filled_tm, filled_time = fill_times(at_ms)
        account.fills.append(
            {
                "_ms": at_ms,
                "tradeId": str(fill.trade_id),
                "filledTm": filled_tm,
                "volume": str(fill.quantity),
                "price": str(fill.price),
                "amount": f"{fill.quantity * fill.price:.4f}",
                "commission": str(-fill.fee),
                "currency": "USDT",
                "orderId": str(order.order_id),
                "liquidatedPrice": "",
                "liquidatedMarginRatio": "",
                "filledTime": filled_time,
                "clientOrderID": order.client_order_id,
                "symbol": order.symbol,
                "side": order.side,
                "positionSide": order.position_side,
                "type": order.type,
                "onlyOnePosition": order.position_side == "BOTH",
            }
        )
        account.add_income(order.symbol, "TRADING_FEE", -fill.fee, at_ms, str(fill.trade_id))
        if fill.realised:
            account.add_income(
                order.symbol, "REALIZED_PNL", fill.realised, at_ms, str(fill.trade_id)
            )

    def _check_margin(
        self, account: Account, order: SimOrder, quantity: Decimal, price: Decimal, fee: Decimal
    ) -> None:
        marks = {p.symbol: p.entry_price for p in account.open_positions()}
        available = account.wallet + account.unrealised(marks) - account.used_margin(marks)
        needed = quantity * price / order.leverage + fee
        if needed > available:
            raise SimError(
                101204, f"Insufficient margin: needs {needed:.4f}, available {available:.4f}"
            )
