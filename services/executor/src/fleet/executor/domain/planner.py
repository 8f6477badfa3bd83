"""For one (signal, user): what to do and why, as events. Pure.

The order of the checks is the product's: a stale signal never trades; then THE rule
(:func:`fleet.risk.rule.action_for`, the very function ``fleet backtest`` calls) says
enter, exit or hold; an entry is sized and limited by the risk engine
(:func:`fleet.risk.decide_entry`); every order then passes the risk gate
(:mod:`fleet.executor.domain.risk_gate`) — an exit is never blocked by entry limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from fleet.billing import plan_refusal
from fleet.events.directory import UserView
from fleet.events.signals import SignalGenerated

# re-exported while execution.py (owned elsewhere in this change) imports it from here
from fleet.events.timeframes import candle_length
from fleet.events.trading import OrderIntended, SignalEvaluated
from fleet.executor.domain.account import OpenTrade, TradingAccount
from fleet.executor.domain.ids import client_order_id
from fleet.executor.domain.risk_gate import Caps, GateView, Holding, caps_for, check, state_of
from fleet.risk import AccountView, Entry, Instrument, SignalView, Skip, action_for, decide_entry
from fleet.risk.engine import loss_limits

Decision = Literal["entry", "exit", "skip"]
# No platform cap unless configured (the executor's settings give the real defaults).
NO_CAPS = Caps(Decimal("1e12"), Decimal("1e12"), 125)


@dataclass(frozen=True)
class SignalTurn:
    """A signal when its turn comes for one user."""

    signal_id: str
    signal: SignalGenerated
    published_at: datetime
    now: datetime
    max_age: timedelta | None = None  # None: one candle of the signal's timeframe

    @property
    def age(self) -> timedelta:
        return self.now - self.published_at

    @property
    def stale(self) -> bool:
        return self.age > (self.max_age or candle_length(self.signal.timeframe))


@dataclass(frozen=True)
class Plan:
    """The decision event (carrying the orders it intends) and whether the bot must pause
    itself (drawdown stop)."""

    evaluation: SignalEvaluated
    pause_reason: str | None = None

    @property
    def intents(self) -> tuple[OrderIntended, ...]:
        return self.evaluation.intents


def plan(
    turn: SignalTurn,
    user: UserView,
    account: TradingAccount,
    rules: Instrument,
    caps: Caps = NO_CAPS,
) -> Plan:
    """Decide for one user; every outcome, order or not, is explained."""
    signal = turn.signal
    if turn.stale:
        limit = turn.max_age or candle_length(signal.timeframe)
        return _skip(
            turn,
            "stale",
            f"skipped: the signal is {turn.age.total_seconds():.0f} s old when its turn "
            f"came (limit {limit.total_seconds():.0f} s)",
            {"age_s": f"{turn.age.total_seconds():.3f}"},
        )
    held = account.held(signal.symbol)
    settings = user.settings
    ruled = action_for(
        signal.cross,
        signal.adx,
        signal.confidence,
        settings.adx_threshold,
        settings.min_confidence,
        held.direction if held is not None else None,
        symbol=signal.symbol,
    )
    if ruled.action == "none":
        return _skip(turn, ruled.code, ruled.reason, ruled.numbers)
    if ruled.action == "exit" and held is not None:
        intent = _exit_intent(turn, user, held, rules)
        numbers = {"quantity": str(intent.quantity), "entry_price": str(held.entry_price)}
        planned = Plan(_evaluation(turn, "exit", ruled.code, ruled.reason, numbers, (intent,)))
    else:
        planned = _for_flat(turn, user, account, rules, ruled.action)
    prices = {signal.symbol: signal.close}
    return _gated(
        turn, planned, gate_view(user, account, {signal.symbol: rules}, caps, turn.now, prices)
    )


def _gated(turn: SignalTurn, planned: Plan, view: GateView) -> Plan:
    """Every intended order through the risk gate; a refusal turns the plan into a skip."""
    for intent in planned.intents:
        refusal = check(intent, view, turn.signal.close)
        if refusal is not None:
            numbers = {**planned.evaluation.numbers, **refusal.numbers}
            return Plan(_evaluation(turn, "skip", refusal.code, refusal.reason, numbers))
    return planned


def gate_view(
    user: UserView,
    account: TradingAccount,
    instruments: Mapping[str, Instrument],
    platform: Caps,
    now: datetime,
    prices: Mapping[str, Decimal],
) -> GateView:
    """The trader as the risk gate sees him: state, caps, holdings (valued at ``prices``,
    at their entry price where no price is known)."""
    view = account_view(user, account, now)
    limit = loss_limits(None, user.settings, view)
    state, why = state_of(
        user_active=user.active,
        credential_verified=user.credential == "verified",
        bot=user.bot,
        trading_enabled=user.settings.trading_enabled,
        limit_reached=limit.reason.removeprefix("skipped: ") if limit is not None else None,
        platform_halt=platform.halt,
    )
    holdings = tuple(
        Holding(
            t.symbol,
            t.position_side,
            t.direction,
            t.quantity,
            prices.get(t.symbol, t.entry_price),
        )
        for t in account.trades.values()
    )
    caps = caps_for(platform, view.equity, user.settings.leverage)
    return GateView(state, why, caps, holdings, instruments)


def _plan_skip(user: UserView, symbol: str, open_positions: int) -> Skip | None:
    """The trader's plan (:mod:`fleet.billing.plans`), checked before the risk engine: a
    plan changed after the settings were saved is in force at the next entry."""
    plan = user.plan
    if plan is None:
        return None
    if plan.demo_only and user.environment == "live":
        return Skip("plan", f"skipped: the {plan.name!r} plan trades demo accounts only", {})
    refused = plan_refusal(
        plan,
        symbols=(symbol,),
        leverage=user.settings.leverage,
        risk_per_trade=user.settings.risk_per_trade,
    )
    cap = plan.max_open_positions
    if refused is None and cap is not None and open_positions >= cap:
        refused = (
            "max_positions",
            f"the {plan.name!r} plan allows at most {cap} open positions",
        )
    if refused is None:
        return None
    return Skip("plan", f"skipped: {refused[1].split(': ', 1)[-1]}", {"limit": refused[0]})


def _for_flat(
    turn: SignalTurn,
    user: UserView,
    account: TradingAccount,
    rules: Instrument,
    direction: str,
) -> Plan:
    signal = turn.signal
    view = account_view(user, account, turn.now)
    decision = _plan_skip(user, signal.symbol, len(view.open_symbols)) or decide_entry(
        _signal_view(signal, direction), user.settings, view, rules
    )
    if isinstance(decision, Skip):
        pause = decision.reason if decision.pause_bot else None
        evaluation = _evaluation(turn, "skip", decision.code, decision.reason, decision.numbers)
        return Plan(evaluation, pause)
    intent = _entry_intent(turn, user, decision)
    numbers = {
        "quantity": str(decision.quantity),
        "stop_price": str(decision.stop_price),
        "risk_amount": f"{decision.risk_amount:.8f}",
        "equity": str(view.equity),
    }
    return Plan(_evaluation(turn, "entry", "accepted", decision.reason, numbers, (intent,)))


def account_view(user: UserView, account: TradingAccount, now: datetime) -> AccountView:
    """The risk engine's view of the account: the last valuation (the bot's initial
    balance before any), the UTC day's starting equity and the peak."""
    value = account.valuation
    equity = value.equity if value.equity > 0 else user.initial_balance
    today = value.day == now.date()
    day_start = value.day_start if today and value.day_start > 0 else equity
    return AccountView(
        equity=equity,
        day_start_equity=day_start,
        equity_peak=max(value.peak, equity),
        pnl_today=equity - day_start,
        open_symbols=account.open_symbols,
        bot_running=user.bot == "active",
        credential_verified=user.credential == "verified",
    )


