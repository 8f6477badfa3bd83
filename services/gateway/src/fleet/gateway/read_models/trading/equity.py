"""The equity history's arithmetic, pure: buckets by age, drawdown, daily PnL, returns and
the trade statistics (no I/O; the projection and the queries call these)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
PCT = Decimal("0.01")


@dataclass(frozen=True)
class Resolution:
    """One resolution of the history: points ``step`` apart, kept for ``keep`` (None: ever)."""

    name: str
    step: timedelta
    keep: timedelta | None


FIVE_MINUTES = Resolution("5m", timedelta(minutes=5), timedelta(days=2))
HOURLY = Resolution("1h", timedelta(hours=1), timedelta(days=60))
DAILY = Resolution("1d", timedelta(days=1), None)
# finest first: a point is drawn from the finest resolution that still covers its age
RESOLUTIONS: tuple[Resolution, ...] = (FIVE_MINUTES, HOURLY, DAILY)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def bucket_start(moment: datetime, resolution: Resolution) -> datetime:
    """The start of the bucket of ``resolution`` that ``moment`` falls in (UTC)."""
    elapsed = moment.astimezone(UTC) - _EPOCH
    return _EPOCH + (elapsed // resolution.step) * resolution.step


@dataclass(frozen=True)
class EquityPoint:
    """The last equity of one bucket (``opening``: the first one seen in it)."""

    at: datetime
    equity: Decimal
    opening: Decimal | None = None


def by_age(rows: Sequence[tuple[str, EquityPoint]], now: datetime) -> list[EquityPoint]:
    """The curve: 5-min points for the last 2 days, hourly for 60 days, daily beyond;
    ``rows`` are (resolution name, point) as stored, in any order."""
    kept: list[EquityPoint] = []
    finer_from: datetime | None = None  # where the finer resolution's points begin
    for resolution in RESOLUTIONS:
        since = None if resolution.keep is None else now - resolution.keep
        kept += [
            point
            for name, point in rows
            if name == resolution.name
            and (finer_from is None or point.at < finer_from)
            and (since is None or point.at >= since)
        ]
        finer_from = since
    return sorted(kept, key=lambda point: point.at)


def equity_at(rows: Sequence[tuple[str, EquityPoint]], moment: datetime) -> Decimal | None:
    """The equity at ``moment`` (e.g. a trader's local midnight): the close of the latest
    stored bucket (any resolution) that ended by then; with none, the first value ever
    seen (an account first valued after ``moment``). None without any point."""
    steps = {resolution.name: resolution.step for resolution in RESOLUTIONS}
    ended = [
        (point.at + steps[name], point)
        for name, point in rows
        if name in steps and point.at + steps[name] <= moment
    ]
    if ended:
        return max(ended, key=lambda pair: pair[0])[1].equity
    first = min((point for _, point in rows), key=lambda point: point.at, default=None)
    return None if first is None else (first.opening or first.equity)


def drawdowns_pct(points: Sequence[EquityPoint]) -> list[Decimal]:
    """Per point, how far (in %, ≤ 0) its equity is below the highest equity before it."""
    peak: Decimal | None = None
    out = []
    for point in points:
        peak = point.equity if peak is None else max(peak, point.equity)
        out.append(_pct(point.equity - peak, peak) if peak > 0 else ZERO)
    return out


def max_drawdown_pct(points: Sequence[EquityPoint]) -> Decimal:
    """The deepest drawdown from a peak, in % (≤ 0; 0 when never below a peak)."""
    return min(drawdowns_pct(points), default=ZERO)


def daily_pnl(days: Sequence[EquityPoint]) -> list[tuple[datetime, Decimal]]:
    """Each day's change of equity: its close less the day before's close (the first day:
    less its own opening value). ``days`` are daily points, oldest first."""
    out = []
    previous: Decimal | None = None
    for day in days:
        start = previous if previous is not None else (day.opening or day.equity)
        out.append((day.at, day.equity - start))
        previous = day.equity
    return out


def return_pct(now: Decimal | None, then: Decimal | None) -> Decimal | None:
    """The change from ``then`` to ``now`` in % (None without a positive ``then``)."""
    if now is None or then is None or then <= 0:
        return None
    return _pct(now - then, then)


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * HUNDRED / whole).quantize(PCT)


@dataclass(frozen=True)
class TradeFigures:
    """Profit factor and average win / loss of closed trades' realised PnL."""

    profit_factor: Decimal | None  # None: no losing trade (a profit factor of infinity)
    average_win: Decimal | None
    average_loss: Decimal | None  # negative


def trade_figures(
    gross_profit: Decimal, gross_loss: Decimal, wins: int, losses: int
) -> TradeFigures:
    """From the sums of winning PnL (≥ 0) and of losing PnL (≤ 0) and their counts."""
    factor = (gross_profit / -gross_loss).quantize(PCT) if gross_loss < 0 else None
    return TradeFigures(
        profit_factor=factor,
        average_win=(gross_profit / wins).quantize(PCT) if wins else None,
        average_loss=(gross_loss / losses).quantize(PCT) if losses else None,
    )
