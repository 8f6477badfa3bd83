"""Reads of the equity history and the statistics built on it (the arithmetic is in
``equity.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from fleet.gateway.read_models.live import live
from fleet.gateway.read_models.trading import tables as p
from fleet.gateway.read_models.trading.equity import (
    DAILY,
    EquityPoint,
    bucket_start,
    by_age,
    daily_pnl,
    drawdowns_pct,
    equity_at,
    max_drawdown_pct,
    return_pct,
)
from fleet.gateway.schemas.charts import DailyPnlOut, EquityOut, EquityPointOut

equity_history = live(p.equity_history, "trading")
funding = live(p.funding, "trading")
ZERO = Decimal(0)


def stored_points(connection: Connection, user_id: str) -> list[tuple[str, EquityPoint]]:
    """Every stored row of the user's history as (resolution, point)."""
    h = equity_history.c
    rows = connection.execute(
        select(h.resolution, h.bucket, h.equity, h.opening).where(h.user_id == user_id)
    )
    return [(res, EquityPoint(at, equity, opening)) for res, at, equity, opening in rows]


def equity_of(connection: Connection, user_id: str, now: datetime | None = None) -> EquityOut:
    """The user's equity curve with drawdown per point, and daily PnL bars."""
    stored = stored_points(connection, user_id)
    points = by_age(stored, now or datetime.now(UTC))
    days = sorted((pt for res, pt in stored if res == DAILY.name), key=lambda pt: pt.at)
    return EquityOut(
        points=[
            EquityPointOut(at=pt.at, equity=pt.equity, drawdown_pct=dd)
            for pt, dd in zip(points, drawdowns_pct(points), strict=True)
        ],
        daily_pnl=[DailyPnlOut(day=at.date(), pnl=pnl) for at, pnl in daily_pnl(days)],
        max_drawdown_pct=max_drawdown_pct(points),
    )


def funding_of(connection: Connection, user_id: str) -> Decimal:
    """Net funding fees of the user (negative: paid)."""
    query = select(funding.c.amount).where(funding.c.user_id == user_id)
    return connection.execute(query).scalar() or ZERO


@dataclass(frozen=True)
class EquityFigures:
    """The statistics drawn from the equity history."""

    return_today_pct: Decimal | None
    return_all_time_pct: Decimal | None
    max_drawdown_pct: Decimal


def equity_figures(
    connection: Connection, user_id: str, now: datetime, day_start: datetime | None = None
) -> EquityFigures:
    """Returns today (from ``day_start``: the trader's local midnight, 00:00 UTC by
    default, as "PnL today") and all time, and the max drawdown, in %."""
    stored = stored_points(connection, user_id)
    days = sorted((pt for res, pt in stored if res == DAILY.name), key=lambda pt: pt.at)
    if not days:
        return EquityFigures(None, None, ZERO)
    latest = days[-1].equity
    at_midnight = equity_at(stored, day_start or bucket_start(now, DAILY))
    return EquityFigures(
        return_today_pct=return_pct(latest, at_midnight),
        return_all_time_pct=return_pct(latest, days[0].opening),
        max_drawdown_pct=max_drawdown_pct(by_age(stored, now)),
    )
