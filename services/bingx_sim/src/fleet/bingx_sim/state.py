"""Everything the simulator holds in memory, wired once by ``create_app``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fleet.bingx_sim.clock import SimClock
from fleet.bingx_sim.domain.accounts import (
    Account,
    Accounts,
    SimOrder,
    SimPosition,
    next_order_id,
)
from fleet.bingx_sim.domain.contracts import spec_for
from fleet.bingx_sim.domain.engine import MAINTENANCE, Engine
from fleet.bingx_sim.domain.limits import RateLimits, Window
from fleet.bingx_sim.domain.market import Market, quantise

TICK_EVERY_S = 0.1
# Liquidation needs every open position marked to market: with 10,000 accounts that is
# most of a core at 10 Hz, so it runs once a second (positions move slower than that).
LIQUIDATION_EVERY_S = 1.0


@dataclass
class Faults:
    """Injected misbehaviour (``POST /sim/faults``)."""

    latency_ms: int = 0
    error_rate: float = 0.0
    timeout_after_accept: int = 0  # the next N orders are stored but their answer is dropped
    rate_limit_storm: int = 0  # the next N signed requests are refused with 100410
    bad_gateway_after_accept: int = 0  # the next N orders are stored, answered by a proxy's 502
    bare_status: int = 0  # with bare_status_count: answer an HTTP status with no JSON body
    bare_status_count: int = 0  # (a 429 / 418 / 403 from BingX's edge) to the next N requests
    garbage_frames: int = 0  # the next N market pushes are a frame that is not JSON
    refuse_websockets_until: float = 0.0  # monotonic time until which handshakes are refused
    market_silent_until: float = 0.0  # monotonic time until which no kline is pushed


@dataclass
class SimState:
    clock: SimClock
    market: Market
    accounts: Accounts = field(default_factory=Accounts)
    engine: Engine = field(default_factory=Engine)
    faults: Faults = field(default_factory=Faults)
    limits: RateLimits = field(default_factory=RateLimits)
    _last_tick: float = 0.0
    _last_liquidation: float = 0.0
    push_interval_s: float = 0.25
    strict: bool = True
    final_push: bool = False
    subscriptions: dict[str, int] = field(default_factory=dict)  # topic -> open subscriptions
    sockets: set[Any] = field(default_factory=set)  # open WebSockets (for injected drops)
    user_streams: dict[str, list[Any]] = field(default_factory=dict)  # api key -> queues
    sockets_by_address: dict[str, int] = field(default_factory=dict)  # open, per client IP
    peak_sockets_by_address: dict[str, int] = field(default_factory=dict)
    refused_sockets: int = 0  # handshakes refused for the per-address cap
    listen_keys_created: int = 0
    listen_key_ttl_s: float = 3600.0  # a key not extended for this long expires (§6.1)
    listen_key_touched: dict[str, float] = field(default_factory=dict)  # key -> monotonic
    expired_listen_keys: set[str] = field(default_factory=set)
    subscribe_windows: dict[str, Window] = field(default_factory=dict)  # per client address

    def listen_key_expired(self, key: str) -> bool:
        """Whether ``key`` lapsed (not extended within the TTL); forgets it if so."""
        if key in self.expired_listen_keys:
            return True
        touched = self.listen_key_touched.get(key)
        if touched is None or time.monotonic() - touched <= self.listen_key_ttl_s:
            return False
        self.expired_listen_keys.add(key)
        account = self.accounts.by_listen_key.pop(key, None)
        if account is not None:
            account.listen_keys.discard(key)
        self.listen_key_touched.pop(key, None)
        return True

    def publish_order(self, account: Account, order: SimOrder) -> None:
        """Push ORDER_TRADE_UPDATE (and ACCOUNT_UPDATE on a fill) to the user's streams."""
        now = self.clock.now_ms()
        event = {
            "e": "ORDER_TRADE_UPDATE",
            "E": now,
            "T": now,
            "o": {
                "s": order.symbol,
                "c": order.client_order_id,
                "i": order.order_id,
                "S": order.side,
                "o": order.type,
                "q": str(order.quantity),
                "p": str(order.price),
                "ap": str(order.avg_price),
                "x": "TRADE" if order.status == "FILLED" else "NEW",
                "X": order.status,
                "N": "USDT",
                "n": str(-order.commission),
                "T": now,
                "wt": "MARK_PRICE",
                "ps": order.position_side,
                "rp": "0",
                "z": str(order.executed),
                # the last fill: the whole order here (a MARKET order fills at once)
                "l": str(order.executed) if order.status == "FILLED" else "0",
                "L": str(order.avg_price) if order.status == "FILLED" else "0",
            },
        }
        for queue in self.user_streams.get(account.api_key, []):
            queue.put_nowait(event)
            if order.status == "FILLED":
                queue.put_nowait(self._account_update(account, now))

    def _account_update(self, account: Account, now: int) -> dict[str, Any]:
        """Balances and the positions BingX would list: open ones, with their unrealised
        PnL and (isolated) margin (API.md §6.3)."""
        positions = []
        for p in account.open_positions():
            mark = self.mark(p.symbol)
            direction = 1 if p.side == "LONG" else -1
            isolated = account.margin_type.get(p.symbol, "CROSSED") != "CROSSED"
            margin = p.quantity * p.entry_price / p.leverage if isolated else Decimal(0)
            positions.append(
                {
                    "s": p.symbol,
                    "pa": str(p.quantity),
                    "ep": str(p.entry_price),
                    "up": f"{(mark - p.entry_price) * p.quantity * direction:.8f}",
                    "mt": "isolated" if isolated else "cross",
                    "iw": f"{margin:.8f}",
                    "ps": p.side,
                    "cr": f"{p.realised:.8f}",
                }
            )
        return {
            "e": "ACCOUNT_UPDATE",
            "E": now,
            "a": {
                "m": "ORDER",
                "B": [
                    {"a": "USDT", "wb": str(account.wallet), "cw": str(account.wallet), "bc": "0"}
                ],
                "P": positions,
            },
        }

    def mark(self, symbol: str) -> Decimal:
        """Current mark price (the last price here), quantised to the contract's tick."""
        spec = spec_for(symbol)
        return quantise(self.market.price(symbol, self.clock.now_ms()), spec.price_precision)

    def marks(self) -> dict[str, Decimal]:
        return {symbol: self.mark(symbol) for symbol in self.market.paths}

    def tick(self) -> None:
        """Fill resting limit orders that the price crossed; fire triggered stops;
        liquidate accounts whose equity no longer covers maintenance margin.

        Runs at most every ``TICK_EVERY_S`` of wall time: requests call it freely, and a
        full scan per request made the order path quadratic (measured: 672 orders/s)."""
        wall = time.monotonic()
        if wall - self._last_tick < TICK_EVERY_S:
            return
        self._last_tick = wall
        now = self.clock.now_ms()
        marks = self.marks()
        liquidate = wall - self._last_liquidation >= LIQUIDATION_EVERY_S
        if liquidate:
            self._last_liquidation = wall
        for account in self.accounts.by_key.values():
            for order_id in list(account.resting):
                order = account.orders[order_id]
                if order.status in ("NEW", "PENDING"):
                    self._maybe_fill(account, order, now, marks[order.symbol])
                if order.status not in ("NEW", "PENDING"):
                    account.resting.discard(order_id)
            if liquidate and any(p.quantity > 0 for p in account.positions.values()):
                self._maybe_liquidate(account, marks)

    def _maybe_liquidate(self, account: Account, marks: dict[str, Decimal]) -> None:
        isolated = [
            p for p in account.open_positions() if account.margin_type.get(p.symbol) == "ISOLATED"
        ]
        for position in isolated:  # each stands alone: its loss is capped at its margin
            margin = position.quantity * position.entry_price / position.leverage
            direction = 1 if position.side == "LONG" else -1
            loss = (position.entry_price - marks[position.symbol]) * position.quantity * direction
            if loss >= margin * (1 - MAINTENANCE * position.leverage):
                account.wallet -= margin
                self._liquidated(account, position, marks[position.symbol])
        positions = [p for p in account.open_positions() if p not in isolated]
        if not positions:
            return
        notional = sum((p.quantity * marks[p.symbol] for p in positions), Decimal(0))
        if account.wallet + account.unrealised(marks) > notional * MAINTENANCE:
            return
        account.wallet = max(account.wallet + account.unrealised(marks), Decimal(0))
        for position in positions:
            self._liquidated(account, position, marks[position.symbol])

    def _liquidated(self, account: Account, position: SimPosition, price: Decimal) -> None:
        """Close ``position`` at ``price`` as BingX's liquidation engine does: an order with
        no client id, its fill (with ``liquidatedPrice``) and the user-data events."""
        now = self.clock.now_ms()
        order = SimOrder(
            next_order_id(),
            "",
            position.symbol,
            "SELL" if position.side == "LONG" else "BUY",
            position.side,
            "MARKET",
            position.quantity,
            status="FILLED",
            executed=position.quantity,
            avg_price=price,
            time_ms=now,
            update_ms=now,
        )
        account.orders[order.order_id] = order
        account.fills.append(
            {
                "orderId": str(order.order_id),
                "symbol": order.symbol,
                "side": order.side,
                "price": str(price),
                "volume": str(order.quantity),
                "commission": "0",
                "clientOrderID": "",
                "filledTm": now,
                "liquidatedPrice": str(price),
            }
        )
        position.quantity = Decimal(0)
        self.publish_order(account, order)

    def _maybe_fill(self, account: Account, order: SimOrder, now: int, mark: Decimal) -> None:
        buy = order.side == "BUY"
        if order.type == "LIMIT":
            hit = mark <= order.price if buy else mark >= order.price
        elif order.type == "STOP_MARKET":
            hit = mark >= order.stop_price if buy else mark <= order.stop_price
        else:  # TAKE_PROFIT_MARKET
            hit = mark <= order.stop_price if buy else mark >= order.stop_price
        if hit:
            price = order.price if order.type == "LIMIT" else mark
            try:
                self.engine._fill(account, order, price, spec_for(order.symbol), now)
            except Exception:
                order.status = "CANCELLED"
            self.publish_order(account, order)
