"""The tables of the trading read model (schema ``rm_trading``): what the projection
writes and the queries read."""

from __future__ import annotations

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
)

from fleet.events import trading as ev
from fleet.events.history import ImportedIncome
from fleet.gateway.read_models.trading.decisions import decisions_table
from fleet.projections import PROJECTION_SCHEMA
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
    Column("liquidation_price", MONEY),  # BingX's, at the last valuation (None: unknown)
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
# money that moved the account's balance, one row per BingX income row (``tranId``): the
# executor's live funding and transfers and the imported history name the same row alike
income = Table(
    "income",
    metadata,
    Column("user_id", String(128), primary_key=True),
    text_column("income_id", ImportedIncome, "tran_id", primary_key=True),
    text_column("income_type", ImportedIncome, "income_type", nullable=False),
    text_column("symbol", ImportedIncome, "symbol"),
    Column("amount", MONEY, nullable=False),
    text_column("asset", ImportedIncome, "asset", nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("imported_from", String(8)),  # legacy | bingx; None: recorded live by Fleet
    Index("income_by_user_at", "user_id", "at"),
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
decisions = decisions_table(metadata)
