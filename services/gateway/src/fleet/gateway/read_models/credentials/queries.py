"""Reads of the credentials read model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from fleet.gateway.read_models.credentials import projection as p
from fleet.gateway.read_models.live import live
from fleet.gateway.schemas.trading import CredentialOut

credentials = live(p.credentials, "credentials")
NOT_CONNECTED = CredentialOut(status="not_connected")


def credential_of(connection: Connection, user_id: str) -> CredentialOut:
    """The user's BingX connection (``not_connected`` if he never connected)."""
    query = select(credentials).where(credentials.c.user_id == user_id)
    row = connection.execute(query).mappings().first()
    return credential_from(row) if row else NOT_CONNECTED


def credential_from(row: Mapping[Any, Any]) -> CredentialOut:
    """A credential from a row holding the credentials table's columns."""
    return CredentialOut(
        status=row["status"],
        api_key_last4=row["api_key_last4"],
        account_type=row["account_type"],
        balance=row["balance"],
        permissions=list(row["permissions"]),
        ip_addresses=list(row["ip_addresses"]),
        connected_at=row["connected_at"],
        updated_at=row["updated_at"],
        last_verified_at=row["last_verified_at"],
        last_failure_reason=row["last_failure_reason"],
        environment=row["environment"] if row["status"] != "disconnected" else None,
    )
