"""What a projection is: named, versioned tables plus a handler per event type."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from sqlalchemy import Connection, Executable, MetaData, Table

from fleet.events import DomainEvent, Envelope

# Tables of a projection are declared with this schema name; the runner translates it to
# the live schema (or the shadow schema during a rebuild) at execution time.
PROJECTION_SCHEMA = "projection"


class ProjectionTx:
    """The handle a projection writes through inside one transaction.

    Consecutive inserts into the same table are buffered and sent as one multi-row
    statement; any other statement first flushes the buffer, so order is preserved.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._table: Table | None = None
        self._rows: list[dict[str, Any]] = []

    def insert(self, table: Table, row: dict[str, Any]) -> None:
        """Insert ``row`` (buffered)."""
        if self._table is not table:
            self.flush()
            self._table = table
        self._rows.append(row)

    def execute(self, statement: Executable, params: dict[str, Any] | None = None) -> Any:
        """Run any other statement (an update, an upsert, a select) in order."""
        self.flush()
        return self.connection.execute(statement, params or {})

    def flush(self) -> None:
        """Send buffered inserts."""
        if self._table is not None and self._rows:
            self.connection.execute(self._table.insert(), self._rows)
        self._table = None
        self._rows = []


class Projection(ABC):
    """A read model. Bump ``version`` when its tables or handlers change: the runner then
    rebuilds it from the log (read models are disposable; the log is the truth)."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    metadata: ClassVar[MetaData]

    @abstractmethod
    def apply(self, tx: ProjectionTx, event: DomainEvent, envelope: Envelope) -> None:
        """Apply one event (known type; ignore types this projection does not use)."""

    @property
    def schema(self) -> str:
        """The PostgreSQL schema holding the live tables."""
        return f"rm_{self.name}"
