"""Reads of the trading read model: positions, trades, sessions, stats, decisions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, select, union_all

from fleet.gateway.read_models.live import live
from fleet.gateway.read_models.telemetry import projection as telemetry
from fleet.gateway.read_models.trading import equity_reads
from fleet.gateway.read_models.trading import tables as p
from fleet.gateway.read_models.trading.equity import trade_figures
from fleet.gateway.schemas.base import Page
from fleet.gateway.schemas.trading import (
    AccountOut,
    DecisionOut,
    OrderOut,
    PositionOut,
    SessionOut,
    StatsOut,
    TradeOut,
)

trades = live(p.trades, "trading")
sessions = live(p.sessions, "trading")
accounts = live(p.accounts, "trading")
# the decision feed: decisions in the log (trading) and routine skips (telemetry), as one
decisions = union_all(
    select(live(p.decisions, "trading")), select(live(telemetry.decisions, "telemetry"))
).subquery("decisions")
orders = live(p.orders, "trading")
_ORDER_FIELDS = tuple(OrderOut.model_fields)
LIVE_ORDER = ("intended", "pending", "partially_filled")
ZERO = Decimal(0)
# the position's own columns (its valuation at the market is added by the API)
STORED_POSITION_FIELDS = tuple(name for name in PositionOut.model_fields if name in p.trades.c)
_POSITION_FIELDS = STORED_POSITION_FIELDS
_TRADE_FIELDS = tuple(TradeOut.model_fields)
_SESSION_FIELDS = tuple(SessionOut.model_fields)
_ACCOUNT_FIELDS = tuple(AccountOut.model_fields)


@dataclass(frozen=True)
class TradeFilter:
    """Which closed trades a page shows."""

    symbol: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def start_of_day(now: datetime | None = None, zone: tzinfo | None = None) -> datetime:
    """00:00 today in ``zone`` (UTC by default): where "PnL today" begins."""
    where = zone or UTC
    moment = (now or datetime.now(UTC)).astimezone(where)
    return datetime.combine(moment.date(), time(0), tzinfo=where).astimezone(UTC)


def _pick(row: Mapping[Any, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: row[name] for name in fields if name in row}


def positions_of(connection: Connection, user_id: str) -> list[PositionOut]:
    """Open positions, oldest first."""
    query = (
        select(trades)
        .where(trades.c.user_id == user_id, trades.c.status == "open")
        .order_by(trades.c.opened_at)
    )
    rows = connection.execute(query).mappings()
    return [PositionOut(**_pick(row, _POSITION_FIELDS)) for row in rows]


def pending_orders_of(connection: Connection, user_id: str) -> list[OrderOut]:
    """Orders sent or about to be, not filled completely yet (pending: accepted, nothing
    filled), oldest first."""
    query = (
        select(orders)
        .where(orders.c.user_id == user_id, orders.c.status.in_(LIVE_ORDER))
        .order_by(orders.c.updated_at)
    )
    rows = connection.execute(query).mappings()
    return [OrderOut(**_pick(row, _ORDER_FIELDS)) for row in rows]


def trades_page(
    connection: Connection, user_id: str, where: TradeFilter, limit: int, offset: int
) -> Page[TradeOut]:
    """Closed trades, newest first, by symbol and close time."""
    conditions: list[Any] = [trades.c.user_id == user_id, trades.c.status == "closed"]
    if where.symbol:
        conditions.append(trades.c.symbol == where.symbol)
    if where.since:
        conditions.append(trades.c.closed_at >= where.since)
    if where.until:
        conditions.append(trades.c.closed_at < where.until)
    condition = and_(*conditions)
    total = connection.execute(
        select(func.count()).select_from(trades).where(condition)
    ).scalar_one()
    rows = connection.execute(
        select(trades)
        .where(condition)
        .order_by(trades.c.closed_at.desc(), trades.c.trade_id)
        .limit(limit)
        .offset(offset)
    ).mappings()
    items = [trade_from(row) for row in rows]
    return Page[TradeOut](items=items, total=total, limit=limit, offset=offset)


def sessions_page(
    connection: Connection, user_id: str, limit: int, offset: int
) -> Page[SessionOut]:
    """Trading sessions, newest first."""
    condition = sessions.c.user_id == user_id
    total = connection.execute(
        select(func.count()).select_from(sessions).where(condition)
    ).scalar_one()
    rows = connection.execute(
        select(sessions)
        .where(condition)
        .order_by(sessions.c.started_at.desc())
        .limit(limit)
        .offset(offset)
    ).mappings()
    items = [session_from(row) for row in rows]
    return Page[SessionOut](items=items, total=total, limit=limit, offset=offset)


def session_of(connection: Connection, user_id: str, session_id: str) -> SessionOut | None:
    """One of the user's sessions (``None`` if it is not his)."""
    query = select(sessions).where(
        sessions.c.user_id == user_id, sessions.c.session_id == session_id
    )
    row = connection.execute(query).mappings().first()
    return SessionOut(**_pick(row, _SESSION_FIELDS)) if row else None


def current_session(connection: Connection, user_id: str) -> SessionOut | None:
    """The session that has not stopped, if any."""
    query = (
        select(sessions)
        .where(sessions.c.user_id == user_id, sessions.c.status != "stopped")
        .order_by(sessions.c.started_at.desc())
        .limit(1)
    )
    row = connection.execute(query).mappings().first()
    return SessionOut(**_pick(row, _SESSION_FIELDS)) if row else None


