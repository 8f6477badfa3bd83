"""Simulated accounts: keys, permissions, balances, positions, orders, fills."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from fleet.bingx_sim.domain.errors import SimulatorError

READ, SPOT, PERPETUAL, TRANSFER, WITHDRAW = 2, 1, 3, 4, 5
PERMISSION_NAMES = {
    "read": READ,
    "trade": PERPETUAL,
    "spot": SPOT,
    "transfer": TRANSFER,
    "withdraw": WITHDRAW,
}
_order_ids = itertools.count(1735950529123455000)


class SimError(SimulatorError):
    """A BingX business error: code and message as BingX sends them."""

    error_code = "sim_business_error"

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def next_order_id() -> int:
    """19-digit int64 order ids, like BingX's."""
    return next(_order_ids)


@dataclass
class SimPosition:
    symbol: str
    side: str  # LONG / SHORT
    quantity: Decimal = Decimal(0)
    entry_price: Decimal = Decimal(0)
    leverage: int = 5
    realised: Decimal = Decimal(0)
    manual: bool = False


@dataclass
class SimOrder:
    order_id: int
    client_order_id: str
    symbol: str
    side: str
    position_side: str
    type: str
    quantity: Decimal
    price: Decimal = Decimal(0)
    stop_price: Decimal = Decimal(0)
    status: str = "NEW"
    executed: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)  # on the price precision, like BingX's avgPrice
    cum_quote: Decimal = Decimal(0)  # the exact filled value (sum of price x quantity)
    commission: Decimal = Decimal(0)
    profit: Decimal = Decimal(0)  # realised PnL of its fills
    reduce_only: bool = False
    time_ms: int = 0
    update_ms: int = 0
    leverage: int = 5
    attached: dict[str, dict[str, object]] = field(default_factory=dict)

    def wire(self) -> dict[str, object]:
        """The order object of query/open/cancel answers."""
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "side": self.side,
            "positionSide": self.position_side,
            "type": self.type,
            "origQty": str(self.quantity),
            "price": str(self.price),
            "executedQty": str(self.executed),
            "avgPrice": str(self.avg_price),
            "cumQuote": str(self.cum_quote or self.executed * self.avg_price),
            "stopPrice": str(self.stop_price),
            "profit": str(self.profit),
            "commission": str(-self.commission),
            "status": self.status,
            "time": self.time_ms,
            "updateTime": self.update_ms,
            "clientOrderId": self.client_order_id,
            "leverage": f"{self.leverage}X",
            "workingType": "MARK_PRICE",
            "reduceOnly": self.reduce_only,
            "takeProfit": self._attached("takeProfit"),
            "stopLoss": self._attached("stopLoss"),
            "advanceAttr": 0,
            "positionID": 0,
            "takeProfitEntrustPrice": 0,
            "stopLossEntrustPrice": 0,
            "orderType": "",
            "stopGuaranteed": "false",
            "triggerOrderId": 0,
            "onlyOnePosition": self.position_side == "BOTH",
            "postOnly": False,
            "trailingStopRate": 0,
            "trailingStopDistance": 0,
            "priceRate": 0,
            "actPrice": "",
            "closePosition": "",
            "isTwap": 0,
            "mainOrderId": "",
        }

    def _attached(self, kind: str) -> dict[str, object]:
        """An attached stop-loss / take-profit as the order object shows it (empty: none)."""
        spec = self.attached.get(kind, {})
        return {
            "type": str(spec.get("type", "")),
            "quantity": spec.get("quantity", 0),
            "stopPrice": spec.get("stopPrice", 0),
            "price": spec.get("price", 0),
            "workingType": str(spec.get("workingType", "")),
            "stopGuaranteed": str(spec.get("stopGuaranteed", "")),
        }


@dataclass
class Account:
    api_key: str
    secret: str
    uid: str
    permissions: tuple[int, ...]
    wallet: Decimal
    ip_addresses: tuple[str, ...] = ()
    hedge_mode: bool = True
    leverage: dict[tuple[str, str], int] = field(default_factory=dict)
    margin_type: dict[str, str] = field(default_factory=dict)
    positions: dict[tuple[str, str], SimPosition] = field(default_factory=dict)
    orders: dict[int, SimOrder] = field(default_factory=dict)
    client_ids: dict[str, int] = field(default_factory=dict)
    fills: list[dict[str, object]] = field(default_factory=list)
    listen_keys: set[str] = field(default_factory=set)
    resting: set[int] = field(default_factory=set)  # ids of NEW/PENDING orders (the tick's work)
    income: list[dict[str, object]] = field(default_factory=list)  # GET /user/income rows

    def add_income(
        self, symbol: str, kind: str, amount: Decimal, at_ms: int, trade_id: str = ""
    ) -> dict[str, object]:
        """One row of the account's money flow (API.md §4.2 income)."""
        tran_id = f"{at_ms}_{len(self.income) + 1}"
        row: dict[str, object] = {
            "symbol": symbol,
            "incomeType": kind,
            "income": f"{amount:.8f}",
            "asset": "USDT",
            "info": kind.replace("_", " ").title(),
            "time": at_ms,
            "tranId": tran_id,
            "tradeId": trade_id or tran_id,
        }
        self.income.append(row)
        return row

    def leverage_for(self, symbol: str, side: str) -> int:
        return self.leverage.get((symbol, side), 5)

    def position(self, symbol: str, side: str) -> SimPosition:
        key = (symbol, side)
        if key not in self.positions:
            self.positions[key] = SimPosition(
                symbol, side, leverage=self.leverage_for(symbol, side)
            )
        return self.positions[key]

    def open_positions(self) -> list[SimPosition]:
        return [p for p in self.positions.values() if p.quantity > 0]

    def used_margin(self, marks: dict[str, Decimal]) -> Decimal:
        return sum(
            (
                p.quantity * marks.get(p.symbol, p.entry_price) / p.leverage
                for p in self.open_positions()
            ),
            Decimal(0),
        )

    def unrealised(self, marks: dict[str, Decimal]) -> Decimal:
        total = Decimal(0)
        for p in self.open_positions():
            direction = 1 if p.side == "LONG" else -1
            total += (marks.get(p.symbol, p.entry_price) - p.entry_price) * p.quantity * direction
        return total


class Accounts:
    """Every account, by API key and by listenKey."""

    def __init__(self) -> None:
        self.by_key: dict[str, Account] = {}
        self.by_listen_key: dict[str, Account] = {}

    def create(self, balance: Decimal, permissions: list[str], ips: list[str]) -> Account:
        unknown = [p for p in permissions if p not in PERMISSION_NAMES]
        if unknown:
            raise SimError(
                100400, f"unknown permission(s) {unknown}; use {sorted(PERMISSION_NAMES)}"
            )
        account = Account(
            api_key=secrets.token_urlsafe(48).replace("-", "").replace("_", "")[:64],
            secret=secrets.token_urlsafe(48).replace("-", "").replace("_", "")[:64],
            uid=str(10_000_000 + len(self.by_key)),
            permissions=tuple(sorted({PERMISSION_NAMES[p] for p in permissions})),
            wallet=balance,
            ip_addresses=tuple(ips),
        )
        self.by_key[account.api_key] = account
        return account

    def new_listen_key(self, account: Account) -> str:
        key = secrets.token_hex(32)
        account.listen_keys.add(key)
        self.by_listen_key[key] = account
        return key
