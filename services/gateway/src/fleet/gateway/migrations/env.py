"""Alembic environment of the gateway's own tables (schema ``gateway``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from fleet.gateway.sessions import SCHEMA, metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=SCHEMA,
        include_schemas=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations(context.config.attributes["connection"])
