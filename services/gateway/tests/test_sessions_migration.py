"""``gateway.sessions`` is migrated by Alembic: a fresh database gets the table at the head
revision; a database whose table the old code made (``create_all`` at startup, before
Alembic) is upgraded without losing a session, and migrating twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from fleet.events.ids import UserId
from fleet.gateway.migrations import migrate
from fleet.gateway.sessions import SessionPolicy, SessionStore, metadata

pytestmark = pytest.mark.integration
POLICY = SessionPolicy(ttl=timedelta(hours=1), idle=timedelta(minutes=30))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = create_engine(database_url)
    yield made
    made.dispose()


def revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(text("SELECT version_num FROM gateway.alembic_version")).scalar()
        )


def old_code_path(engine: Engine) -> None:
    """What the gateway did at startup before Alembic owned the table."""
    with engine.begin() as connection:
        connection.execute(text('CREATE SCHEMA IF NOT EXISTS "gateway"'))
        metadata.create_all(connection)


def test_a_fresh_database_gets_the_table_at_head(engine: Engine) -> None:
    SessionStore(engine, POLICY).create_schema()
    assert revision(engine) == "0001"
    columns = {c["name"] for c in inspect(engine).get_columns("sessions", schema="gateway")}
    assert columns == {c.name for c in metadata.tables["gateway.sessions"].columns}
    indexes = inspect(engine).get_indexes("sessions", schema="gateway")
    assert [i["column_names"] for i in indexes] == [["user_id"]]


def test_a_database_made_by_the_old_code_is_upgraded_keeping_its_sessions(
    engine: Engine,
) -> None:
    old_code_path(engine)
    store = SessionStore(engine, POLICY)
    made = [
        store.create(UserId(f"u{n}"), ip="10.0.0.1", user_agent="t", must_change_password=False)
        for n in range(3)
    ]
    assert not inspect(engine).has_table("alembic_version", schema="gateway")

    migrate(engine)
    migrate(engine)  # twice: nothing more
    assert revision(engine) == "0001"
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT session_sha256 FROM gateway.sessions")).scalars()
        assert sorted(kept) == sorted(s.session_hash for s in made)
