"""The checkpoint lives in the projection's own schema, so it moves with its tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, Integer, MetaData, Table, select, text

from fleet.projections.projection import PROJECTION_SCHEMA

checkpoint_metadata = MetaData(schema=PROJECTION_SCHEMA)
checkpoint_table = Table(
    "_checkpoint",
    checkpoint_metadata,
    Column("id", Integer, primary_key=True),
    Column("projection_version", Integer, nullable=False),
    Column("last_sequence", BigInteger, nullable=False),
)


def read_checkpoint(connection: Connection, *, lock: bool = False) -> tuple[int, int] | None:
    """``(projection_version, last_sequence)``, or ``None`` when the schema is empty."""
    query = select(checkpoint_table.c.projection_version, checkpoint_table.c.last_sequence)
    if lock:
        query = query.with_for_update()
    row = connection.execute(query).first()
    return (int(row[0]), int(row[1])) if row else None


def write_checkpoint(connection: Connection, last_sequence: int) -> None:
    """Move the checkpoint (same transaction as the events it covers)."""
    connection.execute(checkpoint_table.update().values(last_sequence=last_sequence))


def schema_exists(connection: Connection, schema: str) -> bool:
    """Whether a PostgreSQL schema exists."""
    query = text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s")
    return connection.execute(query, {"s": schema}).first() is not None
