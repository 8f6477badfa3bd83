"""Everything the simulator holds in memory, wired once by ``create_app``."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fleet.bingx_sim.clock import SimClock
from fleet.bingx_sim.domain.accounts import (
    Account,
    Accounts,
    SimError,
    SimOrder,
    SimPosition,
    next_order_id,
)
from fleet.bingx_sim.domain.contracts import spec_for
from fleet.bingx_sim.domain.engine import MAINTENANCE, Engine, FillReport, exchange_ms
from fleet.bingx_sim.domain.history import HistoryRules
from fleet.bingx_sim.domain.limits import RateLimits, Window
from fleet.bingx_sim.domain.market import Market, quantise
from fleet.bingx_sim.domain.modes import FUNDING_EVERY_MS, ExecutionMode

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
    mode: ExecutionMode = field(default_factory=ExecutionMode)  # every account's (/sim/modes)
    account_modes: dict[str, ExecutionMode] = field(default_factory=dict)  # api key -> own
    funding_history: list[tuple[int, Decimal]] = field(default_factory=list)  # (time, rate)
    _funding_epoch: int = 0
    history: HistoryRules = field(default_factory=HistoryRules)  # how much past one answer gives

    def listen_key_lapses_in(self, key: str, now: float) -> float:
        """Seconds until ``key`` lapses unless extended (0 once it has; ``inf`` for a key
        that was never given a lifetime, which :meth:`listen_key_expired` never lapses)."""
        if key in self.expired_listen_keys:
            return 0.0
        touched = self.listen_key_touched.get(key)
        if touched is None:
            return math.inf
        return max(0.0, touched + self.listen_key_ttl_s - now)

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

    def __post_init__(self) -> None:
        self.engine.on_update = self.publish_order
        self._funding_epoch = self.clock.now_ms() // FUNDING_EVERY_MS

    def mode_for(self, account: Account) -> ExecutionMode:
        """The account's own execution mode, else the global one."""
        return self.account_modes.get(account.api_key, self.mode)

    def publish_order(
        self, account: Account, order: SimOrder, fill: FillReport | None = None
    ) -> None:
        """Push ORDER_TRADE_UPDATE (and ACCOUNT_UPDATE on a fill) to the user's streams:
        ``x`` NEW on acceptance, TRADE per fill (``t`` trade id, ``l``/``L`` that fill's
        quantity and price, ``n`` its fee, ``rp`` its realised PnL), CANCELED."""
        now = exchange_ms()
        if fill is None and order.status == "FILLED":  # a fill made outside the engine
            fill = FillReport(0, order.executed, order.avg_price, order.commission, Decimal(0))
        status = "CANCELED" if order.status == "CANCELLED" else order.status
        if status == "PENDING":
            status = "NEW"
        execution = "TRADE" if fill is not None else status
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
                "sp": str(order.stop_price),
                "ap": str(order.avg_price),
                "x": execution,
                "X": status,
                "N": "USDT",
                "n": str(-fill.fee) if fill else "0",
                "T": now,
                "wt": "MARK_PRICE",
                "ps": order.position_side,
                "rp": str(fill.realised) if fill else "0",
                "z": str(order.executed),
                "l": str(fill.quantity) if fill else "0",
                "L": str(fill.price) if fill else "0",
                "t": fill.trade_id if fill else 0,
                "ro": order.reduce_only,
            },
        }
        for queue in self.user_streams.get(account.api_key, []):
            queue.put_nowait(event)
            if fill is not None:
                queue.put_nowait(self._account_update(account, now))

    def publish_config(self, account: Account, symbol: str) -> None:
        """ACCOUNT_CONFIG_UPDATE after a leverage or margin-type change (API.md §6.3)."""
        isolated = account.margin_type.get(symbol, "CROSSED") != "CROSSED"
        event = {
            "e": "ACCOUNT_CONFIG_UPDATE",
            "E": exchange_ms(),
            "ac": {
                "s": symbol,
                "l": account.leverage_for(symbol, "LONG"),
                "S": account.leverage_for(symbol, "SHORT"),
                "mt": "isolated" if isolated else "cross",
            },
        }
        for queue in self.user_streams.get(account.api_key, []):
            queue.put_nowait(event)

    def _account_update(
        self,
        account: Account,
        now: int,
        reason: str = "ORDER",
        change: Decimal = Decimal(0),
        only_isolated: bool = False,
    ) -> dict[str, Any]:
        """Balances and the positions BingX would list: open ones, with their unrealised
        PnL and (isolated) margin (API.md §6.3)."""
        positions = []
        for p in account.open_positions():
            mark = self.mark(p.symbol)
            direction = 1 if p.side == "LONG" else -1
            isolated = account.margin_type.get(p.symbol, "CROSSED") != "CROSSED"
            if only_isolated and not isolated:
                continue
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
                "m": reason,
                "B": [
                    {
                        "a": "USDT",
                        "wb": str(account.wallet),
                        "cw": str(account.wallet),
                        "bc": str(change),
                    }
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
        self.engine.run_due(self.accounts.by_key, marks, now)
        epoch = self.clock.now_ms() // FUNDING_EVERY_MS
        if epoch > self._funding_epoch:
            self._funding_epoch = epoch
            self._fund(marks, epoch * FUNDING_EVERY_MS)
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

    def transfer(self, account: Account, amount: Decimal) -> dict[str, object]:
        """Money in (``amount`` > 0, a deposit) or out (< 0, a withdrawal) of the futures
        wallet, as a transfer from or to the spot account: an income row ``TRANSFER``
        (API.md §4.2) and an ``ACCOUNT_UPDATE`` with reason ``DEPOSIT`` or ``WITHDRAW``
        (API.md §6.3). ``ValueError`` for zero or more than the wallet holds."""
        if amount == 0 or account.wallet + amount < 0:
            raise ValueError("a transfer moves a non-zero amount the wallet can pay")
        now = exchange_ms()
        account.wallet += amount
        row = account.add_income("", "TRANSFER", amount, now)
        reason = "DEPOSIT" if amount > 0 else "WITHDRAW"
        update = self._account_update(account, now, reason, amount, only_isolated=True)
        update["a"]["P"] = []
        for queue in self.user_streams.get(account.api_key, []):
            queue.put_nowait(update)
        return row

    def fund_now(self, funding_time: int) -> None:
        """Funding outside the 8-hour marks (``POST /sim/funding``)."""
        self._fund(self.marks(), funding_time)

    def _fund(self, marks: dict[str, Decimal], funding_time: int) -> None:
        """Funding at an 8-hour mark of simulated time: each open position pays (long, a
        positive rate) or receives its value times the rate; an income row FUNDING_FEE and
        an ACCOUNT_UPDATE with reason FUNDING_FEE (cross: balances only; isolated: with
        the position, API.md §6.3)."""
        self.funding_history.append((funding_time, self.mode.funding_rate))
        now = exchange_ms()
        for account in self.accounts.by_key.values():
            rate = self.mode_for(account).funding_rate
            for position in account.open_positions():
                value = position.quantity * marks[position.symbol]
                amount = -value * rate if position.side == "LONG" else value * rate
                amount = amount.quantize(Decimal("0.00000001"))
                account.wallet += amount
                account.add_income(position.symbol, "FUNDING_FEE", amount, now)
                update = self._account_update(
                    account, now, "FUNDING_FEE", amount, only_isolated=True
                )
                update["a"]["P"] = [p for p in update["a"]["P"] if p["s"] == position.symbol]
                for queue in self.user_streams.get(account.api_key, []):
                    queue.put_nowait(update)

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
        fill = FillReport(
            self.engine.new_trade_id(), position.quantity, price, Decimal(0), Decimal(0)
        )
        Engine.record(account, order, fill, exchange_ms())
        account.fills[-1]["liquidatedPrice"] = str(price)
        position.quantity = Decimal(0)
        self.publish_order(account, order, fill)

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
                self.engine.fill(account, order, order.quantity, price, spec_for(order.symbol), now)
            except SimError:
                self.engine.expire(account, order)
