"""Synchronous PostgreSQL work of a projection: schemas, batches with checkpoint, swap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from fleet.events import DomainEvent
from fleet.eventstore.store import StoredEvent
from fleet.projections.checkpoint import (
    advance_checkpoint,
    checkpoint_metadata,
    checkpoint_table,
    read_checkpoint,
    schema_exists,
)
from fleet.projections.errors import CheckpointMoved, ProjectionFailed
from fleet.projections.projection import PROJECTION_SCHEMA, Projection, ProjectionTx


def _in_schema(connection: Connection, schema: str) -> Connection:
    return connection.execution_options(schema_translate_map={PROJECTION_SCHEMA: schema})


_LOCK = text("SELECT pg_advisory_lock(hashtext(:key))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtext(:key))")


class ProjectionTables:
    """Applies events of one projection to the tables of one PostgreSQL schema.

    ``read_event`` gives the event of what was read as the projection's registry reads it
    (:func:`fleet.eventstore.reading.event_read_by`; by default the event the store's
    screen decoded): a failure to read it fails the event like a failing handler."""

    def __init__(
        self,
        engine: Engine,
        projection: Projection,
        read_event: Callable[[StoredEvent], DomainEvent] = attrgetter("event"),
    ) -> None:
        self.engine = engine
        self.projection = projection
        self.read_event = read_event

    def lock(self, schema: str) -> Connection:
        """Wait for PostgreSQL's advisory lock of ``schema`` (processes sharing a database
        prepare a projection one at a time) and return the connection that holds it."""
        connection = self.engine.connect()
        try:
            connection.execute(_LOCK, {"key": schema})
            connection.commit()
        except BaseException:
            connection.close()
            raise
        return connection

    def unlock(self, connection: Connection, schema: str) -> None:
        """Release what ``lock`` took (closing alone would not: the pool keeps sessions)."""
        try:
            connection.execute(_UNLOCK, {"key": schema})
            connection.commit()
        except SQLAlchemyError:
            connection.invalidate()  # a lost session holds no lock
        finally:
            connection.close()

    def create(self, schema: str) -> None:
        """Create ``schema`` with the projection's tables and a checkpoint at 0."""
        with self.engine.begin() as raw:
            raw.execute(text(f'CREATE SCHEMA "{schema}"'))
            connection = _in_schema(raw, schema)
            checkpoint_metadata.create_all(connection)
            self.projection.metadata.create_all(connection)
            connection.execute(
                checkpoint_table.insert().values(
                    id=1, projection_version=self.projection.version, last_sequence=0
                )
            )

    def drop(self, schema: str) -> None:
        """Drop ``schema`` and everything in it, if it exists."""
        with self.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def checkpoint(self, schema: str) -> tuple[int, int] | None:
        """``(projection_version, last_sequence)`` of ``schema``, ``None`` if absent."""
        with self.engine.connect() as raw:
            if not schema_exists(raw, schema):
                return None
            return read_checkpoint(_in_schema(raw, schema))

    def apply(
        self,
        schema: str,
        batch: Sequence[StoredEvent],
        through: int | None = None,
        start: int | None = None,
    ) -> int:
        """Apply ``batch`` and move the checkpoint in one transaction; return the checkpoint.

        The batch covers the stream sequences ``start`` to ``through`` (default: its first
        and last events'); positions in between that hold no event (quarantined messages)
        are passed over. If a handler fails, the batch is rolled back and replayed one event
        per transaction, so the tables and checkpoint end exactly before the failing event.
        """
        if not batch and (through is None or start is None):
            raise ValueError("an empty batch needs its start and through sequences")
        first = start if start is not None else batch[0].envelope.sequence or 0
        end = through if through is not None else batch[-1].envelope.sequence or 0
        try:
            return self._apply(schema, batch, first, end)
        except ProjectionFailed:
            if len(batch) == 1:
                raise
        for stored in batch:
            sequence = stored.envelope.sequence or 0
            self._apply(schema, [stored], first, sequence)
            first = sequence + 1
        raise AssertionError("a batch that failed as a whole succeeded event by event")

    def _apply(self, schema: str, batch: Sequence[StoredEvent], start: int, through: int) -> int:
        # Positions the projection does not use (most of the log, for most read models)
        # only move the checkpoint: one autocommitted statement, no transaction around it.
        if not batch:
            with self.engine.connect() as raw:
                connection = _in_schema(raw, schema).execution_options(isolation_level="AUTOCOMMIT")
                return max(self._advanced(connection, start, through), through)
        with self.engine.begin() as raw:
            connection = _in_schema(raw, schema)
            # the checkpoint row stays locked until the events it now covers commit
            last = self._advanced(connection, start, through)
            if through <= last:
                return last
            tx = ProjectionTx(connection, schema)
            for item in batch:
                if (item.envelope.sequence or 0) > last:
                    self._apply_one(tx, item)
            tx.flush()
            return through

    @staticmethod
    def _advanced(connection: Connection, start: int, through: int) -> int:
        """The checkpoint before the move (``through`` or more: nothing to apply)."""
        last = advance_checkpoint(connection, start, through)
        if last is None:
            stored = read_checkpoint(connection)
            raise CheckpointMoved(stored[1] if stored else 0)  # a rebuild swapped tables in
        return last

    def _apply_one(self, tx: ProjectionTx, stored: StoredEvent) -> None:
        envelope = stored.envelope
        try:
            self.projection.apply(tx, self.read_event(stored), envelope)
        except Exception as exc:
            raise ProjectionFailed(
                self.projection.name, envelope.sequence, envelope.type, f"{exc}"
            ) from exc

    def swap(self, shadow: str, live: str) -> None:
        """Make ``shadow`` the live schema in one transaction; drop the old one."""
        retired = f"{live}__retired"
        with self.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{retired}" CASCADE'))
            if schema_exists(connection, live):
                connection.execute(text(f'ALTER SCHEMA "{live}" RENAME TO "{retired}"'))
            connection.execute(text(f'ALTER SCHEMA "{shadow}" RENAME TO "{live}"'))
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{retired}" CASCADE'))
