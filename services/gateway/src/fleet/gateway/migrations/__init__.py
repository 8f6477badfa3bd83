"""The gateway's own tables (schema ``gateway``: the ``sessions`` table), migrated by
Alembic like ``fleet_meta``: its version table is ``gateway.alembic_version``.

A database made before Alembic owned the table (``metadata.create_all`` at startup) is
adopted by the first revision as it stands: its rows are kept, and later revisions apply
to it like to any other."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from fleet.projections.meta import migrate_schema

SCHEMA = "gateway"


def migrate(engine: Engine) -> None:
    """Bring the ``gateway`` schema to the latest revision (idempotent; one process at a
    time: several gateway workers start together)."""
    migrate_schema(engine, Path(__file__).parent, SCHEMA)