def owns_session(connection: Connection, user_id: str, session_id: str) -> bool:
    query = select(sessions.c.session_id).where(
        sessions.c.user_id == user_id, sessions.c.session_id == session_id
    )
    return connection.execute(query).first() is not None


def stats_of(connection: Connection, user_id: str, zone: tzinfo | None = None) -> StatsOut:
    """Trades, wins, losses, win rate, PnL and returns today and all time, drawdown,
    profit factor, average win / loss, fees and funding, open positions; "today" from
    00:00 in ``zone`` (UTC by default)."""
    closed = trades.c.status == "closed"
    pnl = func.coalesce(trades.c.realised_pnl, 0)
    midnight = start_of_day(zone=zone)
    today = and_(closed, trades.c.closed_at >= midnight)
    query = select(
        func.count().filter(closed),
        func.count().filter(closed, trades.c.realised_pnl > 0),
        func.count().filter(closed, trades.c.realised_pnl < 0),
        func.coalesce(func.sum(case((closed, pnl), else_=0)), 0),
        func.coalesce(func.sum(case((today, pnl), else_=0)), 0),
        func.count().filter(trades.c.status == "open"),
        func.count().filter(today),
        func.coalesce(func.sum(case((trades.c.realised_pnl > 0, pnl), else_=0)), 0),
        func.coalesce(func.sum(case((trades.c.realised_pnl < 0, pnl), else_=0)), 0),
        func.coalesce(func.sum(trades.c.fees), 0),
    ).where(trades.c.user_id == user_id)
    count, wins, losses, total, pnl_today, open_count, count_today, profit, loss, fees = (
        connection.execute(query).one()
    )
    rate = (Decimal(wins) * 100 / Decimal(count)).quantize(Decimal("0.01")) if count else ZERO
    figures = trade_figures(Decimal(profit), Decimal(loss), wins, losses)
    curve = equity_reads.equity_figures(connection, user_id, datetime.now(UTC), midnight)
    return StatsOut(
        trades=count,
        wins=wins,
        losses=losses,
        win_rate=rate,
        pnl_today=Decimal(pnl_today),
        pnl_all_time=Decimal(total),
        open_positions=open_count,
        trades_today=count_today,
        zone=str(zone) if zone is not None else "UTC",
        return_today_pct=curve.return_today_pct,
        return_all_time_pct=curve.return_all_time_pct,
        max_drawdown_pct=curve.max_drawdown_pct,
        profit_factor=figures.profit_factor,
        average_win=figures.average_win,
        average_loss=figures.average_loss,
        fees_paid=Decimal(fees),
        funding=equity_reads.funding_of(connection, user_id),
    )


def account_of(connection: Connection, user_id: str) -> AccountOut | None:
    """Balance and equity as last valued."""
    row = (
        connection.execute(select(accounts).where(accounts.c.user_id == user_id)).mappings().first()
    )
    return account_from(row) if row else None


def account_from(row: Mapping[Any, Any]) -> AccountOut:
    """An account value from a row holding the accounts table's columns."""
    return AccountOut(**_pick(row, _ACCOUNT_FIELDS))


def recent_trades(connection: Connection, user_id: str, count: int = 20) -> list[TradeOut]:
    return trades_page(connection, user_id, TradeFilter(), count, 0).items


def decisions_page(
    connection: Connection, user_id: str, symbol: str | None, limit: int, offset: int
) -> Page[DecisionOut]:
    """Risk decisions for the user, newest first."""
    conditions: list[Any] = [decisions.c.user_id == user_id]
    if symbol:
        conditions.append(decisions.c.symbol == symbol)
    condition = and_(*conditions)
    total = connection.execute(
        select(func.count()).select_from(decisions).where(condition)
    ).scalar_one()
    rows = connection.execute(
        select(decisions)
        .where(condition)
        .order_by(decisions.c.decided_at.desc(), decisions.c.event_id.desc())
        .limit(limit)
        .offset(offset)
    ).mappings()
    items = [decision_from(row) for row in rows]
    return Page[DecisionOut](items=items, total=total, limit=limit, offset=offset)


def trade_from(row: Mapping[Any, Any]) -> TradeOut:
    """A trade from a row of the trades table."""
    return TradeOut(**_pick(row, _TRADE_FIELDS))


def session_from(row: Mapping[Any, Any]) -> SessionOut:
    """A session from a row of the sessions table."""
    return SessionOut(**_pick(row, _SESSION_FIELDS))


def decision_from(row: Mapping[Any, Any]) -> DecisionOut:
    """A decision from a row of the decisions table (its numbers are JSON text)."""
    fields = _pick(row, tuple(DecisionOut.model_fields))
    return DecisionOut(**fields | {"numbers": json.loads(row["numbers"])})


def orders_touched_since(connection: Connection, since: datetime) -> int:
    """Orders (of every trader) intended, accepted or filled at or after ``since``: the
    platform's order rate as the log shows it."""
    query = select(func.count()).select_from(orders).where(orders.c.updated_at >= since)
    return int(connection.execute(query).scalar_one())
