"""A trader's whole history, page by page: closed trades, sessions, risk decisions and
the account's income (funding, fees, transfers),
newest first, paged by a cursor (``before``) over each table's own order (time, then id),
so rows that arrive while someone pages never shift a page and every row shows once.

The same filters as the offset pages of :mod:`queries` (what the JSON lists show); the
CSV exports stream through these pages too.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Connection, FromClause, and_, func, or_, select

from fleet.events.errors import FleetError
from fleet.events.trading import ROUTINE_SKIPS
from fleet.gateway.read_models.live import live
from fleet.gateway.read_models.trading import tables as p
from fleet.gateway.read_models.trading.queries import (
    TradeFilter,
    decision_from,
    decisions,
    session_from,
    sessions,
    trade_from,
    trades,
)
from fleet.gateway.schemas.history import IncomeOut
from fleet.gateway.schemas.trading import DecisionOut, DecisionPage, SessionOut, TradeOut

income = live(p.income, "trading")

# what a cursor's key (a trade, session or event id) may be: bounded, no control
# characters (PostgreSQL text refuses NUL)
ID_TEXT = re.compile(r"[^\x00-\x1f\x7f]{1,256}")


class BadCursor(FleetError, ValueError):
    """A ``before`` that this API did not hand out."""

    error_code = "bad_cursor"


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the time and id of its last row (the next page is older)."""

    at: datetime
    key: str

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.key]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            at, key = json.loads(raw)
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC)
        except (binascii.Error, ValueError, TypeError, OverflowError) as exc:
            raise BadCursor("not a cursor this API handed out") from exc
        if moment.tzinfo is None or not isinstance(key, str) or not ID_TEXT.fullmatch(key):
            raise BadCursor("not a cursor this API handed out")
        return cls(moment, key)


@dataclass(frozen=True)
class HistoryPage:
    """Rows, newest first, and the cursor of the next (older) page; ``None``: the end."""

    items: Sequence[BaseModel]
    next_before: str | None


@dataclass(frozen=True)
class _Order:
    table: FromClause  # a table, or the decisions of the log and of telemetry as one
    at: ColumnElement[Any]
    key: ColumnElement[Any]


_TRADES = _Order(trades, trades.c.closed_at, trades.c.trade_id)
_SESSIONS = _Order(sessions, sessions.c.started_at, sessions.c.session_id)
_DECISIONS = _Order(decisions, decisions.c.decided_at, decisions.c.event_id)
_INCOME = _Order(income, income.c.at, income.c.income_id)


def _rows(
    connection: Connection,
    order: _Order,
    conditions: list[Any],
    before: Cursor | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    if before is not None:
        conditions.append(
            or_(order.at < before.at, and_(order.at == before.at, order.key < before.key))
        )
    rows = list(
        connection.execute(
            select(order.table)
            .where(and_(*conditions))
            .order_by(order.at.desc(), order.key.desc())
            .limit(limit + 1)
        ).mappings()
    )
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], Cursor(last[order.at.name], last[order.key.name]).encode()


def trades_history(
    connection: Connection,
    user_id: str,
    where: TradeFilter,
    before: Cursor | None,
    limit: int,
) -> HistoryPage:
    """Closed trades by close time, newest first."""
    conditions: list[Any] = [trades.c.user_id == user_id, trades.c.status == "closed"]
    if where.symbol:
        conditions.append(trades.c.symbol == where.symbol)
    if where.since:
        conditions.append(trades.c.closed_at >= where.since)
    if where.until:
        conditions.append(trades.c.closed_at < where.until)
    rows, after = _rows(connection, _TRADES, conditions, before, limit)
    items: list[TradeOut] = [trade_from(row) for row in rows]
    return HistoryPage(items, after)


def sessions_history(
    connection: Connection, user_id: str, before: Cursor | None, limit: int
) -> HistoryPage:
    """Trading sessions by start, newest first."""
    conditions: list[Any] = [sessions.c.user_id == user_id]
    rows, after = _rows(connection, _SESSIONS, conditions, before, limit)
    items: list[SessionOut] = [session_from(row) for row in rows]
    return HistoryPage(items, after)


def decisions_history(
    connection: Connection,
    user_id: str,
    where: DecisionFilter,
    before: Cursor | None,
    limit: int,
) -> HistoryPage:
    """Risk decisions, newest first."""
    conditions = decision_conditions(user_id, where)
    rows, after = _rows(connection, _DECISIONS, conditions, before, limit)
    items: list[DecisionOut] = [decision_from(row) for row in rows]
    return HistoryPage(items, after)


@dataclass(frozen=True)
class IncomeFilter:
    income_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def income_history(
    connection: Connection,
    user_id: str,
    where: IncomeFilter,
    before: Cursor | None,
    limit: int,
) -> HistoryPage:
    """The account's income rows (funding, fees, transfers), newest first."""
    c = income.c
    conditions: list[Any] = [c.user_id == user_id]
    if where.income_type:
        conditions.append(c.income_type == where.income_type)
    if where.since:
        conditions.append(c.at >= where.since)
    if where.until:
        conditions.append(c.at < where.until)
    rows, after = _rows(connection, _INCOME, conditions, before, limit)
    items = [
        IncomeOut.model_validate({k: v for k, v in row.items() if k != "user_id"}) for row in rows
    ]
    return HistoryPage(items, after)


@dataclass(frozen=True)
class DecisionFilter:
    symbol: str | None = None
    decision: str | None = None
    routine: bool = True


def decision_conditions(user_id: str, where: DecisionFilter) -> list[Any]:
    conditions: list[Any] = [decisions.c.user_id == user_id]
    if where.symbol:
        conditions.append(decisions.c.symbol == where.symbol)
    if where.decision:
        conditions.append(decisions.c.decision == where.decision)
    if not where.routine:
        routine = and_(decisions.c.decision == "skip", decisions.c.code.in_(ROUTINE_SKIPS))
        conditions.append(~routine)
    return conditions


def decisions_feed(
    connection: Connection,
    user_id: str,
    where: DecisionFilter,
    before: Cursor | None,
    limit: int,
    offset: int = 0,
) -> DecisionPage:
    """Risk decisions, newest first, by cursor (``before``) or, for old clients, offset."""
    total = connection.execute(
        select(func.count())
        .select_from(decisions)
        .where(and_(*decision_conditions(user_id, where)))
    ).scalar_one()
    conditions = decision_conditions(user_id, where)
    if before is not None:
        conditions.append(
            or_(
                decisions.c.decided_at < before.at,
                and_(decisions.c.decided_at == before.at, decisions.c.event_id < before.key),
            )
        )
    rows = list(
        connection.execute(
            select(decisions)
            .where(and_(*conditions))
            .order_by(decisions.c.decided_at.desc(), decisions.c.event_id.desc())
            .limit(limit + 1)
            .offset(offset)
        ).mappings()
    )
    after = None
    if len(rows) > limit:
        rows = rows[:limit]
        after = Cursor(rows[-1]["decided_at"], rows[-1]["event_id"]).encode()
    return DecisionPage(
        items=[decision_from(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
        next_before=after,
    )
