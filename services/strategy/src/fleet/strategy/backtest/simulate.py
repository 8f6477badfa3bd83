"""Walking candles through the live code: indicators, the rule (:func:`fleet.risk.action_for`,
the very function the live executor's planner calls), the risk engine and the instrument's
rounding (:class:`fleet.risk.Instrument`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, NamedTuple

import polars as pl

from fleet.events.users import TradingSettings
from fleet.risk import AccountView, Entry, Instrument, SignalView, decide_entry
from fleet.strategy.domain.incremental import DmiState, DmiValues, update
from fleet.strategy.domain.rule import SignalValues, decide, signal_values

TAKER_FEE = Decimal("0.0005")
# BTC-USDT-like defaults; give the contract's own (tick, step, minimums) to match BingX.
RULES = Instrument(Decimal("0.0001"), Decimal("0.0001"), Decimal(2), 125, Decimal("0.1"))


@dataclass(frozen=True)
class BacktestSettings:
    period: int = 14
    adx_threshold: float = 25.0
    min_confidence: float = 60.0
    risk_per_trade: Decimal = Decimal(2)
    leverage: int = 5
    equity: Decimal = Decimal(10000)
    timeframe: str = "5m"
    symbol: str = "BTC-USDT"
    instrument: Instrument = RULES


@dataclass
class Position:
    direction: Literal["long", "short"]
    entry: Decimal
    quantity: Decimal
    stop: Decimal


@dataclass
class Ledger:
    equity: Decimal
    peak: Decimal
    max_drawdown_pct: float = 0.0
    trades: list[Decimal] = field(default_factory=list)
    position: Position | None = None
    # what was carried out, in order: (candle open ms, "long" | "short" | "exit" | "stop")
    actions: list[tuple[int, str]] = field(default_factory=list)

    def close(self, price: Decimal) -> None:
        assert self.position is not None
        sign = 1 if self.position.direction == "long" else -1
        pnl = (price - self.position.entry) * self.position.quantity * sign
        pnl -= (price + self.position.entry) * self.position.quantity * TAKER_FEE
        self.equity += pnl
        self.trades.append(pnl)
        self.position = None
        self.peak = max(self.peak, self.equity)
        drawdown = float((self.peak - self.equity) / self.peak * 100) if self.peak else 0.0
        self.max_drawdown_pct = max(self.max_drawdown_pct, drawdown)


def _user(settings: BacktestSettings) -> TradingSettings:
    return TradingSettings(
        trading_enabled=True,
        risk_per_trade=settings.risk_per_trade,
        leverage=settings.leverage,
        timeframe=settings.timeframe,
        symbols=(settings.symbol,),
        max_positions=1,
        adx_threshold=Decimal(str(settings.adx_threshold)),
        min_confidence=Decimal(str(settings.min_confidence)),
        daily_loss_limit=Decimal(50),
        max_drawdown=Decimal(90),
    )


def _enter(
    ledger: Ledger, values: SignalValues, action: str, settings: BacktestSettings, open_ms: int
) -> None:
    view = SignalView(
        settings.symbol,
        settings.timeframe,
        action,  # type: ignore[arg-type]
        Decimal(str(values.close)),
        Decimal(str(values.stop_distance)),
        Decimal(str(values.adx)),
        Decimal(str(values.confidence)),
    )
    account = AccountView(ledger.equity, ledger.equity, ledger.peak, Decimal(0))
    decision = decide_entry(view, _user(settings), account, settings.instrument)
    if isinstance(decision, Entry):
        ledger.position = Position(
            decision.direction, view.close, decision.quantity, decision.stop_price
        )
        ledger.actions.append((open_ms, decision.direction))


def _stopped(ledger: Ledger, high: float, low: float) -> bool:
    position = ledger.position
    if position is None:
        return False
    if position.direction == "long" and Decimal(str(low)) <= position.stop:
        return True
    return position.direction == "short" and Decimal(str(high)) >= position.stop


def run(
    candles: pl.DataFrame, settings: BacktestSettings, progress: Callable[[int], None] | None = None
) -> tuple[pl.DataFrame, Ledger]:
    """Rows per candle (indicators, cross, direction, confidence, signal) and the ledger."""
    ledger = Ledger(settings.equity, settings.equity)
    state, previous = DmiState(period=settings.period), None
    rows: list[dict[str, object]] = []
    for index, (open_ms, high, low, close) in enumerate(
        candles.select("open_time_ms", "high", "low", "close").iter_rows()
    ):
        state, current = update(state, high, low, close)
        rows.append(_step(ledger, settings, Candle(open_ms, high, low, close), previous, current))
        previous = current
        if progress is not None and index % 1000 == 0:
            progress(index)
    return pl.DataFrame(rows), ledger


class Candle(NamedTuple):
    open_ms: int
    high: float
    low: float
    close: float


def _step(
    ledger: Ledger,
    settings: BacktestSettings,
    candle: Candle,
    previous: DmiValues | None,
    current: DmiValues,
) -> dict[str, object]:
    open_ms, high, low, close = candle
    row: dict[str, object] = {
        "open_time_ms": open_ms,
        "close": close,
        "atr": current.atr,
        "plus_di": current.plus_di,
        "minus_di": current.minus_di,
        "adx": current.adx,
        "cross": "",
        "direction": "",
        "confidence": None,
        "signal": "",
    }
    if _stopped(ledger, high, low):
        assert ledger.position is not None
        ledger.close(ledger.position.stop)
        ledger.actions.append((open_ms, "stop"))
    values = signal_values(close, previous, current)
    if values is None:
        return row
    held = ledger.position.direction if ledger.position else None
    action = decide(values, settings.adx_threshold, settings.min_confidence, held)
    row |= {
        "cross": values.cross,
        "direction": values.direction,
        "confidence": values.confidence,
        "signal": "" if action == "none" else action,
    }
    if action == "exit":
        ledger.close(Decimal(str(close)))
        ledger.actions.append((open_ms, "exit"))
    elif action in ("long", "short"):
        _enter(ledger, values, action, settings, open_ms)
    return row
