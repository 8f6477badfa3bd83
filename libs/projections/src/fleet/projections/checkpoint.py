"""The checkpoint lives in the projection's own schema, so it moves with its tables."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    Table,
    bindparam,
    func,
    select,
    text,
    update,
)

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


_old = select(checkpoint_table.c.id, checkpoint_table.c.last_sequence).with_for_update().cte("old")
# one statement (one round trip) locks the row, reads the checkpoint and moves it to
# ``through``, unless the checkpoint is before ``start - 1`` (a gap: nothing is written)
# or already past ``through`` (left as it is); it answers the checkpoint it found
_ADVANCE = (
    update(checkpoint_table)
    .where(
        checkpoint_table.c.id == _old.c.id,
        _old.c.last_sequence >= bindparam("after", type_=BigInteger),
    )
    .values(
        last_sequence=func.greatest(_old.c.last_sequence, bindparam("through", type_=BigInteger))
    )
    .returning(_old.c.last_sequence)
)


def advance_checkpoint(connection: Connection, start: int, through: int) -> int | None:
    """Move the checkpoint to ``through`` for a batch that covers ``start``..``through``,
    in one statement; return the checkpoint it was at, or ``None`` (nothing written) if
    it is before ``start - 1`` or the schema has no checkpoint."""
    found = connection.execute(_ADVANCE, {"after": start - 1, "through": through}).first()
    return int(found[0]) if found else None


def schema_exists(connection: Connection, schema: str) -> bool:
    """Whether a PostgreSQL schema exists."""
    query = text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s")
    return connection.execute(query, {"s": schema}).first() is not None
