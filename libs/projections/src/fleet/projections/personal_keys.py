"""The data keys that seal personal data in events (``fleet.events.personal``), in
PostgreSQL (``fleet_meta.personal_keys``, migrated with ``fleet_meta``).

One row per subject (a user id, or ``day-YYYY-MM-DD``). Destroying a key sets it to NULL
and keeps the row, so a key is never made again for a deleted user: whatever was sealed
with it reads as ``erased`` for ever. Nothing is cached: every lookup is one primary-key
read, so an erasure holds at once in every process.

Synchronous (SQLAlchemy Core): projections call :func:`keys_in` inside their transaction;
async services run :class:`PersonalKeys` methods in a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    LargeBinary,
    String,
    Table,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from fleet.events import personal
from fleet.projections.meta import meta_metadata

personal_keys = Table(
    "personal_keys",
    meta_metadata,
    Column("subject", String(128), primary_key=True),
    Column("data_key", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("destroyed_at", DateTime(timezone=True), nullable=True),
)


def keys_in(connection: Connection, subjects: Iterable[str]) -> dict[str, bytes | None]:
    """The keys of ``subjects`` (None: destroyed or never made)."""
    wanted = sorted(set(subjects))
    if not wanted:
        return {}
    rows = connection.execute(
        select(personal_keys.c.subject, personal_keys.c.data_key).where(
            personal_keys.c.subject.in_(wanted)
        )
    )
    found: dict[str, bytes | None] = dict.fromkeys(wanted)
    for subject, key in rows:
        found[subject] = bytes(key) if key is not None else None
    return found


def reveal_in(connection: Connection, data: Any) -> Any:
    """``data`` with its sealed values opened (``erased`` where the key is gone)."""
    subjects = personal.subjects_in(data)
    if not subjects:
        return data
    return personal.reveal(data, keys_in(connection, subjects))


def key_for_sealing(connection: Connection, subject: str) -> bytes | None:
    """``subject``'s key, made now if it has none; None once destroyed."""
    connection.execute(
        insert(personal_keys)
        .values(subject=subject, data_key=personal.new_key(), created_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["subject"])
    )
    return keys_in(connection, [subject])[subject]


class PersonalKeys:
    """The key store of one process (blocking calls: run them in a thread)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def seal(self, subject: str, *texts: str) -> tuple[str, ...]:
        """``texts`` sealed with ``subject``'s key (``erased`` if it was destroyed)."""
        with self._engine.begin() as connection:
            key = key_for_sealing(connection, subject)
        if key is None:
            return tuple(personal.ERASED if text else text for text in texts)
        return tuple(personal.seal(subject, key, text) for text in texts)

    def reveal(self, data: Any) -> Any:
        """``data`` with its sealed values opened."""
        with self._engine.connect() as connection:
            return reveal_in(connection, data)

    def destroy(self, subject: str) -> None:
        """Forget ``subject``'s key for ever (a row stays: no key is made for it again)."""
        now = datetime.now(UTC)
        with self._engine.begin() as connection:
            connection.execute(
                insert(personal_keys)
                .values(subject=subject, data_key=None, created_at=now, destroyed_at=now)
                .on_conflict_do_update(
                    index_elements=["subject"], set_={"data_key": None, "destroyed_at": now}
                )
            )

    def destroy_days_before(self, first_kept: str) -> int:
        """Destroy every ``day-…`` key older than ``first_kept`` (a day subject); how many."""
        now = datetime.now(UTC)
        with self._engine.begin() as connection:
            result = connection.execute(
                update(personal_keys)
                .where(
                    personal_keys.c.subject.startswith("day-"),
                    personal_keys.c.subject < first_kept,
                    personal_keys.c.data_key.is_not(None),
                )
                .values(data_key=None, destroyed_at=now)
            )
        return int(result.rowcount or 0)
