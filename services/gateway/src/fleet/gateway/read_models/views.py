"""Views that join several read models: a trader's status and dashboard, the admin
overview, a viewer's list of traders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Numeric,
    RowMapping,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from fleet.events.users import TradingSettings
from fleet.gateway.read_models.bots.queries import (
    NEVER_STARTED,
    bot_from,
    bot_of,
    bot_statuses,
    bots,
    paused_by_an_admin,
)
from fleet.gateway.read_models.credentials.queries import (
    NOT_CONNECTED,
    credential_from,
    credential_of,
    credentials,
)
from fleet.gateway.read_models.trading import queries as trading
from fleet.gateway.read_models.users import queries as users
from fleet.gateway.schemas.admin import (
    AccountSummary,
    Dashboard,
    GrantedTrader,
    Overview,
    OverviewFilter,
)
from fleet.gateway.schemas.trading import PositionOut, StatusOut

ZERO = Decimal(0)
_DEFAULT_DAILY_LOSS_LIMIT = TradingSettings().daily_loss_limit  # until he saves his own


def status_of(connection: Connection, user_id: str) -> StatusOut | None:
    """``GET /api/status``: account, BingX connection, bot and open positions of a user
    who exists (``None`` otherwise). The hot read: one statement, prepared once."""
    row = connection.execute(_STATUS, {"user_id": user_id}).mappings().first()
    if row is None:
        return None
    settings, cred, account, bot = (_part(row, prefix) for prefix in ("s_", "c_", "a_", "b_"))
    credential = credential_from(cred) if cred["status"] else NOT_CONNECTED
    return StatusOut(
        user_id=user_id,
        username=row["username"],
        trading_enabled=bool((settings["settings"] or {}).get("trading_enabled", False)),
        credential=credential,
        environment=credential.environment,
        account=trading.account_from(account) if account["valued_at"] else None,
        bot=bot_from(bot) if bot["status"] else NEVER_STARTED,
        positions=[PositionOut(**position) for position in row["positions"] or ()],
    )


_STATUS_PARTS = (
    ("s_", users.trading_settings),
    ("c_", credentials),
    ("a_", trading.accounts),
    ("b_", bots),
)


def _status_statement() -> Select[Any]:
    """The user, his settings, credential, account value and bot (outer joins) and his
    open positions as one JSON array (decimals as text, so none becomes a float)."""
    u, t = users.users, trading.trades
    fields: list[Any] = []
    for name in trading.STORED_POSITION_FIELDS:
        column = t.c[name]
        exact = isinstance(column.type, Numeric)  # JSON would make it a float
        fields += [literal(name), cast(column, Text) if exact else column]
    positions = (
        select(func.json_agg(aggregate_order_by(func.json_build_object(*fields), t.c.opened_at)))
        .where(t.c.user_id == u.c.user_id, t.c.status == "open")
        .scalar_subquery()
    )
    columns = [
        column.label(prefix + column.name) for prefix, table in _STATUS_PARTS for column in table.c
    ]
    query = select(u.c.username, *columns, positions.label("positions")).select_from(u)
    for _, table in _STATUS_PARTS:
        query = query.outerjoin(table, table.c.user_id == u.c.user_id)
    return query.where(u.c.user_id == bindparam("user_id"), u.c.deleted.is_(False))


_STATUS = _status_statement()


def _part(row: RowMapping, prefix: str) -> dict[str, Any]:
    return {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}


def dashboard_of(connection: Connection, user: RowMapping) -> Dashboard:
    """Everything about one trader, read-only."""
    user_id = user["user_id"]
    return Dashboard(
        user_id=user_id,
        username=user["username"],
        settings=users.settings_of(connection, user_id),
        credential=credential_of(connection, user_id),
        account=trading.account_of(connection, user_id),
        bot=bot_of(connection, user_id),
        positions=trading.positions_of(connection, user_id),
        stats=trading.stats_of(connection, user_id),
        current_session=trading.current_session(connection, user_id),
        recent_trades=trading.recent_trades(connection, user_id),
    )


def granted_traders(connection: Connection, viewer_id: str) -> list[GrantedTrader]:
    """The traders a viewer may read, with each bot's status."""
    granted = users.grants_of(connection, viewer_id)
    statuses = bot_statuses(connection, [grant.trader_id for grant in granted])
    return [
        GrantedTrader(
            trader_id=grant.trader_id,
            username=grant.trader_username,
            granted_at=grant.granted_at,
            bot_status=statuses.get(grant.trader_id, "never_started"),
        )
        for grant in granted
    ]


