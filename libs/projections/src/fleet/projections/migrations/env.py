"""Alembic environment for Fleet's own projection metadata (schema ``fleet_meta``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from fleet.projections.meta import META_SCHEMA, meta_metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=meta_metadata,
        version_table_schema=META_SCHEMA,
        include_schemas=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations(context.config.attributes["connection"])
