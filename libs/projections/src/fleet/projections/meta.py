"""Fleet's own tables about projections (schema ``fleet_meta``), migrated by Alembic.

Read-model tables themselves are not migrated: a projection bumps its ``version`` and is
rebuilt from the log. Alembic owns only what cannot be rebuilt from the log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    text,
)

META_SCHEMA = "fleet_meta"
meta_metadata = MetaData(schema=META_SCHEMA)
rebuilds = Table(
    "projection_rebuilds",
    meta_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("projection", String(64), nullable=False, index=True),
    Column("projection_version", Integer, nullable=False),
    Column("events", BigInteger, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
)


def migrate(engine: Engine) -> None:
    """Bring ``fleet_meta`` to the latest revision (idempotent)."""
    migrate_schema(engine, Path(__file__).parent / "migrations", META_SCHEMA, lock_id=7262034)


def migrate_schema(
    engine: Engine, script_location: Path, schema: str, *, lock_id: int | None = None
) -> None:
    """Bring ``schema`` to the head of the Alembic scripts at ``script_location``
    (idempotent), creating the schema first. Several processes may start at once (auth
    workers, gateway workers): a transaction-level advisory lock (``lock_id``, else the
    hash of the schema's name) lets one migrate while the others wait. The scripts' env.py
    runs on ``config.attributes["connection"]``."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    with engine.begin() as connection:
        if lock_id is None:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": schema}
            )
        else:
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def record_rebuild(
    engine: Engine, projection: str, version: int, events: int, seconds: float
) -> None:
    """Remember that a rebuild finished (for ``fleet projections status`` and audits)."""
    with engine.begin() as connection:
        connection.execute(
            rebuilds.insert().values(
                projection=projection,
                projection_version=version,
                events=events,
                seconds=seconds,
                finished_at=datetime.now(UTC),
            )
        )
