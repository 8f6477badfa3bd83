"""The risk engine: sizes and limits a new entry, for one (signal, user) at a time.

Pure and deterministic: live trading and ``fleet backtest`` call the same function, so a
backtest sizes and blocks exactly as live trading does. Every decision, accepted or not,
carries its reason and the numbers it used. Whether there is an entry at all (the cross,
ADX, confidence) is the rule's (:mod:`fleet.risk.rule`); the stop is put on the tick
first and the size computed from the rounded stop distance (:mod:`fleet.risk.instrument`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from fleet.events.users import TradingSettings
from fleet.risk.instrument import Instrument

Direction = Literal["long", "short"]
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class SignalView:
    """What the risk engine needs from a strategy signal."""

    symbol: str
    timeframe: str
    direction: Direction | None
    close: Decimal
    stop_distance: Decimal
    adx: Decimal
    confidence: Decimal  # 0..1


@dataclass(frozen=True)
class AccountView:
    """The user's account as the executor knows it when the signal's turn comes."""

    equity: Decimal
    day_start_equity: Decimal
    equity_peak: Decimal
    pnl_today: Decimal  # realised + unrealised since the UTC day started
    open_symbols: frozenset[str] = field(default_factory=frozenset)
    bot_running: bool = True
    credential_verified: bool = True


@dataclass(frozen=True)
class Entry:
    """Open a position: the order the engine accepted."""

    symbol: str
    direction: Direction
    quantity: Decimal
    leverage: int
    stop_price: Decimal
    risk_amount: Decimal
    reason: str


@dataclass(frozen=True)
class Skip:
    """No order: why, in words and in numbers."""

    code: str
    reason: str
    numbers: dict[str, str]
    pause_bot: bool = False


Decision = Entry | Skip


def decide_entry(
    signal: SignalView, settings: TradingSettings, account: AccountView, rules: Instrument
) -> Decision:
    """Accept (with size) or skip a new entry for one user. Exits never come here: an
    exit is never blocked by entry limits."""
    for check in (_filters, _account_gates, loss_limits):
        skip = check(signal, settings, account)
        if skip is not None:
            return skip
    return _size(signal, settings, account, rules)


def _filters(signal: SignalView, settings: TradingSettings, account: AccountView) -> Skip | None:
    if signal.direction is None:
        return Skip("no_direction", "skipped: the signal suggests no direction", {})
    if signal.timeframe != settings.timeframe:
        return Skip(
            "timeframe",
            f"skipped: timeframe {signal.timeframe} is not yours ({settings.timeframe})",
            {"timeframe": signal.timeframe},
        )
    if signal.symbol not in settings.symbols:
        return Skip("symbol", f"skipped: {signal.symbol} is not in your symbols", {})
    return None


def _account_gates(
    signal: SignalView, settings: TradingSettings, account: AccountView
) -> Skip | None:
    if not account.bot_running:
        return Skip("paused", "skipped: your bot is paused", {})
    if not account.credential_verified:
        return Skip("credential", "skipped: your BingX credential is not verified", {})
    if not settings.trading_enabled:
        return Skip("trading_disabled", "skipped: trading is disabled in your settings", {})
    if signal.symbol in account.open_symbols:
        return Skip("already_open", f"skipped: a {signal.symbol} position is already open", {})
    if len(account.open_symbols) >= settings.max_positions:
        return Skip(
            "max_positions",
            f"skipped: max open positions {settings.max_positions} reached",
            {"open": str(len(account.open_symbols))},
        )
    return None


def loss_limits(
    signal: SignalView | None, settings: TradingSettings, account: AccountView
) -> Skip | None:
    """The daily loss limit or the drawdown stop, when reached (the risk gate's
    ``reducing`` state uses the same test)."""
    del signal
    if account.day_start_equity > 0:
        loss_pct = -account.pnl_today / account.day_start_equity * HUNDRED
        if loss_pct >= settings.daily_loss_limit:
            return Skip(
                "daily_loss",
                f"skipped: daily loss limit {settings.daily_loss_limit} % "
                f"reached (-{loss_pct:.1f} %)",
                {"loss_pct": f"{loss_pct:.4f}"},
            )
    if account.equity_peak > 0:
        drawdown = (account.equity_peak - account.equity) / account.equity_peak * HUNDRED
        if drawdown >= settings.max_drawdown:
            return Skip(
                "max_drawdown",
                f"skipped: drawdown {drawdown:.1f} % reached your maximum "
                f"{settings.max_drawdown} %; the bot pauses",
                {"drawdown_pct": f"{drawdown:.4f}"},
                pause_bot=True,
            )
    return None


def _size(
    signal: SignalView, settings: TradingSettings, account: AccountView, rules: Instrument
) -> Decision:
    if signal.stop_distance <= 0 or signal.close <= 0 or account.equity <= 0:
        return Skip("no_size", "skipped: no stop distance, price or equity to size with", {})
    direction = signal.direction or "long"
    sign = Decimal(-1) if direction == "long" else Decimal(1)
    stop = rules.stop(direction, signal.close + sign * signal.stop_distance)
    distance = abs(signal.close - stop)
    if stop <= 0:
        return Skip(
            "no_size",
            f"skipped: the stop {signal.stop_distance} away from {signal.close} is no price",
            {"stop_distance": str(signal.stop_distance)},
        )
    leverage = min(settings.leverage, rules.max_leverage)
    risk_amount = account.equity * settings.risk_per_trade / HUNDRED
    by_risk = risk_amount / distance
    by_margin = account.equity * leverage / signal.close
    quantity = rules.quantity(min(by_risk, by_margin))
    numbers = {
        "quantity": str(quantity),
        "by_risk": f"{by_risk:.8f}",
        "by_margin": f"{by_margin:.8f}",
        "equity": str(account.equity),
        "stop_price": str(stop),
    }
    too_small = rules.below_minimum(quantity, signal.close)
    if too_small is not None:
        return Skip("below_minimum", f"skipped: {too_small}", numbers)
    return Entry(
        symbol=signal.symbol,
        direction=direction,
        quantity=quantity,
        leverage=leverage,
        stop_price=stop,
        risk_amount=quantity * distance,
        reason=f"accepted: {direction} {quantity} {signal.symbol}, risking "
        f"{quantity * distance:.2f} USDT ({settings.risk_per_trade} % of equity)",
    )
