"""What the owning executor does for one trader: decide on a signal, carry out the orders,
flatten, resolve open intents, reconcile with BingX. Always under the trader's lock, so a
user's decisions happen one at a time and each sees the previous one's result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fleet.events import EventId
from fleet.events.signals import SignalGenerated
from fleet.events.timeframes import candle_length
from fleet.events.trading import (
    ExchangeConfigured,
    FundingPaid,
    OrderAccepted,
    OrderIntended,
    OrderRejected,
    SignalEvaluated,
    routine,
)
from fleet.executor import metrics, order_flow
from fleet.executor.adapters.bingx_account import query_report
from fleet.executor.adapters.contracts import ContractBook, UnknownSymbol
from fleet.executor.domain.account import LiveOrder, OpenTrade
from fleet.executor.domain.ids import client_order_id
from fleet.executor.domain.planner import (
    NO_CAPS,
    Plan,
    SignalTurn,
    gate_view,
    plan,
    unknown_symbol,
)
from fleet.executor.domain.positions import (
    ExchangeView,
    ended_from,
    fill_from,
    missing,
    reconcile,
    vanished,
)
from fleet.executor.domain.risk_gate import Caps, GateView
from fleet.executor.domain.stops import closing_exit, stop_intent, to_close, uncovered
from fleet.executor.errors import ExecutorError
from fleet.executor.ports import DecisionTelemetry, OrderReport, OutcomeUnknown
from fleet.executor.traders import Trader
from fleet.executor.traffic import SignalTraffic
from fleet.obs import count_unexpected, get_logger
from fleet.ratelimit.retries import attempts_of
from fleet.risk import Instrument

Clock = Callable[[], datetime]
PREPARE_ATTEMPTS = 4  # 1 s, 2 s, 4 s apart, jitter taking up to a tenth off each
PREPARE_PAUSE_S = 1.0
PREPARE_JITTER_S = 0.1
PauseBot = Callable[[str, str], Awaitable[None]]  # (user id, reason)
# An accepted order not reported filled by the stream by then is asked about by query
# (the stream may be down or not kept for this trader); then again, twice as late.
FOLLOW_UP_S = (1.0, 2.0, 4.0, 8.0)
FUNDING_EVERY = timedelta(hours=8)  # BingX's funding times: 00:00, 08:00, 16:00 UTC
# deposits and withdrawals: read when the stream reports one, and by query at most this often
# (a transfer made while the stream was down); each read looks this far back
TRANSFERS_EVERY = timedelta(hours=1)
TRANSFERS_LOOK_BACK = timedelta(days=7)
# A decision whose order the budget held back longer than this is made again when its turn
# comes; one sooner stands (as if the signal had come that much later). Deciding twice was
# 9 % of a 1,000-user fan-out's decision path, for turns that came at once.
REDECIDE_AFTER_S = 0.05


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
    follow_up_s: tuple[float, ...] = FOLLOW_UP_S
    traffic: SignalTraffic = field(default_factory=SignalTraffic)
    # routine skips go here instead of the log; None: every decision stays in the log
    telemetry: DecisionTelemetry | None = None
    _follow_ups: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _funding_due: set[str] = field(default_factory=set)
    _funding_checked: dict[str, datetime] = field(default_factory=dict)
    transfers_every: timedelta = TRANSFERS_EVERY
    _transfers_due: set[str] = field(default_factory=set)
    _transfers_checked: dict[str, datetime] = field(default_factory=dict)

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
            evaluation = decided.evaluation.model_copy(update={"intents": intents})
            await self._keep_decision(trader, evaluation, EventId(received.event_id))
            metrics.DECISIONS.labels(decided.evaluation.decision, decided.evaluation.code).inc()
            prices = {received.signal.symbol: received.signal.close}
            for intent in intents:
                await self._carry_out(trader, intent, prices)
                metrics.SIGNAL_TO_ORDER.observe(
                    (self.clock() - received.published_at).total_seconds()
                )
        if decided.pause_reason:
            await self.pause_bot(trader.user_id, decided.pause_reason)

    async def _keep_decision(
        self, trader: Trader, evaluation: SignalEvaluated, causation_id: EventId
    ) -> None:
        """A decision that changes state goes to the log; a routine skip to telemetry."""
        if self.telemetry is not None and routine(evaluation):
            trader.account.noted(evaluation.signal_id)
            await self.telemetry.decided(trader.user_id, evaluation, causation_id)
            if trader.account.pending:  # e.g. a poll's fills, recorded while deciding
                await trader.save()
            return
        trader.account.evaluate(evaluation)
        await trader.save(causation_id=causation_id)

    async def _decide(self, trader: Trader, received: SignalReceived) -> Plan:
        try:
            rules = await self.contracts.rules(received.signal.symbol)
        except UnknownSymbol as exc:
            return unknown_symbol(self._turn(received), str(exc))
        if any(o.intent.symbol == received.signal.symbol for o in trader.account.orders.values()):
            # an order of this symbol whose fills are not all recorded: decide on what filled
            await self._poll(trader)
            await trader.save()
        asked = self.clock()
        with metrics.DECIDE_SECONDS.time():
            decided = plan(self._turn(received), trader.view, trader.account, rules, self.caps)
        if not decided.intents:
            return decided
        await trader.order_turn()  # the budget decides when "its turn comes"
        if (self.clock() - asked).total_seconds() > REDECIDE_AFTER_S:
            # held back: decided again on the trader as he is now (the signal's age, his
            # settings; his account cannot change meanwhile: this holds his lock)
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
            await trader.fence()  # an owner paused past its partition's lease sends nothing
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
        trader.account.settle(outcome)
        if isinstance(outcome, OrderAccepted):  # accepted is not filled: its fills follow
            self._follow_up(trader)

    # -- fills ----------------------------------------------------------------------------
    async def on_report(self, trader: Trader, report: OrderReport) -> None:
        """An order's progress from the user-data stream: record its new fill (once,
        whichever path reports it) or its end; a stream report after a missed one is
        completed by query. While a signal's orders are going out, they go first."""
        with self.traffic.reporting():
            await self.traffic.quiet()
            async with trader.lock:
                if trader.account.orders.get(report.client_order_id) is None:
                    return  # not a live Fleet order (or already recorded to its end)
                if not self._record(trader, report):
                    order = trader.account.orders.get(report.client_order_id)
                    if order is not None and report.cumulative_quantity > order.filled:
                        # a gap: the query tells this order's totals (this order's only:
                        # after a takeover every part of every order reports a gap, and
                        # asking about all of them each time went past BingX's 5
                        # queries a second per UID)
                        await self._poll(trader, [order])
                await trader.save()
                await self._cover_stops(trader)

    def _record(self, trader: Trader, report: OrderReport) -> bool:
        """Record what ``report`` adds; False when it adds nothing."""
        filled = fill_from(trader.account, report)
        if filled is not None:
            trader.account.record(filled)
            metrics.FILLS.labels(report.reported_by).inc()
        ended = ended_from(trader.account, report)
        if ended is not None:
            trader.account.record(ended)
        return filled is not None or ended is not None

    async def _poll(self, trader: Trader, orders: Iterable[LiveOrder] | None = None) -> None:
        """Ask BingX for ``orders`` (default: every live order of the trader; the stream
        may have missed fills)."""
        for order in list(trader.account.orders.values() if orders is None else orders):
            try:
                found = await trader.exchange.find(
                    order.intent.symbol, order.intent.client_order_id
                )
            except OutcomeUnknown:
                # BingX cannot tell now (a rate limit, a timeout): asking about the next
                # order at once would only add to a refusal; the next round asks again
                return
            if found is not None:
                self._record(trader, query_report(found, self.clock()))

    async def poll_orders(self, trader: Trader) -> None:
        """Fills by query, for the orders still live (stream down, takeover, follow-up)."""
        async with trader.lock:
            if trader.account.orders:
                await self._poll(trader)
                await trader.save()
                await self._cover_stops(trader)

    def _follow_up(self, trader: Trader) -> None:
        running = self._follow_ups.get(trader.user_id)
        if running is None or running.done():
            task = asyncio.create_task(self._follow(trader))
            self._follow_ups[trader.user_id] = task

    async def _follow(self, trader: Trader) -> None:
        for delay in self.follow_up_s:
            await self.traffic.settled()  # a fan-out's orders, then its stream reports
            await asyncio.sleep(delay)
            # a pause that ends inside the next signal's fan-out: its new orders and their
            # stream reports first (asked at once, they would be asked before being told)
            await self.traffic.settled()
            if not trader.account.orders:
                return  # the stream reported every fill
            try:
                await self.poll_orders(trader)
            except Exception:  # the periodic reconcile polls again
                count_unexpected("executor.fill_follow_up")
                get_logger().exception("fill follow-up failed", user=trader.user_id)
                return

    async def on_funding(self, trader: Trader, _paid: list[FundingPaid]) -> None:
        """The stream says funding moved the balance: read the income history now (its
        ``tranId`` is the payment's one identity; the stream's update names none)."""
        self._funding_due.add(trader.user_id)
        async with trader.lock:
            await self._fund(trader)
            await trader.save()

    async def _fund(self, trader: Trader) -> None:
        """Record the funding fees BingX lists that are not recorded yet (each once). Due
        when the stream said so, or when a funding time passed while a trade was open."""
        now = self.clock()
        checked = self._funding_checked.get(trader.user_id, now - FUNDING_EVERY)
        boundary = _last_funding_time(now)
        passed = bool(trader.account.trades) and checked < boundary
        if not passed and trader.user_id not in self._funding_due:
            return
        since = min(checked, boundary) - FUNDING_EVERY
        try:
            paid = await trader.exchange.funding(int(since.timestamp() * 1000))
        except OutcomeUnknown:
            return  # due still: the next reconcile asks again
        for funding in paid:
            if not trader.account.funded(funding.funding_id):
                trader.account.record(funding)
        self._funding_checked[trader.user_id] = now
        self._funding_due.discard(trader.user_id)

    def transfer_due(self, user_id: str) -> None:
        """The stream says a deposit or withdrawal moved the balance: the reconcile it
        wakes reads the income history (whose ``tranId`` is the transfer's one identity)."""
        self._transfers_due.add(user_id)

    async def _transfer(self, trader: Trader) -> None:
        """Record the deposits and withdrawals BingX lists that are not recorded yet (each
        once). Due when the stream said so, or ``transfers_every`` after the last read."""
        now = self.clock()
        checked = self._transfers_checked.get(trader.user_id)
        stale = checked is None or now - checked >= self.transfers_every
        if not stale and trader.user_id not in self._transfers_due:
            return
        since = (checked or now) - TRANSFERS_LOOK_BACK
        try:
            moved = await trader.exchange.transfers(int(since.timestamp() * 1000))
        except OutcomeUnknown:
            return  # due still: the next reconcile asks again
        for transfer in moved:
            if not trader.account.transferred(transfer.transfer_id):
                trader.account.record(transfer)
        self._transfers_checked[trader.user_id] = now
        self._transfers_due.discard(trader.user_id)

    async def prepare(self, trader: Trader) -> None:
        """Set leverage and position mode for every symbol of the user's settings now, so
        the first order of a signal does not wait for it (retried before an order if this
        fails)."""
        try:
            async for attempt in attempts_of(
                _NotConfigured,  # BingX busy: try again
                attempts=PREPARE_ATTEMPTS,
                first_pause_s=PREPARE_PAUSE_S,
                jitter_s=PREPARE_JITTER_S,
            ):
                with attempt:
                    await self._configure_all(trader)
        except _NotConfigured:
            get_logger().warning("exchange not configured yet", user=trader.user_id)

    async def _configure_all(self, trader: Trader) -> None:
        async with trader.lock:
            done = [await self._configured(trader, s) for s in trader.view.settings.symbols]
            await trader.save()
        if not all(done):
            raise _NotConfigured

    async def flatten(self, trader: Trader, request_id: str, symbol: str | None = None) -> int:
        """Close every open trade of the user, or those in ``symbol`` (idempotent per
        request); the exit path every close takes (reduce-only market orders). Returns how
        many closing orders this call carried out."""
        async with trader.lock:
            trades = [
                trade
                for trade in trader.account.trades.values()
                if symbol is None or trade.symbol == symbol
            ]
            intents = [_flatten_intent(request_id, trader, trade) for trade in trades]
            fresh = [i for i in intents if trader.account.intend(i)]
            if not fresh:
                return 0
            await trader.save(causation_id=EventId(request_id))
            for intent in fresh:
                await self._carry_out(trader, intent, {})
            return len(fresh)

    async def resolve_open(self, trader: Trader) -> int:
        """Settle every intent without an outcome; returns how many stay open."""
        async with trader.lock:
            for intent in trader.account.open_intents:
                outcome = await self._resolve_one(trader, intent)
                self._settle(trader, intent, outcome)
            await self._poll(trader)  # takeover: what filled while nobody listened
            await trader.save()
            await self._cover_stops(trader)
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
            count_unexpected("executor.resolve_intent")
            get_logger().exception("open intent not resolved; tried again", user=trader.user_id)
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
                await self._poll(trader)  # Fleet's fills first: they explain positions
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
            await self._fund(trader)
            await self._transfer(trader)
            await trader.save()
            await self._cover_stops(trader)

    async def _cover_stops(self, trader: Trader) -> None:
        """Place the stop-loss of every trade whose entry ended short (once per trade and
        size, through the risk gate), then cancel the stops it replaces. A trade whose stop
        was refused as already passed, or whose exit ended short, is closed at market
        (once per trade and size)."""
        leverage = trader.view.settings.leverage
        for trade in uncovered(trader.account):
            instrument = await self._instrument(trader, trade)
            if instrument is None:
                continue
            intent = stop_intent(trade, trader.user_id, leverage, instrument)
            if not trader.account.intend(intent):
                continue  # placed or refused before: its outcome is in the log
            await trader.save()
            await self._carry_out(trader, intent, {})
            if trader.account.trades.get((trade.symbol, trade.direction), trade).stop_uncovered:
                continue  # refused: the rejection says why
            await self._cancel_other_stops(trader, intent)
        for trade, leg in to_close(trader.account):
            instrument = await self._instrument(trader, trade)
            if instrument is None:
                continue
            intent = closing_exit(trade, leg, trader.user_id, leverage, instrument)
            if trader.account.intend(intent):
                await trader.save()
                await self._carry_out(trader, intent, {})

    async def _instrument(self, trader: Trader, trade: OpenTrade) -> Instrument | None:
        try:
            return await self.contracts.rules(trade.symbol)
        except UnknownSymbol as exc:
            get_logger().warning("stop not placed", user=trader.user_id, error=str(exc))
            return None

    async def _cancel_other_stops(self, trader: Trader, kept: OrderIntended) -> None:
        """The stop-losses on the position's side other than ``kept`` (the one attached to
        the entry, for the size it asked for) are cancelled; one that cannot be is left
        (reduce-only: it can close the position, never open one) and logged."""
        try:
            for stop in await trader.exchange.stops(kept.symbol):
                same_side = (stop.side, stop.position_side) == (kept.side, kept.position_side)
                if same_side and stop.client_order_id != kept.client_order_id:
                    await trader.exchange.cancel(kept.symbol, stop.exchange_order_id)
        except OutcomeUnknown as exc:
            get_logger().warning("old stop not cancelled", user=trader.user_id, error=str(exc))


def _last_funding_time(now: datetime) -> datetime:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day + FUNDING_EVERY * ((now - day) // FUNDING_EVERY)


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


class _NotConfigured(ExecutorError):
    """A symbol's leverage or position mode is not set yet: :meth:`Execution.prepare`
    asks again."""

    error_code = "exchange_not_configured_yet"
