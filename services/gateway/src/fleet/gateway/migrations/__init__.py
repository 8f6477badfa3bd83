"""The gateway's own tables (schema ``gateway``: the ``sessions`` table), migrated by
Alembic like ``fleet_meta``: its version table is ``gateway.alembic_version``.

A database made before Alembic owned the table (``metadata.create_all`` at startup) is
adopted by the first revision as it stands: its rows are kept, and later revisions apply
to it like to any other."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

SCHEMA = "gateway"


def migrate(engine: Engine) -> None:
    """Bring the ``gateway`` schema to the latest revision (idempotent; one process at a
    time: several gateway workers start together)."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": SCHEMA})
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
