"""The billing read model (schema ``rm_billing``): each trader's period closes with their
invoice status (``ev.billing.<user>_<period>``), his fee terms and plan (``ev.user.*``),
and what the running period's estimate needs from his trading account (``ev.account.*``:
valuations and transfers)."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import Column, Date, DateTime, MetaData, Numeric, String, Table, Text, update
from sqlalchemy.dialects.postgresql import insert

from fleet.events import DomainEvent, Envelope
from fleet.events import billing as ev
from fleet.events.trading import AccountValued, TransferRecorded
from fleet.gateway.read_models.dispatch import DispatchingProjection, Handler
from fleet.projections import PROJECTION_SCHEMA, ProjectionTx

MONEY = Numeric()  # PostgreSQL numeric keeps the scale each event gave
metadata = MetaData(schema=PROJECTION_SCHEMA)
statements = Table(
    "statements",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("period", String(32), primary_key=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("rate", MONEY, nullable=False),
    Column("start_equity", MONEY, nullable=False),
    Column("end_equity", MONEY, nullable=False),
    Column("deposits", MONEY, nullable=False),
    Column("withdrawals", MONEY, nullable=False),
    Column("mark_before", MONEY, nullable=False),
    Column("mark_after", MONEY, nullable=False),
    Column("gain", MONEY, nullable=False),
    Column("fee", MONEY, nullable=False),
    Column("carried_loss", MONEY, nullable=False),
    Column("plan", String(128), nullable=False),
    Column("plan_price", MONEY, nullable=False),
    Column("sentence", Text, nullable=False),
    Column("status", String(16), nullable=False),  # open | paid | waived
    Column("status_note", String(128), nullable=False),
    Column("status_by", String(128)),
    Column("closed_at", DateTime(timezone=True), nullable=False),
)
terms = Table(
    "terms",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("rate", MONEY),
    Column("starts_on", Date),
    Column("plan", String(128)),
    Column("plan_price", MONEY),
)
valuations = Table(
    "valuations",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("valued_at", DateTime(timezone=True), primary_key=True),
    Column("equity", MONEY, nullable=False),
)
transfers = Table(
    "transfers",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("transfer_id", String(128), primary_key=True),
    Column("amount", MONEY, nullable=False),
    Column("moved_at", DateTime(timezone=True), nullable=False),
)


def _upsert(tx: ProjectionTx, table: Table, row: dict[str, Any], keys: list[str]) -> None:
    statement = insert(table).values(row)
    tx.execute(statement.on_conflict_do_update(index_elements=keys, set_=row))


def _closed(tx: ProjectionTx, event: ev.PeriodClosed, envelope: Envelope) -> None:
    row = event.model_dump(exclude={"schema_version"}) | {
        "status": "open",
        "status_note": "",
        "status_by": None,
        "closed_at": envelope.occurred_at,
    }
    statement = insert(statements).values(row)
    tx.execute(statement.on_conflict_do_nothing(index_elements=["user_id", "period"]))


def _status(tx: ProjectionTx, event: ev.InvoiceStatusSet, envelope: Envelope) -> None:
    user_id, _, period = envelope.aggregate.id.rpartition("_")
    s = statements.c
    tx.execute(
        update(statements)
        .where(s.user_id == user_id, s.period == period)
        .values(status=event.status, status_note=event.note, status_by=event.set_by)
    )


def _fee(tx: ProjectionTx, event: ev.FeeTermsSet, envelope: Envelope) -> None:
    row = {"user_id": envelope.aggregate.id, "rate": event.rate, "starts_on": event.starts_on}
    _upsert(tx, terms, row, ["user_id"])


def _plan(tx: ProjectionTx, event: ev.PlanAssigned, envelope: Envelope) -> None:
    row = {
        "user_id": envelope.aggregate.id,
        "plan": event.plan.name,
        "plan_price": event.plan.price,
    }
    _upsert(tx, terms, row, ["user_id"])


def _valued(tx: ProjectionTx, event: AccountValued, envelope: Envelope) -> None:
    row = {"user_id": envelope.aggregate.id, "valued_at": event.valued_at, "equity": event.equity}
    _upsert(tx, valuations, row, ["user_id", "valued_at"])


def _moved(tx: ProjectionTx, event: TransferRecorded, envelope: Envelope) -> None:
    row = {
        "user_id": envelope.aggregate.id,
        "transfer_id": event.transfer_id,
        "amount": event.amount,
        "moved_at": event.moved_at,
    }
    _upsert(tx, transfers, row, ["user_id", "transfer_id"])


class BillingProjection(DispatchingProjection):
    """Statements and invoices, fee terms, and the estimate's inputs."""

    name = "billing"
    version = 1
    metadata: ClassVar[MetaData] = metadata
    handlers: ClassVar[dict[type[DomainEvent], Handler]] = {
        ev.PeriodClosed: _closed,
        ev.InvoiceStatusSet: _status,
        ev.FeeTermsSet: _fee,
        ev.PlanAssigned: _plan,
        AccountValued: _valued,
        TransferRecorded: _moved,
    }
