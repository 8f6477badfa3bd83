"""Reads of the billing read model: statements (closed periods), the running period's
estimate (``fleet.billing``'s arithmetic on the stored valuations and transfers, from the
last close on), invoices and the revenue report."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, case, func, literal, select

from fleet.billing import FeeTerms, PeriodClose, PeriodScheme, carried_mark
from fleet.billing.ledger import AccountHistory, Transfer, Valuation, fee_periods
from fleet.gateway.read_models.billing import projection as p
from fleet.gateway.read_models.live import live
from fleet.gateway.read_models.users.queries import users
from fleet.gateway.schemas.billing import RevenueRow, StatementOut, TraderTermsOut

statements = live(p.statements, "billing")
terms = live(p.terms, "billing")
valuations = live(p.valuations, "billing")
transfers = live(p.transfers, "billing")
ZERO = Decimal(0)


def _statement(row: Any) -> StatementOut:
    values = dict(row._mapping)
    values.pop("closed_at", None)
    values.pop("status_by", None)
    values["username"] = values.get("username") or ""
    values["total"] = values["plan_price"] + values["fee"]
    return StatementOut.model_validate(values)


def _selected() -> Any:
    s, u = statements.c, users.c
    return select(statements, func.coalesce(u.username, literal("")).label("username")).outerjoin(
        users, u.user_id == s.user_id
    )


def statements_of(connection: Connection, user_id: str) -> list[StatementOut]:
    """The trader's closed periods, newest first."""
    s = statements.c
    query = _selected().where(s.user_id == user_id).order_by(s.starts_at.desc())
    return [_statement(row) for row in connection.execute(query)]


def invoices(
    connection: Connection, period: str | None = None, status: str | None = None
) -> list[StatementOut]:
    """Every trader's closed periods (newest period first, then by username)."""
    s = statements.c
    query = _selected()
    if period is not None:
        query = query.where(s.period == period)
    if status is not None:
        query = query.where(s.status == status)
    query = query.order_by(s.starts_at.desc(), func.coalesce(users.c.username, ""), s.user_id)
    return [_statement(row) for row in connection.execute(query)]


def traders_terms(connection: Connection) -> list[TraderTermsOut]:
    """Every trader (not deleted) with his fee terms and plan, by username."""
    u, t = users.c, terms.c
    query = (
        select(u.user_id, u.username, t.rate, t.starts_on, t.plan, t.plan_price)
        .outerjoin(terms, t.user_id == u.user_id)
        .where(u.role == "trader", u.deleted.is_(False))
        .order_by(u.username)
    )
    return [TraderTermsOut.model_validate(dict(row._mapping)) for row in connection.execute(query)]


def revenue(connection: Connection) -> list[RevenueRow]:
    """Per period: traders invoiced, fees, plan prices, their total and how much of it is
    paid, waived or open (newest period first)."""
    s = statements.c
    total = s.fee + s.plan_price

    def of(status: str) -> Any:
        return func.coalesce(func.sum(case((s.status == status, total), else_=ZERO)), ZERO)

    query = (
        select(
            s.period,
            func.count().label("traders"),
            func.sum(s.fee).label("fees"),
            func.sum(s.plan_price).label("plans"),
            func.sum(total).label("total"),
            of("paid").label("paid"),
            of("waived").label("waived"),
            of("open").label("open"),
            func.min(s.starts_at).label("starts_at"),
        )
        .group_by(s.period)
        .order_by(func.min(s.starts_at).desc())
    )
    rows = connection.execute(query)
    return [
        RevenueRow.model_validate({k: v for k, v in row._mapping.items() if k != "starts_at"})
        for row in rows
    ]


def estimate(
    connection: Connection, user_id: str, scheme: PeriodScheme, now: datetime
) -> StatementOut | None:
    """The running period as it stands now (``None`` without fee terms or valuations)."""
    found = connection.execute(select(terms).where(terms.c.user_id == user_id)).first()
    if found is None or found.rate is None or found.starts_on is None:
        return None
    s = statements.c
    last = connection.execute(
        select(s.ends_at, s.mark_after)
        .where(s.user_id == user_id)
        .order_by(s.starts_at.desc())
        .limit(1)
    ).first()
    since: datetime | date = last.ends_at if last is not None else found.starts_on
    mark = carried_mark(last.mark_after) if last is not None else None
    history = _history(connection, user_id, since)
    closes = list(fee_periods(history, FeeTerms(found.rate), since, now, mark, scheme))
    if not closes:
        return None
    return _estimated(user_id, closes[-1], found.plan or "", found.plan_price or ZERO)


def _history(connection: Connection, user_id: str, since: datetime | date) -> AccountHistory:
    """The valuations from the last one before ``since`` on, and the transfers after it."""
    v, t = valuations.c, transfers.c
    if not isinstance(since, datetime):
        since = datetime.combine(since, datetime.min.time()).replace(tzinfo=UTC)
    before = connection.execute(
        select(v.valued_at, v.equity)
        .where(v.user_id == user_id, v.valued_at < since)
        .order_by(v.valued_at.desc())
        .limit(1)
    ).all()
    after = connection.execute(
        select(v.valued_at, v.equity)
        .where(v.user_id == user_id, v.valued_at >= since)
        .order_by(v.valued_at)
    ).all()
    moved = connection.execute(
        select(t.moved_at, t.amount)
        .where(t.user_id == user_id, t.moved_at >= since)
        .order_by(t.moved_at)
    ).all()
    return AccountHistory(
        [Valuation(at, equity) for at, equity in [*before, *after]],
        [Transfer(at, amount) for at, amount in moved],
    )


def _estimated(user_id: str, close: PeriodClose, plan: str, price: Decimal) -> StatementOut:
    return StatementOut.model_validate(
        close.figures()
        | {
            "user_id": user_id,
            "plan": plan,
            "plan_price": price,
            "total": price + close.fee,
            "status": "estimate",
        }
    )
