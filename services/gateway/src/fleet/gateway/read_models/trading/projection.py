"""The trading read model (schema ``rm_trading``), from the executor's events: trades
(a position from opened to closed; open ones are the positions), orders (an accepted one
not filled yet is pending), trading sessions (from
``bot.started`` to ``bot.stopped``), balance and equity, the equity history (downsampled
by age), funding totals, the account's income (funding, fees, transfers: live and
imported from BingX), and every risk decision."""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from sqlalchemy import (
    MetaData,
    and_,
    bindparam,
    delete,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from fleet.events import DomainEvent, Envelope
from fleet.events import bots as bot_ev
from fleet.events import trading as ev
from fleet.events.history import IncomeImported, TradeImported
from fleet.gateway.read_models.dispatch import DispatchingProjection, Handler
from fleet.gateway.read_models.trading.decisions import decision_row
from fleet.gateway.read_models.trading.equity import RESOLUTIONS, bucket_start
from fleet.gateway.read_models.trading.tables import (
    accounts,
    decisions,
    equity_history,
    funding,
    income,
    metadata,
    orders,
    sessions,
    trades,
)
from fleet.projections import ProjectionTx
from fleet.projections.columns import field_bound


def _live_session(user_id: Any) -> Any:
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


def _prepared_open() -> Any:
    """Built once, run with each trade's values (building it per event cost more CPU than
    PostgreSQL spent running it)."""
    # the row's columns come with each execution; the session is looked up by "b_user"
    return (
        insert(trades)
        .values(session_id=_live_session(bindparam("b_user")))
        .on_conflict_do_nothing()
    )


_OPEN = _prepared_open()


def _opened(tx: ProjectionTx, event: ev.PositionOpened, envelope: Envelope) -> None:
    tx.execute(
        _OPEN,
        {
            "b_user": envelope.aggregate.id,
            "user_id": envelope.aggregate.id,
            "trade_id": event.trade_id,
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
        },
    )


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


@functools.cache
def _valuation(liquidations: int) -> Any:
    """A valuation's writes as ONE statement (data-modifying CTEs: one round trip, not
    4 + one per position): the account row, the live session's balance, every
    resolution's equity bucket, the buckets each resolution keeps no longer, and each open
    position's liquidation price. Built once per number of positions, run with each
    valuation's values. The CTEs touch different rows (a bucket written is never one
    expired: it is younger than any resolution's horizon), so their shared snapshot is
    the same as statements one after another."""
    names = ("balance", "equity", "available_margin", "unrealised_pnl", "valued_at")
    user: Any = bindparam("b_user")
    account = insert(accounts).values(user_id=user, **{n: bindparam(f"b_{n}") for n in names})
    account = account.on_conflict_do_update(
        index_elements=["user_id"], set_={name: account.excluded[name] for name in names}
    )
    session = (
        update(sessions)
        .where(sessions.c.user_id == user, sessions.c.status != "stopped")
        .values(current_balance=bindparam("b_balance"))
    )
    points = insert(equity_history).values(
        [
            {
                "user_id": user,
                "resolution": resolution.name,
                "bucket": bindparam(f"b_bucket_{resolution.name}"),
                "opening": bindparam("b_equity"),
                "equity": bindparam("b_equity"),
            }
            for resolution in RESOLUTIONS
        ]
    )
    points = points.on_conflict_do_update(
        index_elements=["user_id", "resolution", "bucket"],
        set_={"equity": points.excluded.equity},
    )
    h = equity_history.c
    expired = delete(equity_history).where(
        h.user_id == user,
        or_(
            *(
                and_(
                    h.resolution == resolution.name,
                    h.bucket < bindparam(f"b_keep_{resolution.name}"),
                )
                for resolution in RESOLUTIONS
                if resolution.keep is not None
            )
        ),
    )
    writes = [account, session, points, expired]
    writes += [
        update(trades)
        .where(
            trades.c.user_id == user,
            trades.c.status == "open",
            trades.c.symbol == bindparam(f"b_symbol_{n}"),
            trades.c.direction == bindparam(f"b_direction_{n}"),
        )
        .values(liquidation_price=bindparam(f"b_price_{n}"))
        for n in range(liquidations)
    ]
    ctes = [write.cte(f"valuation_{n}") for n, write in enumerate(writes)]
    return select(literal(1)).add_cte(*ctes)


def _valued(tx: ProjectionTx, event: ev.AccountValued, envelope: Envelope) -> None:
    at = event.valued_at
    values: dict[str, Any] = {
        "b_user": envelope.aggregate.id,
        "b_balance": event.balance,
        "b_equity": event.equity,
        "b_available_margin": event.available_margin,
        "b_unrealised_pnl": event.unrealised_pnl,
        "b_valued_at": at,
    }
    for resolution in RESOLUTIONS:
        values[f"b_bucket_{resolution.name}"] = bucket_start(at, resolution)
        if resolution.keep is not None:
            values[f"b_keep_{resolution.name}"] = at - resolution.keep
    liquidations = event.liquidation_prices  # open positions' (older events: none)
    for n, liquidation in enumerate(liquidations):
        values[f"b_symbol_{n}"] = liquidation.symbol
        values[f"b_direction_{n}"] = liquidation.direction
        values[f"b_price_{n}"] = liquidation.price
    tx.execute(_valuation(len(liquidations)), values)


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
    tx.insert(decisions, decision_row(event, envelope))


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
    """Funding fees count in the session's PnL (and in the user's funding total and
    income)."""
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
    _income(tx, envelope.aggregate.id, _funding_income(event))


def _income(tx: ProjectionTx, user_id: str, row: dict[str, Any]) -> None:
    """One income row; the same BingX row (``tranId``) seen live and imported is one,
    marked imported once the history import brought it too."""
    row["income_id"] = ev.tran_id_of(row["income_id"])
    statement = insert(income).values(user_id=user_id, **row)
    if row.get("imported_from"):
        keys = ["user_id", "income_id"]
        marked = {"imported_from": row["imported_from"]}
        tx.execute(statement.on_conflict_do_update(index_elements=keys, set_=marked))
    else:
        tx.execute(statement.on_conflict_do_nothing())


def _funding_income(event: ev.FundingPaid) -> dict[str, Any]:
    return {
        "income_id": event.funding_id,
        "income_type": "FUNDING_FEE",
        "symbol": event.symbol,
        "amount": event.amount,
        "asset": event.asset,
        "at": event.paid_at,
    }


def _moved(tx: ProjectionTx, event: ev.TransferRecorded, envelope: Envelope) -> None:
    row = {
        "income_id": event.transfer_id,
        "income_type": "TRANSFER",
        "symbol": None,
        "amount": event.amount,
        "asset": event.asset,
        "at": event.moved_at,
    }
    _income(tx, envelope.aggregate.id, row)


def _income_imported(tx: ProjectionTx, event: IncomeImported, envelope: Envelope) -> None:
    found = event.income
    row = {
        "income_id": found.tran_id,
        "income_type": found.income_type,
        "symbol": found.symbol,
        "amount": found.amount,
        "asset": found.asset,
        "at": found.at,
        "imported_from": event.source,
    }
    _income(tx, envelope.aggregate.id, row)


def _import_reason(event: TradeImported) -> str:
    """ "imported (legacy)"; an open legacy trade no BingX position matched was closed at
    the import: why, clipped to the column."""
    note = f": {event.trade.note}" if event.trade.note else ""
    return f"imported ({event.source}){note}"[: field_bound(ev.PositionClosed, "reason")]


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
        "close_reason": _import_reason(event),
        "manual": False,
        "imported_from": event.source,
    }
    tx.execute(insert(trades).values(row).on_conflict_do_nothing())


class TradingProjection(DispatchingProjection):
    """Positions, trades, trading sessions, account values and risk decisions."""

    name = "trading"
    # 2: trades opened and closed inside trading.order_accepted; 3: columns follow the bounds;
    # 4: trades built from trading.order_filled, funding in the session's PnL, orders;
    # 5: equity history by age, funding totals; 6: imported history (imported_from);
    # 7: liquidation prices of open positions (trading.account_valued); 8: income (funding,
    # transfers and imported BingX income rows)
    version = 8
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
        ev.TransferRecorded: _moved,
        IncomeImported: _income_imported,
        ev.PositionOpened: _opened,
        ev.PositionChanged: _changed,
        ev.PositionClosed: _closed,
        ev.AccountValued: _valued,
        ev.SignalEvaluated: _evaluated,
        TradeImported: _imported,
    }
