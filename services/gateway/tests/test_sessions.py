"""Browser sessions against a real PostgreSQL and the users read model fed from a real
log: lifetimes, idle timeout, and sessions killed by what the log says."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, text

from fleet.events import ActorId, AggregateId, AggregateRef, DomainEvent, wrap
from fleet.events import users as ev
from fleet.events.ids import UserId
from fleet.eventstore import EventStore
from fleet.gateway.read_models.runners import ReadModels
from fleet.gateway.sessions import SessionPolicy, SessionStore, sha256

pytestmark = pytest.mark.integration
ALICE = UserId("alice")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    created = create_engine(database_url)
    yield created
    created.dispose()


async def record(store: EventStore, models: ReadModels, *events: DomainEvent) -> None:
    aggregate = AggregateRef(type="user", id=AggregateId(ALICE))
    stored = await store.append(
        aggregate, [wrap(e, aggregate, actor=ActorId("admin")) for e in events], None
    )
    await models.runners["users"].run(until=stored[-1].sequence)


def age(engine: Engine, session_id: str, column: str, by: timedelta) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                f"UPDATE gateway.sessions SET {column} = {column} - :by WHERE session_sha256 = :h"
            ),
            {"by": by, "h": sha256(session_id)},
        )


async def test_lifetimes_and_sessions_killed_by_the_log(
    event_store: EventStore, engine: Engine
) -> None:
    models = ReadModels(engine, event_store)
    store = SessionStore(engine, SessionPolicy(ttl=timedelta(hours=1), idle=timedelta(minutes=5)))
    store.create_schema()
    await record(event_store, models, ev.UserCreated(username="alice", email="", role="trader"))

    def new() -> str:
        return store.create(
            ALICE, ip="10.0.0.1", user_agent="t", must_change_password=False
        ).session_id

    live, idle, old = new(), new(), new()
    user = store.resolve(live)
    assert user is not None and (user.username, user.role) == ("alice", "trader")
    assert store.resolve("not a session") is None
    age(engine, idle, "last_seen_at", timedelta(minutes=6))
    assert store.resolve(idle) is None
    age(engine, old, "expires_at", timedelta(hours=2))
    assert store.resolve(old) is None

    await record(event_store, models, ev.PasswordSet(password_hash="$argon2id$x", reason="reset"))
    assert store.resolve(live) is None  # created before the reset: dead
    after = new()
    assert store.resolve(after) is not None
    await record(
        event_store, models, ev.PasswordSet(password_hash="$argon2id$y", reason="rehashed")
    )
    assert store.resolve(after) is not None  # a rehash changes nothing for sessions
    until = datetime.now(UTC) + timedelta(minutes=15)
    await record(event_store, models, ev.UserLocked(until=until, consecutive_failures=10))
    assert store.resolve(after) is None
    await record(event_store, models, ev.UserUnlocked())
    assert store.resolve(new()) is not None

    assert store.purge() == 4  # idle, expired, killed by the reset, killed by the lock
    assert store.end_all(ALICE) == 1