def _signal_view(signal: SignalGenerated, direction: str) -> SignalView:
    return SignalView(
        symbol=signal.symbol,
        timeframe=signal.timeframe,
        direction=direction,  # type: ignore[arg-type]
        close=signal.close,
        stop_distance=signal.stop_distance,
        adx=Decimal(str(signal.adx)),
        confidence=Decimal(str(signal.confidence)),
    )


def _entry_intent(turn: SignalTurn, user: UserView, entry: Entry) -> OrderIntended:
    hedge = user.settings.position_mode == "hedge"
    return OrderIntended(
        client_order_id=client_order_id(turn.signal_id, user.user_id, "entry"),
        signal_id=turn.signal_id,
        leg="entry",
        symbol=entry.symbol,
        side="BUY" if entry.direction == "long" else "SELL",
        position_side=("LONG" if entry.direction == "long" else "SHORT") if hedge else "BOTH",
        order_type="MARKET",
        quantity=entry.quantity,
        leverage=entry.leverage,
        stop_loss=entry.stop_price,
    )


def _exit_intent(
    turn: SignalTurn, user: UserView, held: OpenTrade, rules: Instrument
) -> OrderIntended:
    return OrderIntended(
        client_order_id=client_order_id(turn.signal_id, user.user_id, "exit"),
        signal_id=turn.signal_id,
        leg="exit",
        symbol=held.symbol,
        side="SELL" if held.direction == "long" else "BUY",
        position_side=held.position_side,
        order_type="MARKET",
        quantity=rules.quantity(held.quantity),
        leverage=user.settings.leverage,
        reduce_only=held.position_side == "BOTH",
    )


def _evaluation(
    turn: SignalTurn,
    decision: Decision,
    code: str,
    reason: str,
    numbers: dict[str, str],
    intents: tuple[OrderIntended, ...] = (),
) -> SignalEvaluated:
    signal = turn.signal
    return SignalEvaluated(
        signal_id=turn.signal_id,
        symbol=signal.symbol,
        decision=decision,
        code=code,
        reason=reason,
        numbers={
            **numbers,
            "adx": f"{signal.adx:.4f}",
            "confidence": f"{signal.confidence:.4f}",
            "close": str(signal.close),
            "age_s": f"{turn.age.total_seconds():.3f}",
        },
        intents=intents,
    )


def _skip(turn: SignalTurn, code: str, reason: str, numbers: dict[str, str]) -> Plan:
    return Plan(_evaluation(turn, "skip", code, reason, numbers))


def unknown_symbol(turn: SignalTurn, message: str) -> Plan:
    """The signal's symbol is not a contract BingX trades by API: a skip that says so."""
    return _skip(turn, "unknown_symbol", f"skipped: {message}", {})
