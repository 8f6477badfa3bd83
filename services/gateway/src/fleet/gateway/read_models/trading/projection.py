"""The trading read model (schema ``rm_trading``), from the executor's events: trades
(a position from opened to closed; open ones are the positions), orders (an accepted one
not filled yet is pending), trading sessions (from
``bot.started`` to ``bot.stopped``), balance and equity, the equity history (downsampled
by age), funding totals, and every risk decision."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from fleet.events import DomainEvent, Envelope
from fleet.events import bots as bot_ev
from fleet.events import trading as ev
from fleet.events.history import TradeImported
from fleet.gateway.read_models.dispatch import DispatchingProjection, Handler
from fleet.gateway.read_models.trading.equity import RESOLUTIONS, bucket_start
from fleet.projections import PROJECTION_SCHEMA, ProjectionTx
from fleet.projections.columns import text_column

MONEY = Numeric()  # PostgreSQL numeric keeps the scale each event gave
metadata = MetaData(schema=PROJECTION_SCHEMA)
trades = Table(
    "trades",
    metadata,
    Column("user_id", String(128), primary_key=True),
    text_column("trade_id", ev.PositionOpened, "trade_id", primary_key=True),
    Column("session_id", String(128)),
    text_column("symbol", ev.PositionOpened, "symbol", nullable=False),
    Column("position_side", String(8), nullable=False),
    Column("direction", String(8), nullable=False),
    # open | closed | carried (imported while open: the executor's reconciliation shows
    # the live position; the imported row is history only)
    Column("status", String(8), nullable=False),
    Column("quantity", MONEY, nullable=False),
    Column("entry_price", MONEY, nullable=False),
    Column("exit_price", MONEY),
    Column("leverage", Integer, nullable=False),
    Column("stop_price", MONEY),
    Column("realised_pnl", MONEY),
    Column("fees", MONEY),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    text_column("close_reason", ev.PositionClosed, "reason"),
    Column("manual", Boolean, nullable=False),
    text_column("signal_id", ev.PositionOpened, "signal_id"),
    Column("imported_from", String(8)),  # legacy | bingx; None: traded by Fleet
    Index("trades_by_user_closed", "user_id", "status", "closed_at"),
)
sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(128), primary_key=True),
    Column("user_id", String(128), nullable=False, index=True),
    Column("status", String(8), nullable=False),  # active | paused | stopped
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("initial_balance", MONEY, nullable=False),
    Column("current_balance", MONEY, nullable=False),
    Column("trades", Integer, nullable=False),
    Column("wins", Integer, nullable=False),
    Column("losses", Integer, nullable=False),
    Column("total_pnl", MONEY, nullable=False),
    Column("config", JSON, nullable=False),
    Column("started_by", String(128), nullable=False),
    Column("stop_reason", String(512)),
)
accounts = Table(
    "accounts",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("balance", MONEY, nullable=False),
    Column("equity", MONEY, nullable=False),
    Column("available_margin", MONEY, nullable=False),
    Column("unrealised_pnl", MONEY, nullable=False),
    Column("valued_at", DateTime(timezone=True), nullable=False),
)
# equity by age: one row per (resolution, bucket) with the bucket's opening and last equity;
# rows older than their resolution keeps are deleted as valuations arrive (equity.py)
equity_history = Table(
    "equity_history",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("resolution", String(4), primary_key=True),
    Column("bucket", DateTime(timezone=True), primary_key=True),
    Column("opening", MONEY, nullable=False),
    Column("equity", MONEY, nullable=False),
)
# funding fees per user (signed: negative paid), for the statistics
funding = Table(
    "funding",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("amount", MONEY, nullable=False),
)
orders = Table(
    "orders",
    metadata,
    Column("user_id", String(128), primary_key=True),
    text_column("client_order_id", ev.OrderIntended, "client_order_id", primary_key=True),
    text_column("exchange_order_id", ev.OrderAccepted, "exchange_order_id"),
    text_column("symbol", ev.OrderIntended, "symbol", nullable=False),
    Column("side", String(8), nullable=False),
    text_column("leg", ev.OrderIntended, "leg", nullable=False),
    Column("quantity", MONEY, nullable=False),
    Column("filled_quantity", MONEY, nullable=False),
    # intended | pending (accepted, nothing filled) | partially_filled | filled | cancelled |
    # expired | rejected
    Column("status", String(16), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("orders_by_user_status", "user_id", "status"),
)
decisions = Table(
    "decisions",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("user_id", String(128), nullable=False),
    text_column("signal_id", ev.SignalEvaluated, "signal_id", nullable=False),
    text_column("symbol", ev.SignalEvaluated, "symbol", nullable=False),
    Column("decision", String(8), nullable=False),
    text_column("code", ev.SignalEvaluated, "code", nullable=False),
    Column("reason", Text, nullable=False),
    Column("numbers", Text, nullable=False),  # JSON object of strings
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Index("decisions_by_user", "user_id", "decided_at"),
)


def _live_session(user_id: str) -> Any:
    """The user's session that has not stopped (the one a new trade belongs to)."""
    return (
        select(sessions.c.session_id)
        .where(sessions.c.user_id == user_id, sessions.c.status != "stopped")
        .order_by(sessions.c.started_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def _session_status(tx: ProjectionTx, envelope: Envelope, **values: Any) -> None:
    tx.execute(
        update(sessions)
        .where(sessions.c.user_id == envelope.aggregate.id, sessions.c.status != "stopped")
        .values(**values)
    )


def _bot_started(tx: ProjectionTx, event: bot_ev.BotStarted, envelope: Envelope) -> None:
    _session_status(tx, envelope, status="stopped", ended_at=envelope.occurred_at)
    row = {
        "session_id": event.session_id,
        "user_id": envelope.aggregate.id,
        "status": "active",
        "started_at": envelope.occurred_at,
        "initial_balance": event.initial_balance,
        "current_balance": event.initial_balance,
        "trades": 0,
        "wins": 0,
        "losses": 0,
        "total_pnl": 0,
        "config": event.settings.model_dump(mode="json"),
        "started_by": event.by,
    }
    tx.execute(insert(sessions).values(row).on_conflict_do_nothing())


def _bot_paused(tx: ProjectionTx, _event: bot_ev.BotPaused, envelope: Envelope) -> None:
    _session_status(tx, envelope, status="paused")


def _bot_resumed(tx: ProjectionTx, _event: bot_ev.BotResumed, envelope: Envelope) -> None:
    _session_status(tx, envelope, status="active")


def _bot_stopped(tx: ProjectionTx, event: bot_ev.BotStopped, envelope: Envelope) -> None:
    _session_status(
        tx, envelope, status="stopped", ended_at=envelope.occurred_at, stop_reason=event.reason
    )


def _opened(tx: ProjectionTx, event: ev.PositionOpened, envelope: Envelope) -> None:
    user = envelope.aggregate.id
    row = {
        "user_id": user,
        "trade_id": event.trade_id,
        "session_id": _live_session(user),
        "symbol": event.symbol,
        "position_side": event.position_side,
        "direction": event.direction,
        "status": "open",
        "quantity": event.quantity,
        "entry_price": event.entry_price,
        "leverage": event.leverage,
        "stop_price": event.stop_price,
        "opened_at": event.opened_at,
        "manual": event.manual,
        "signal_id": event.signal_id,
        "fees": event.fees,
    }
    tx.execute(insert(trades).values(row).on_conflict_do_nothing())


def _trade(envelope: Envelope, trade_id: str) -> Any:
    return update(trades).where(
        trades.c.user_id == envelope.aggregate.id, trades.c.trade_id == trade_id
    )


def _changed(tx: ProjectionTx, event: ev.PositionChanged, envelope: Envelope) -> None:
    values: dict[str, Any] = {"quantity": event.quantity, "entry_price": event.entry_price}
    if event.fees is not None:
        values["fees"] = event.fees
    tx.execute(_trade(envelope, event.trade_id).values(**values))


def _closed(tx: ProjectionTx, event: ev.PositionClosed, envelope: Envelope) -> None:
    closing = _trade(envelope, event.trade_id).values(
        status="closed",
        quantity=event.quantity,
        entry_price=event.entry_price,
        exit_price=event.exit_price,
        realised_pnl=event.realised_pnl,
        fees=event.fees,
        closed_at=event.closed_at,
        close_reason=event.reason[:128],
    )
    session_id = tx.execute(closing.returning(trades.c.session_id)).scalar()
    if session_id is None:
        return
    pnl = event.realised_pnl
    tx.execute(
        update(sessions)
        .where(sessions.c.session_id == session_id)
        .values(
            trades=sessions.c.trades + 1,
            wins=sessions.c.wins + (1 if pnl > 0 else 0),
            losses=sessions.c.losses + (1 if pnl < 0 else 0),
            total_pnl=sessions.c.total_pnl + pnl,
        )
    )


def _valued(tx: ProjectionTx, event: ev.AccountValued, envelope: Envelope) -> None:
    row = {
        "user_id": envelope.aggregate.id,
        "balance": event.balance,
        "equity": event.equity,
        "available_margin": event.available_margin,
        "unrealised_pnl": event.unrealised_pnl,
        "valued_at": event.valued_at,
    }
    upsert = insert(accounts).values(row)
    tx.execute(upsert.on_conflict_do_update(index_elements=["user_id"], set_=row))
    _session_status(tx, envelope, current_balance=event.balance)
    _equity_history(tx, envelope.aggregate.id, event)


def _equity_history(tx: ProjectionTx, user_id: str, event: ev.AccountValued) -> None:
    for resolution in RESOLUTIONS:
        row = {
            "user_id": user_id,
            "resolution": resolution.name,
            "bucket": bucket_start(event.valued_at, resolution),
            "opening": event.equity,
            "equity": event.equity,
        }
        upsert = insert(equity_history).values(row)
        tx.execute(
            upsert.on_conflict_do_update(
                index_elements=["user_id", "resolution", "bucket"], set_={"equity": event.equity}
            )
        )
        if resolution.keep is not None:
            h = equity_history.c
            tx.execute(
                delete(equity_history).where(
                    h.user_id == user_id,
                    h.resolution == resolution.name,
                    h.bucket < event.valued_at - resolution.keep,
                )
            )


def _intended(tx: ProjectionTx, event: ev.OrderIntended, envelope: Envelope) -> None:
    row = {
        "user_id": envelope.aggregate.id,
        "client_order_id": event.client_order_id,
        "symbol": event.symbol,
        "side": event.side,
        "leg": event.leg,
        "quantity": event.quantity,
        "filled_quantity": 0,
        "status": "intended",
        "updated_at": envelope.occurred_at,
    }
    tx.execute(insert(orders).values(row).on_conflict_do_nothing())


def _order(tx: ProjectionTx, envelope: Envelope, client_order_id: str, **values: Any) -> None:
    tx.execute(
        update(orders)
        .where(orders.c.user_id == envelope.aggregate.id)
        .where(orders.c.client_order_id == client_order_id)
        .values(updated_at=envelope.occurred_at, **values)
    )


def _rejected(tx: ProjectionTx, event: ev.OrderRejected, envelope: Envelope) -> None:
    _order(tx, envelope, event.client_order_id, status="rejected")


def _ended(tx: ProjectionTx, event: ev.OrderEnded, envelope: Envelope) -> None:
    _order(tx, envelope, event.client_order_id, status=event.status.lower())


def _evaluated(tx: ProjectionTx, event: ev.SignalEvaluated, envelope: Envelope) -> None:
    for intent in event.intents:
        _intended(tx, intent, envelope)
    tx.insert(
        decisions,
        {
            "event_id": envelope.id,
            "user_id": envelope.aggregate.id,
            "signal_id": event.signal_id,
            "symbol": event.symbol,
            "decision": event.decision,
            "code": event.code,
            "reason": event.reason,
            "numbers": json.dumps(event.numbers, sort_keys=True),
            "decided_at": envelope.occurred_at,
        },
    )


def _accepted(tx: ProjectionTx, event: ev.OrderAccepted, envelope: Envelope) -> None:
    """BingX took the order: pending until it fills (older events carried the fill, and
    what it opened or closed, inside)."""
    legacy = event.opened is not None or event.closed is not None
    _order(
        tx,
        envelope,
        event.client_order_id,
        exchange_order_id=event.exchange_order_id,
        status="filled" if legacy else "pending",
    )
    if event.opened is not None:
        _opened(tx, event.opened, envelope)
    if event.closed is not None:
        _closed(tx, event.closed, envelope)


def _filled(tx: ProjectionTx, event: ev.OrderFilled, envelope: Envelope) -> None:
    """A fill opens, resizes or closes a trade; the executor stores that with the fill."""
    _order(
        tx,
        envelope,
        event.client_order_id,
        filled_quantity=event.cumulative_quantity,
        status=event.order_status.lower(),
    )
    if event.opened is not None:
        _opened(tx, event.opened, envelope)
    if event.changed is not None:
        _changed(tx, event.changed, envelope)
    if event.closed is not None:
        _closed(tx, event.closed, envelope)


def _funding(tx: ProjectionTx, event: ev.FundingPaid, envelope: Envelope) -> None:
    """Funding fees count in the session's PnL (and in the user's funding total)."""
    row = {"user_id": envelope.aggregate.id, "amount": event.amount}
    tx.execute(
        insert(funding)
        .values(row)
        .on_conflict_do_update(
            index_elements=["user_id"], set_={"amount": funding.c.amount + event.amount}
        )
    )
    tx.execute(
        update(sessions)
        .where(sessions.c.user_id == envelope.aggregate.id, sessions.c.status != "stopped")
        .values(total_pnl=sessions.c.total_pnl + event.amount)
    )


def _imported(tx: ProjectionTx, event: TradeImported, envelope: Envelope) -> None:
    """A past trade, with its original times; a closed one counts in the statistics."""
    trade = event.trade
    row = {
        "user_id": envelope.aggregate.id,
        "trade_id": trade.trade_id,
        "symbol": trade.symbol,
        "position_side": trade.direction.upper(),
        "direction": trade.direction,
        "status": "carried" if trade.closed_at is None else "closed",
        "quantity": trade.quantity,
        "entry_price": trade.entry_price,
        "exit_price": trade.exit_price,
        "leverage": trade.leverage,
        "realised_pnl": trade.realised_pnl,
        "fees": trade.fees,
        "opened_at": trade.opened_at,
        "closed_at": trade.closed_at,
        "close_reason": f"imported ({event.source})",
        "manual": False,
        "imported_from": event.source,
    }
    tx.execute(insert(trades).values(row).on_conflict_do_nothing())


class TradingProjection(DispatchingProjection):
    """Positions, trades, trading sessions, account values and risk decisions."""

    name = "trading"
    # 2: trades opened and closed inside trading.order_accepted; 3: columns follow the bounds;
    # 4: trades built from trading.order_filled, funding in the session's PnL, orders;
    # 5: equity history by age, funding totals; 6: imported history (imported_from)
    version = 6
    metadata: ClassVar[MetaData] = metadata
    handlers: ClassVar[dict[type[DomainEvent], Handler]] = {
        bot_ev.BotStarted: _bot_started,
        bot_ev.BotPaused: _bot_paused,
        bot_ev.BotResumed: _bot_resumed,
        bot_ev.BotStopped: _bot_stopped,
        ev.OrderAccepted: _accepted,
        ev.OrderFilled: _filled,
        ev.OrderIntended: _intended,
        ev.OrderRejected: _rejected,
        ev.OrderEnded: _ended,
        ev.FundingPaid: _funding,
        ev.PositionOpened: _opened,
        ev.PositionChanged: _changed,
        ev.PositionClosed: _closed,
        ev.AccountValued: _valued,
        ev.SignalEvaluated: _evaluated,
        TradeImported: _imported,
    }
