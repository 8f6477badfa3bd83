"""Reads of the trading read model: positions, trades, sessions, stats, decisions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from fleet.gateway.read_models.live import live
from fleet.gateway.read_models.trading import projection as p
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
decisions = live(p.decisions, "trading")
orders = live(p.orders, "trading")
_ORDER_FIELDS = tuple(OrderOut.model_fields)
LIVE_ORDER = ("intended", "pending", "partially_filled")
ZERO = Decimal(0)
_POSITION_FIELDS = tuple(PositionOut.model_fields)
_TRADE_FIELDS = tuple(TradeOut.model_fields)
_SESSION_FIELDS = tuple(SessionOut.model_fields)
_ACCOUNT_FIELDS = tuple(AccountOut.model_fields)


@dataclass(frozen=True)
class TradeFilter:
    """Which closed trades a page shows."""

    symbol: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def start_of_day(now: datetime | None = None) -> datetime:
    """00:00 UTC today: where "PnL today" begins."""
    moment = now or datetime.now(UTC)
    return datetime.combine(moment.astimezone(UTC).date(), time(0), tzinfo=UTC)


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
    items = [TradeOut(**_pick(row, _TRADE_FIELDS)) for row in rows]
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
    items = [SessionOut(**_pick(row, _SESSION_FIELDS)) for row in rows]
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


def stats_of(connection: Connection, user_id: str) -> StatsOut:
    """Trades, wins, losses, win rate, PnL today and all time, open positions."""
    closed = trades.c.status == "closed"
    pnl = func.coalesce(trades.c.realised_pnl, 0)
    query = select(
        func.count().filter(closed),
        func.count().filter(closed, trades.c.realised_pnl > 0),
        func.count().filter(closed, trades.c.realised_pnl < 0),
        func.coalesce(func.sum(case((closed, pnl), else_=0)), 0),
        func.coalesce(
            func.sum(case((and_(closed, trades.c.closed_at >= start_of_day()), pnl), else_=0)), 0
        ),
        func.count().filter(trades.c.status == "open"),
    ).where(trades.c.user_id == user_id)
    count, wins, losses, total, today, open_count = connection.execute(query).one()
    rate = (Decimal(wins) * 100 / Decimal(count)).quantize(Decimal("0.01")) if count else ZERO
    return StatsOut(
        trades=count,
        wins=wins,
        losses=losses,
        win_rate=rate,
        pnl_today=Decimal(today),
        pnl_all_time=Decimal(total),
        open_positions=open_count,
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
    items = [
        DecisionOut(
            **_pick(row, tuple(DecisionOut.model_fields)) | {"numbers": json.loads(row["numbers"])}
        )
        for row in rows
    ]
    return Page[DecisionOut](items=items, total=total, limit=limit, offset=offset)


def orders_touched_since(connection: Connection, since: datetime) -> int:
    """Orders (of every trader) intended, accepted or filled at or after ``since``: the
    platform's order rate as the log shows it."""
    query = select(func.count()).select_from(orders).where(orders.c.updated_at >= since)
    return int(connection.execute(query).scalar_one())
