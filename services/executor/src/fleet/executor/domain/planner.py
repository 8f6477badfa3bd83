"""For one (signal, user): what to do and why, as events. Pure.

The order of the checks is the product's: a stale signal never trades; an opposite cross
exits a held position whatever the entry limits say; an entry passes the shared rule and
the risk engine (:mod:`fleet.risk`), the single gate every new order goes through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from fleet.events.signals import SignalGenerated
from fleet.events.trading import OrderIntended, SignalEvaluated
from fleet.executor.domain.account import OpenTrade, TradingAccount
from fleet.executor.domain.directory import UserView
from fleet.executor.domain.ids import client_order_id
from fleet.risk import AccountView, Entry, SignalView, Skip, SymbolRules, decide_entry
from fleet.risk.rule import entry_direction

Decision = Literal["entry", "exit", "skip"]
TIMEFRAME_SECONDS = {
    "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200,
    "4h": 14400, "6h": 21600, "12h": 43200, "1d": 86400,
}  # fmt: skip


def candle_length(timeframe: str) -> timedelta:
    """How long one candle of ``timeframe`` lasts (the default maximum signal age)."""
    return timedelta(seconds=TIMEFRAME_SECONDS.get(timeframe, 300))


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


def plan(turn: SignalTurn, user: UserView, account: TradingAccount, rules: SymbolRules) -> Plan:
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
    if held is not None:
        return _for_held(turn, user, held)
    return _for_flat(turn, user, account, rules)


def _for_held(turn: SignalTurn, user: UserView, held: OpenTrade) -> Plan:
    signal = turn.signal
    opposite = "down" if held.direction == "long" else "up"
    if signal.cross != opposite:
        return _skip(
            turn, "holding", f"no order: holding a {held.direction} {signal.symbol} position", {}
        )
    intent = _exit_intent(turn, user, held)
    reason = f"exit: {signal.cross} cross against your {held.direction} {signal.symbol}"
    numbers = {"quantity": str(held.quantity), "entry_price": str(held.entry_price)}
    return Plan(_evaluation(turn, "exit", "opposite_cross", reason, numbers, (intent,)))


def _for_flat(
    turn: SignalTurn, user: UserView, account: TradingAccount, rules: SymbolRules
) -> Plan:
    signal = turn.signal
    direction = entry_direction(signal.cross)
    if direction is None:
        return _skip(turn, "no_cross", "no order: no DI cross on this candle", {})
    view = account_view(user, account, turn.now)
    decision = decide_entry(_signal_view(signal, direction), user.settings, view, rules)
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


def _exit_intent(turn: SignalTurn, user: UserView, held: OpenTrade) -> OrderIntended:
    return OrderIntended(
        client_order_id=client_order_id(turn.signal_id, user.user_id, "exit"),
        signal_id=turn.signal_id,
        leg="exit",
        symbol=held.symbol,
        side="SELL" if held.direction == "long" else "BUY",
        position_side=held.position_side,
        order_type="MARKET",
        quantity=held.quantity,
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