def overview(connection: Connection, only: OverviewFilter | None = None) -> Overview:
    """Totals over every trader, and one line per trader (``only`` those the filter
    keeps; the totals always count every trader)."""
    live_users = users.users.c.deleted.is_(False)
    user_count = connection.execute(
        select(func.count()).select_from(users.users).where(live_users)
    ).scalar_one()
    accounts = [_summary(row) for row in connection.execute(_accounts_query()).mappings()]
    return Overview(
        paused_by_admin=len(paused_by_an_admin(connection)),
        users=user_count,
        traders=len(accounts),
        active_bots=sum(1 for a in accounts if a.bot_status == "running"),
        paused_bots=sum(1 for a in accounts if a.bot_status == "paused"),
        total_balance=sum((a.balance or ZERO for a in accounts), ZERO),
        total_equity=sum((a.equity or ZERO for a in accounts), ZERO),
        pnl_today=sum((a.pnl_today for a in accounts), ZERO),
        accounts=[a for a in accounts if only is None or _kept(a, only)],
    )


def _kept(account: AccountSummary, only: OverviewFilter) -> bool:
    if only == "failing":
        return account.credential_status == "failed"
    if only == "paused":
        return account.bot_status == "paused"
    return account.over_daily_limit


def _accounts_query() -> Select[Any]:
    t, u, a, c = trading.trades, users.users, trading.accounts, credentials
    closed_today = and_(t.c.status == "closed", t.c.closed_at >= trading.start_of_day())
    today = (
        select(
            t.c.user_id,
            func.sum(t.c.realised_pnl).filter(closed_today).label("pnl_today"),
            func.count().filter(closed_today).label("trades_today"),
            func.count().filter(t.c.status == "open").label("open_positions"),
        )
        .group_by(t.c.user_id)
        .subquery()
    )
    s = users.trading_settings
    return (
        select(
            u.c.user_id,
            u.c.username,
            bots.c.status.label("bot_status"),
            bots.c.pause_reason,
            bots.c.paused_automatically,
            a.c.balance,
            a.c.equity,
            today.c.pnl_today,
            today.c.trades_today,
            today.c.open_positions,
            c.c.environment,
            c.c.status.label("credential_status"),
            c.c.last_verified_at,
            c.c.last_failure_at,
            c.c.last_failure_reason,
            s.c.settings,
        )
        .select_from(u)
        .outerjoin(bots, bots.c.user_id == u.c.user_id)
        .outerjoin(a, a.c.user_id == u.c.user_id)
        .outerjoin(today, today.c.user_id == u.c.user_id)
        .outerjoin(c, c.c.user_id == u.c.user_id)
        .outerjoin(s, s.c.user_id == u.c.user_id)
        .where(and_(u.c.role == "trader", u.c.deleted.is_(False)))
        .order_by(u.c.username)
    )


def _summary(row: RowMapping) -> AccountSummary:
    pnl_today = row["pnl_today"] or ZERO
    pct = pnl_today_pct(pnl_today, row["balance"])
    limit = (row["settings"] or {}).get("daily_loss_limit", _DEFAULT_DAILY_LOSS_LIMIT)
    connected = row["credential_status"] not in (None, "disconnected")
    return AccountSummary(
        user_id=row["user_id"],
        username=row["username"],
        bot_status=row["bot_status"] or "never_started",
        pause_reason=row["pause_reason"] if row["bot_status"] == "paused" else None,
        paused_automatically=bool(row["paused_automatically"]) and row["bot_status"] == "paused",
        balance=row["balance"],
        equity=row["equity"],
        pnl_today=pnl_today,
        pnl_today_pct=pct,
        trades_today=row["trades_today"] or 0,
        open_positions=row["open_positions"] or 0,
        environment=row["environment"] if connected else None,
        credential_status=row["credential_status"] or "not_connected",
        last_verified_at=row["last_verified_at"] if connected else None,
        last_failure_at=row["last_failure_at"] if connected else None,
        last_failure_reason=row["last_failure_reason"] if connected else None,
        over_daily_limit=pct is not None and limit is not None and -pct >= Decimal(str(limit)),
    )


def pnl_today_pct(pnl_today: Decimal, balance: Decimal | None) -> Decimal | None:
    """PnL today in % of the balance at 00:00 UTC (today's balance less today's realised
    PnL); ``None`` without a valuation or a balance to compare with."""
    if balance is None:
        return None
    start = balance - pnl_today
    if start <= 0:
        return None
    return (pnl_today * 100 / start).quantize(Decimal("0.01"))
