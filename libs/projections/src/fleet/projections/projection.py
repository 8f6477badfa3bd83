"""What a projection is: named, versioned tables plus a handler per event type."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from sqlalchemy import Connection, Dialect, Executable, MetaData, Table
from sqlalchemy.types import TypeDecorator

from fleet.events import DomainEvent, Envelope

# Tables of a projection are declared with this schema name; the runner translates it to
# the live schema (or the shadow schema during a rebuild) at execution time.
PROJECTION_SCHEMA = "projection"


class ProjectionTx:
    """The handle a projection writes through inside one transaction.

    Consecutive inserts into the same table are buffered and sent as one multi-row
    statement; any other statement first flushes the buffer, so order is preserved.
    """

    def __init__(self, connection: Connection, schema: str) -> None:
        self.connection = connection
        self.schema = schema
        self._table: Table | None = None
        self._rows: list[dict[str, Any]] = []

    def insert(self, table: Table, row: dict[str, Any]) -> None:
        """Insert ``row`` (buffered)."""
        if self._table is not table:
            self.flush()
            self._table = table
        self._rows.append(row)

    def execute(
        self, statement: Executable, params: dict[str, Any] | list[dict[str, Any]] | None = None
    ) -> Any:
        """Run any other statement (an update, an upsert, a select) in order; a list of
        parameter sets runs it for each (sent together)."""
        self.flush()
        return self.connection.execute(statement, params or {})

    def flush(self) -> None:
        """Send buffered inserts: one COPY when the rows share their columns (about five
        times faster than executemany here), else a multi-row insert."""
        table, rows = self._table, self._rows
        self._table, self._rows = None, []
        if table is None or not rows:
            return
        columns = list(rows[0])
        if any(list(row) != columns for row in rows):
            self.connection.execute(table.insert(), rows)
            return
        names = ", ".join(f'"{name}"' for name in columns)
        statement = f'COPY "{self.schema}"."{table.name}" ({names}) FROM STDIN'
        driver = self.connection.connection.driver_connection
        # COPY bypasses SQLAlchemy: a decorated type (e.g. inet from text) converts here
        dialect = self.connection.dialect
        convert = [_converter(table.c[name].type, dialect) for name in columns]
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            if all(to is _keep for to in convert):  # most tables: the values as they are
                for row in rows:
                    copy.write_row([row[name] for name in columns])
                return
            for row in rows:
                copy.write_row([to(row[name]) for to, name in zip(convert, columns, strict=True)])


def _keep(value: Any) -> Any:
    return value


def _converter(column_type: Any, dialect: Dialect) -> Callable[[Any], Any]:
    if isinstance(column_type, TypeDecorator):
        return lambda value: column_type.process_bind_param(value, dialect)
    return _keep


class Projection(ABC):
    """A read model. Bump ``version`` when its tables or handlers change: the runner then
    rebuilds it from the log (read models are disposable; the log is the truth)."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    metadata: ClassVar[MetaData]

    @abstractmethod
    def apply(self, tx: ProjectionTx, event: DomainEvent, envelope: Envelope) -> None:
        """Apply one event (known type; ignore types this projection does not use)."""

    def event_types(self) -> frozenset[str] | None:
        """The event types :meth:`apply` uses (``None``: it may use any). The runner passes
        the others over without decoding them: a replay pays only for what it applies."""
        return None

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding the live tables."""
        return f"rm_{self.name}"
