"""The credentials read model (schema ``rm_credentials``): each trader's BingX connection
as the vault service's events (``ev.cred.<user id>``) describe it. Only the last four
characters of the API key are ever here; the ciphertext and the secret never are."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, Numeric, String, Table, update
from sqlalchemy.dialects.postgresql import insert

from fleet.events import DomainEvent, Envelope
from fleet.events import credentials as ev
from fleet.gateway.read_models.dispatch import DispatchingProjection, Handler
from fleet.projections import PROJECTION_SCHEMA, ProjectionTx
from fleet.projections.columns import text_column

metadata = MetaData(schema=PROJECTION_SCHEMA)
credentials = Table(
    "credentials",
    metadata,
    Column("user_id", String(128), primary_key=True),
    # verified | failed | disconnected (a connect is verified with BingX before it is
    # stored, so "pending" is only what a user without a row sees while connecting)
    Column("status", String(16), nullable=False),
    text_column("api_key_last4", ev.CredentialConnected, "api_key_last4"),
    text_column("account_type", ev.CredentialConnected, "account_type"),
    Column("balance", Numeric()),
    Column("permissions", JSON, nullable=False),
    Column("ip_addresses", JSON, nullable=False),
    Column("connected_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_verified_at", DateTime(timezone=True)),
    text_column("last_failure_reason", ev.CredentialVerificationFailed, "reason"),
    Column("last_failure_at", DateTime(timezone=True)),
    Column("signatures_last_hour", Integer),
    Column("environment", String(8)),  # live | demo (BingX VST)
)


def _set(tx: ProjectionTx, envelope: Envelope, **values: Any) -> None:
    tx.execute(
        update(credentials)
        .where(credentials.c.user_id == envelope.aggregate.id)
        .values(updated_at=envelope.occurred_at, **values)
    )


def _connected(tx: ProjectionTx, event: ev.CredentialConnected, envelope: Envelope) -> None:
    row = {
        "user_id": envelope.aggregate.id,
        "status": "verified",
        "api_key_last4": event.api_key_last4,
        "account_type": event.account_type,
        "environment": event.environment,
        "balance": event.balance,
        "permissions": list(event.permissions),
        "ip_addresses": list(event.ip_addresses),
        "connected_at": envelope.occurred_at,
        "updated_at": envelope.occurred_at,
        "last_verified_at": envelope.occurred_at,
        "last_failure_reason": None,
        "last_failure_at": None,
    }
    upsert = insert(credentials).values(row)
    tx.execute(upsert.on_conflict_do_update(index_elements=["user_id"], set_=row))


def _verified(tx: ProjectionTx, event: ev.CredentialVerified, envelope: Envelope) -> None:
    _set(
        tx,
        envelope,
        status="verified",
        balance=event.balance,
        permissions=list(event.permissions),
        ip_addresses=list(event.ip_addresses),
        last_verified_at=envelope.occurred_at,
    )


def _failed(tx: ProjectionTx, event: ev.CredentialVerificationFailed, envelope: Envelope) -> None:
    _set(
        tx,
        envelope,
        status="failed",
        last_failure_reason=event.reason[:512],
        last_failure_at=envelope.occurred_at,
    )


def _disconnected(tx: ProjectionTx, _event: ev.CredentialDisconnected, envelope: Envelope) -> None:
    _set(tx, envelope, status="disconnected", api_key_last4=None, balance=None)


def _counted(tx: ProjectionTx, event: ev.SignaturesCounted, envelope: Envelope) -> None:
    _set(tx, envelope, signatures_last_hour=event.count)


class CredentialsProjection(DispatchingProjection):
    """One row per user who ever connected BingX."""

    name = "credentials"
    version = 3  # 2: columns follow the event bounds; 3: environment
    metadata: ClassVar[MetaData] = metadata
    handlers: ClassVar[dict[type[DomainEvent], Handler]] = {
        ev.CredentialConnected: _connected,
        ev.CredentialVerified: _verified,
        ev.CredentialVerificationFailed: _failed,
        ev.CredentialDisconnected: _disconnected,
        ev.SignaturesCounted: _counted,
    }
