"""What the owning executor does for one trader: decide on a signal, carry out the orders,
flatten, resolve open intents, reconcile with BingX. Always under the trader's lock, so a
user's decisions happen one at a time and each sees the previous one's result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fleet.events import EventId
from fleet.events.signals import SignalGenerated
from fleet.events.trading import ExchangeConfigured, OrderAccepted, OrderIntended, OrderRejected
from fleet.executor import metrics, order_flow
from fleet.executor.adapters.contracts import ContractBook, UnknownSymbol
from fleet.executor.domain.account import OpenTrade
from fleet.executor.domain.ids import client_order_id
from fleet.executor.domain.planner import (
    NO_CAPS,
    Plan,
    SignalTurn,
    candle_length,
    gate_view,
    plan,
    unknown_symbol,
)
from fleet.executor.domain.positions import ExchangeView, after_fill, missing, reconcile, vanished
from fleet.executor.domain.risk_gate import Caps, GateView
from fleet.executor.ports import OutcomeUnknown
from fleet.executor.traders import Trader
from fleet.obs import get_logger

Clock = Callable[[], datetime]
PREPARE_ATTEMPTS = 4
PREPARE_PAUSE_S = 1.0
PauseBot = Callable[[str, str], Awaitable[None]]  # (user id, reason)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SignalReceived:
    """A signal from the log: its event id, its data and when it was published."""

    event_id: str
    signal: SignalGenerated
    published_at: datetime


@dataclass
class Execution:
    contracts: ContractBook
    pause_bot: PauseBot
    clock: Clock = utc_now
    max_signal_age: timedelta | None = None  # None: one candle of the signal's timeframe
    caps: Caps = NO_CAPS  # the platform's caps on new exposure (the risk gate's)

    async def on_signal(self, trader: Trader, received: SignalReceived) -> None:
        """Decide once for this (signal, user) and carry out what was decided."""
        started = trader.view.started_at
        if started is not None and received.published_at < started:
            return  # published before this bot's session: not its signal
        async with trader.lock:
            if trader.account.evaluated(received.event_id):
                return
            decided = await self._decide(trader, received)
            stamp = {"intended_at": self.clock()}
            intents = tuple(i.model_copy(update=stamp) for i in decided.intents)
            trader.account.evaluate(decided.evaluation.model_copy(update={"intents": intents}))
            await trader.save(causation_id=EventId(received.event_id))
            metrics.DECISIONS.labels(decided.evaluation.decision, decided.evaluation.code).inc()
            prices = {received.signal.symbol: received.signal.close}
            for intent in intents:
                await self._carry_out(trader, intent, prices)
                metrics.SIGNAL_TO_ORDER.observe(
                    (self.clock() - received.published_at).total_seconds()
                )
        if decided.pause_reason:
            await self.pause_bot(trader.user_id, decided.pause_reason)

    async def _decide(self, trader: Trader, received: SignalReceived) -> Plan:
        try:
            rules = await self.contracts.rules(received.signal.symbol)
        except UnknownSymbol as exc:
            return unknown_symbol(self._turn(received), str(exc))
        decided = plan(self._turn(received), trader.view, trader.account, rules, self.caps)
        if not decided.intents:
            return decided
        await trader.order_turn()  # the budget decides when "its turn comes"
        with metrics.DECIDE_SECONDS.time():
            decided = plan(self._turn(received), trader.view, trader.account, rules, self.caps)
        if decided.intents and not await self._configured(trader, received.signal.symbol):
            return _not_configured(decided)
        return decided

    def _turn(self, received: SignalReceived) -> SignalTurn:
        return SignalTurn(
            received.event_id,
            received.signal,
            received.published_at,
            self.clock(),
            self.max_signal_age,
        )

    async def _configured(self, trader: Trader, symbol: str) -> bool:
        """Leverage and position mode on BingX as the settings say, before the order."""
        settings = trader.view.settings
        wanted = ExchangeConfigured(
            symbol=symbol, leverage=settings.leverage, position_mode=settings.position_mode
        )
        if trader.account.configured.get(symbol) == wanted:
            return True
        try:
            await trader.exchange.configure(
                symbol, settings.leverage, settings.position_mode == "hedge"
            )
        except OutcomeUnknown as exc:
            get_logger().info(
                "configure failed", user=trader.user_id, symbol=symbol, error=str(exc)
            )
            return False
        trader.account.record(wanted)
        return True

    async def _carry_out(
        self, trader: Trader, intent: OrderIntended, prices: dict[str, Decimal]
    ) -> None:
        started = time.perf_counter()
        try:
            gate = await self._gate(trader, intent.symbol, prices)
        except UnknownSymbol as exc:
            outcome: order_flow.Outcome | None = order_flow.rejected(
                intent, f"refused (unknown_symbol): {exc}", None, after_restart=False
            )
        else:
            price = prices.get(intent.symbol, Decimal(0))
            outcome = await order_flow.submit(trader.exchange, intent, gate, price)
        metrics.ORDER_SECONDS.observe(time.perf_counter() - started)
        self._settle(trader, intent, outcome)
        await trader.save()

    async def _gate(self, trader: Trader, symbol: str, prices: dict[str, Decimal]) -> GateView:
        """The risk gate's view of the trader for an order on ``symbol``."""
        instruments = {symbol: await self.contracts.rules(symbol)}
        return gate_view(trader.view, trader.account, instruments, self.caps, self.clock(), prices)

    def _settle(
        self, trader: Trader, intent: OrderIntended, outcome: order_flow.Outcome | None
    ) -> None:
        if outcome is None:
            metrics.ORDERS.labels("unknown").inc()
            return  # left open: resolved by clientOrderID
        kind = "accepted" if isinstance(outcome, OrderAccepted) else "rejected"
        metrics.ORDERS.labels(kind).inc()
        if isinstance(outcome, OrderRejected) and outcome.bingx_code in order_flow.PRECISION_CODES:
            self.contracts.expire()  # BingX's tick or step may have changed: read them again
        if isinstance(outcome, OrderAccepted):  # the fill's effect travels with the outcome
            outcome = after_fill(trader.account, intent, outcome, self.clock())
        trader.account.settle(outcome)

    async def prepare(self, trader: Trader) -> None:
        """Set leverage and position mode for every symbol of the user's settings now, so
        the first order of a signal does not wait for it (retried before an order if this
        fails)."""
        for attempt in range(PREPARE_ATTEMPTS):
            async with trader.lock:
                done = [await self._configured(trader, s) for s in trader.view.settings.symbols]
                await trader.save()
            if all(done):
                return
            await asyncio.sleep(PREPARE_PAUSE_S * 2**attempt)  # BingX busy: try again
        get_logger().warning("exchange not configured yet", user=trader.user_id)

    async def flatten(self, trader: Trader, request_id: str) -> None:
        """Close every open trade of the user (idempotent per request)."""
        async with trader.lock:
            trades = list(trader.account.trades.values())
            intents = [_flatten_intent(request_id, trader, trade) for trade in trades]
            fresh = [i for i in intents if trader.account.intend(i)]
            if not fresh:
                return
            await trader.save(causation_id=EventId(request_id))
            for intent in fresh:
                await self._carry_out(trader, intent, {})

    async def resolve_open(self, trader: Trader) -> int:
        """Settle every intent without an outcome; returns how many stay open."""
        async with trader.lock:
            for intent in trader.account.open_intents:
                outcome = await self._resolve_one(trader, intent)
                self._settle(trader, intent, outcome)
            await trader.save()
            return len(trader.account.open_intents)

    async def _resolve_one(
        self, trader: Trader, intent: OrderIntended
    ) -> order_flow.Outcome | None:
        """One open intent settled; a re-send passes the risk gate at today's price."""
        try:
            prices: dict[str, Decimal] = {}
            if intent.leg == "entry":
                prices[intent.symbol] = await self.contracts.price(intent.symbol)
            gate = await self._gate(trader, intent.symbol, prices)
        except UnknownSymbol as exc:
            return order_flow.rejected(
                intent, f"refused (unknown_symbol): {exc}", None, after_restart=True
            )
        except Exception:
            return None
        price = prices.get(intent.symbol, Decimal(0))
        return await order_flow.resolve(
            trader.exchange, intent, gate, price, may_send=self._may_send(intent)
        )

    def _may_send(self, intent: OrderIntended) -> bool:
        if intent.leg != "entry" or intent.intended_at is None:
            return True
        limit = self.max_signal_age or candle_length("5m")
        return self.clock() - intent.intended_at <= limit

    async def reconcile(self, trader: Trader) -> None:
        """Bring the log in line with what BingX reports (hand trades, stops, balance)."""
        async with trader.lock:
            try:
                seen = ExchangeView(
                    await trader.exchange.positions(),
                    await trader.exchange.balance(),
                    self.clock(),
                )
                for trade in missing(trader.account, seen):
                    since = int(trade.opened_at.timestamp() * 1000)
                    fills = await trader.exchange.fills(trade.symbol, since)
                    trader.account.record(vanished(trade, fills, seen.now))
            except OutcomeUnknown:
                return
            for event in reconcile(trader.account, seen):
                trader.account.record(event)
            await trader.save()


def _flatten_intent(request_id: str, trader: Trader, trade: OpenTrade) -> OrderIntended:
    leg = f"flatten-{trade.symbol}-{trade.direction}"
    return OrderIntended(
        client_order_id=client_order_id(request_id, trader.user_id, leg),
        signal_id=request_id,
        leg=leg,
        symbol=trade.symbol,
        side="SELL" if trade.direction == "long" else "BUY",
        position_side=trade.position_side,
        order_type="MARKET",
        quantity=trade.quantity,
        leverage=trader.view.settings.leverage,
        reduce_only=trade.position_side == "BOTH",
    )


def _not_configured(decided: Plan) -> Plan:
    evaluation = decided.evaluation.model_copy(
        update={
            "intents": (),
            "decision": "skip",
            "code": "exchange_unavailable",
            "reason": "skipped: BingX did not confirm leverage and position mode for "
            f"{decided.evaluation.symbol}; no order was sent",
        }
    )
    return Plan(evaluation)
