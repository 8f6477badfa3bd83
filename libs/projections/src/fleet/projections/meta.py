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
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        # several processes may start at once (auth workers, the gateway): one migrates
        connection.execute(text("SELECT pg_advisory_xact_lock(7262034)"))
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{META_SCHEMA}"'))
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
